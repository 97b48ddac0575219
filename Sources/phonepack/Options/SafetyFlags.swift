import ArgumentParser
import PhonePackCore

/// `--dry-run` on every verb that changes something: it prints the requests it would send and sends none of
/// them (read-only look-ups such as a pre-flight listing may still be made).
struct DryRunFlag: ParsableArguments {
    @Flag(help: "Print the requests that would be sent, and send nothing that changes anything.")
    var dryRun = false

    /// With `--dry-run`: prints one line per call of at most `perCall` ids (`request` describes the call) and a
    /// summary, and returns true; the command then returns without sending.
    func show(_ ids: [String], perCall: Int, what: String, _ request: String, json: Bool) -> Bool {
        guard dryRun else { return false }
        let calls = stride(from: 0, to: ids.count, by: max(1, perCall)).map {
            Array(ids[$0..<min($0 + max(1, perCall), ids.count)])
        }
        return show(
            calls.map { "\(request) [\(DryRunFlag.describe($0))]" },
            summary: "\(calls.count) \(calls.count == 1 ? "request" : "requests") for \(ids.count) \(what)", json: json)
    }

    /// With `--dry-run`: prints each line and a summary (with `json`, one ``DryRunPlan``), and returns true.
    func show(_ lines: [String], summary: String, json: Bool) -> Bool {
        guard dryRun else { return false }
        if json {
            print(JSONOutput.string(DryRunPlan(requests: lines, summary: summary)))
            return true
        }
        for line in lines { say(line) }
        say("dry run: \(summary); nothing sent")
        return true
    }

    /// "3 ids: a, b, c" or "250 ids: a … z".
    static func describe(_ ids: [String]) -> String {
        let list = ids.count <= 3 ? ids.joined(separator: ", ") : "\(ids[0]) … \(ids[ids.count - 1])"
        return "\(ids.count) \(ids.count == 1 ? "id" : "ids"): \(list)"
    }
}

/// `--no-preflight` on every verb that checks its ids against the cloud's listing before sending.
struct PreflightFlag: ParsableArguments {
    @Flag(help: "Do not check the ids against the cloud's listing (nor a pushed object's existence) first.")
    var noPreflight = false

    var enabled: Bool { !noPreflight }
}
