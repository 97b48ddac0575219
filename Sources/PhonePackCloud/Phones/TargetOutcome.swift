import Glibc
import PhonePackCore
import Synchronization

/// One server's or phone's outcome of a fanned-out operation, as `push` and `jobs wait` report it.
public struct TargetOutcome: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Not sent yet: a later wave of a release, or one that halted or paused before it.
        case pending
        /// The job was created and not waited for.
        case submitted
        case running
        case succeeded
        case failed
        /// The request for this target was refused before a job existed.
        case rejected
        /// Left out on purpose (`release resume --skip`): never sent, not a failure.
        case skipped
    }

    public var target: String
    public var state: State
    public var requestID: String?
    public var jobID: String?
    public var errorCode: String?
    public var errorMessage: String?
    /// What a command printed on the phone.
    public var output: String?
    /// True when the call for this target failed as a whole — the API was unreachable or answered an error after
    /// retries — so no job exists: an outage, not a verdict on the target (exit 3, not 1).
    public var callFailed: Bool?
    /// The wave of a staged release this target belongs to (0 first).
    public var wave: Int?

    public init(
        target: String, state: State, requestID: String? = nil, jobID: String? = nil, errorCode: String? = nil,
        errorMessage: String? = nil, output: String? = nil
    ) {
        self.target = target
        self.state = state
        self.requestID = requestID
        self.jobID = jobID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.output = output
    }

    var isOpen: Bool { state == .submitted || state == .running }
    /// Failed, refused, or still running when the wait ended: what a wave's failure budget counts.
    public var isFailure: Bool { state == .failed || state == .rejected || state == .running }
}

/// A job's state as a poll reports it.
public struct JobState: Sendable {
    public var state: TargetOutcome.State
    public var errorCode: String?
    public var errorMessage: String?
    public var output: String?

    public init(
        state: TargetOutcome.State, errorCode: String? = nil, errorMessage: String? = nil, output: String? = nil
    ) {
        self.state = state
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.output = output
    }
}

/// What a fleet verb (push, exec, export, restore, jobs wait) prints with `--json`: one object, with every target's
/// outcome under `targets` as in a release record, and the count per state.
public struct FleetReport: Codable, Sendable, Equatable {
    /// `push`, `exec`, `export`, `restore` or `jobs`.
    public var operation: String
    /// Targets per state (`succeeded`, `failed`, …); states no target is in are left out.
    public var counts: [String: Int]
    public var targets: [TargetOutcome]

    public init(operation: String, targets: [TargetOutcome]) {
        self.operation = operation
        self.targets = targets
        counts = TargetOutcome.counts(targets)
    }
}

extension TargetOutcome {
    /// Targets per state, keyed by the state's name, for JSON summaries.
    public static func counts(_ outcomes: [TargetOutcome]) -> [String: Int] {
        outcomes.reduce(into: [:]) { $0[$1.state.rawValue, default: 0] += 1 }
    }

    /// "3 targets: 2 succeeded, 1 failed", states in ``State/reportOrder``: the summary line of every fleet table
    /// and report page.
    public static func summary(_ outcomes: [TargetOutcome]) -> String {
        let counts = counts(outcomes)
        let parts = State.reportOrder.compactMap { state in counts[state.rawValue].map { "\($0) \(state.rawValue)" } }
        return "\(outcomes.count) \(outcomes.count == 1 ? "target" : "targets"): \(parts.joined(separator: ", "))"
    }
}

extension TargetOutcome.State {
    /// The order summaries and legends list states in: done, in flight, not yet, then what went wrong.
    public static let reportOrder: [Self] = [.succeeded, .submitted, .running, .pending, .failed, .rejected]
}
