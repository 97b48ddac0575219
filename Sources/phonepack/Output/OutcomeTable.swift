import ArgumentParser
import PhonePackCloud
import PhonePackCore

/// Prints per-target outcomes as a table (or JSON) and exits 1 when any target failed.
/// With `json`, prints `document` (the outcomes themselves unless a command has a fuller report).
func reportOutcomes(
    _ outcomes: [TargetOutcome], json: Bool, what: String, document: (any Encodable)? = nil
) throws {
    if json {
        let value: any Encodable = document ?? outcomes
        print(JSONOutput.string(value))
    } else {
        let width = max(6, outcomes.map(\.target.count).max() ?? 0)
        say("\("TARGET".padded(to: width))  STATE      JOB / ERROR")
        for outcome in outcomes {
            var detail = outcome.jobID ?? ""
            if let code = outcome.errorCode { detail += (detail.isEmpty ? "" : "  ") + code }
            if let message = outcome.errorMessage { detail += (detail.isEmpty ? "" : "  ") + message }
            say("\(outcome.target.padded(to: width))  \(outcome.state.rawValue.padded(to: 9))  \(detail)")
            if let output = outcome.output, !output.isEmpty {
                for line in output.split(separator: "\n", omittingEmptySubsequences: false) { say("    \(line)") }
            }
        }
        var counts: [TargetOutcome.State: Int] = [:]
        for outcome in outcomes { counts[outcome.state, default: 0] += 1 }
        let summary = TargetOutcome.State.allCasesInOrder.compactMap { state in
            counts[state].map { "\($0) \(state.rawValue)" }
        }
        say("\(what): \(outcomes.count) targets: \(summary.joined(separator: ", "))")
    }
    let bad = outcomes.filter { $0.state == .failed || $0.state == .rejected }
    if !bad.isEmpty {
        let list = bad.prefix(5).map { "\($0.target) (\($0.errorCode ?? "error"))" }.joined(separator: ", ")
        printError("\(bad.count) of \(outcomes.count) failed: \(list)\(bad.count > 5 ? ", …" : "")")
        throw ExitCode(ExitStatus.checkFailed)
    }
    if outcomes.contains(where: { $0.state == .running }) {
        printError("some jobs are still running; wait again with: phonepack jobs wait REQUEST_ID …")
        throw ExitCode(ExitStatus.checkFailed)
    }
}

extension TargetOutcome.State {
    static let allCasesInOrder: [Self] = [.succeeded, .submitted, .running, .failed, .rejected]
}
