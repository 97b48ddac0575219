/// What `--dry-run --json` prints for a verb that changes something: each request it would send, described, and
/// a summary; nothing was sent.
public struct DryRunPlan: Codable, Sendable, Equatable {
    public var dryRun = true
    public var requests: [String]
    public var summary: String

    public init(requests: [String], summary: String) {
        self.requests = requests
        self.summary = summary
    }
}
