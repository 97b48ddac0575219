import ArgumentParser
import PhonePackCore

/// `--dry-run` on every verb that changes something: it prints the requests it would send and sends none of
/// them (read-only look-ups such as a pre-flight listing may still be made).
struct DryRunFlag: ParsableArguments {
    @Flag(help: "Print the requests that would be sent, and send nothing that changes anything.")
    var dryRun = false

    /// With `--dry-run`: prints one request per call of at most `perCall` ids (`request`, with the call's ids in
    /// its body as `idsField`) and a summary, and returns true; the command then returns without sending.
    func show(
        _ ids: [String], perCall: Int, what: String, _ request: PlannedRequest, idsField: String, json: Bool
    ) -> Bool {
        guard dryRun else { return false }
        let calls = stride(from: 0, to: ids.count, by: max(1, perCall)).map {
            Array(ids[$0..<min($0 + max(1, perCall), ids.count)])
        }
        return show(
            calls.map { request.with(idsField, ids: $0) },
            summary: "\(calls.count) \(calls.count == 1 ? "request" : "requests") for \(ids.count) \(what)", json: json)
    }

    /// With `--dry-run`: prints each request and a summary (with `json`, one ``DryRunPlan``), and returns true.
    func show(_ requests: [PlannedRequest], summary: String, json: Bool) -> Bool {
        guard dryRun else { return false }
        if json {
            print(JSONOutput.string(DryRunPlan(requests: requests, summary: summary)))
            return true
        }
        for request in requests { say(request.text) }
        say("dry run: \(summary); nothing sent")
        return true
    }

    /// The lines of a plan (a release's, an upload's): requests where a line starts with a method and a URL.
    func show(lines: [String], summary: String, json: Bool) -> Bool {
        show(lines.map(PlannedRequest.init(line:)), summary: summary, json: json)
    }
}

/// `--no-preflight` on every verb that checks its ids against the cloud's listing before sending.
struct PreflightFlag: ParsableArguments {
    @Flag(help: "Do not check the ids against the cloud's listing (nor a pushed object's existence) first.")
    var noPreflight = false

    var enabled: Bool { !noPreflight }
}
