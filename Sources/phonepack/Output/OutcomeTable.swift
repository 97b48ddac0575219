import ArgumentParser
import PhonePackCloud
import PhonePackCore

/// Prints per-target outcomes as a table (or JSON) and exits 3 when a call failed as a whole (the API could not be
/// reached or refused it), 1 when any target failed or is still running. With `json`, prints `document` (the
/// outcomes themselves unless a command has a fuller report). `onlyFailures` lists only the targets that did not
/// succeed; the summary line counts them all.
func reportOutcomes(
    _ outcomes: [TargetOutcome], json: Bool, what: String, document: (any Encodable)? = nil,
    onlyFailures: Bool = false, page: String? = nil
) throws {
    if let page {
        try writePage(page, OutcomePage.render(title: "phonepack \(what)", facts: [], outcomes: outcomes), quiet: json)
    }
    if json {
        let value: any Encodable = document ?? FleetReport(operation: what, targets: outcomes)
        print(JSONOutput.string(value))
    } else {
        for line in ReleaseText.rows(onlyFailures ? outcomes.filter(\.isFailure) : outcomes, header: true) {
            print(line)
        }
        say("\(what): \(TargetOutcome.summary(outcomes))")
    }
    try exitForOutcomes(outcomes)
}

/// Writes an HTML report atomically and says where (unless quiet).
func writePage(_ path: String, _ html: String, quiet: Bool) throws {
    try AtomicOutputFile.write(Array(html.utf8), to: path)
    if !quiet { logLine("wrote \(path)") }
}

/// Exit 3 for an outage, 1 for a failed, refused or unfinished target, else return.
func exitForOutcomes(_ outcomes: [TargetOutcome]) throws {
    let bad = outcomes.filter { $0.state == .failed || $0.state == .rejected }
    if !bad.isEmpty {
        let list = bad.prefix(5).map { "\($0.target) (\($0.errorCode ?? "error"))" }.joined(separator: ", ")
        printError("\(bad.count) of \(outcomes.count) failed: \(list)\(bad.count > 5 ? ", …" : "")")
        let outage = bad.contains { $0.callFailed == true }
        throw ExitCode(outage ? ExitStatus.network : ExitStatus.checkFailed)
    }
    if outcomes.contains(where: { $0.state == .running }) {
        printError("some jobs are still running; wait again with: phonepack jobs wait REQUEST_ID …")
        throw ExitCode(ExitStatus.checkFailed)
    }
}

/// A release's record as `release`, `release resume`, `release rollback` report it: the targets (or JSON), its
/// state and what to do next. Exit 0 when completed on every target or paused; 3 when it halted on an outage; 1
/// when it halted on its failure budget or completed with failures.
/// With `quiet` (`-q`), a release that ends well prints nothing: its exit status says it.
func reportRelease(
    _ record: ReleaseRecord, json: Bool, quiet: Bool = false, document: (any Encodable)? = nil,
    onlyFailures: Bool = false, page: String? = nil
) throws {
    if let page { try writePage(page, ReleaseText.page(record), quiet: json || quiet) }
    let ended = record.status == .completed && !record.targets.contains { $0.isFailure }
    if json {
        let value: any Encodable = document ?? record
        print(JSONOutput.string(value))
    } else if !(quiet && (ended || record.status == .paused)) {
        let shown = onlyFailures ? record.targets.filter(\.isFailure) : record.targets
        for line in ReleaseText.rows(shown, header: true) { print(line) }
        say("release: \(TargetOutcome.summary(record.targets))")
    }
    switch record.status {
    case .paused:
        // A state the user asked for (--pause), not an error: a notice, exit 0; even with -q, as it says what
        // to run next (--json has it in the document).
        if !json {
            logLine(
                "release \(record.id) \(record.reason ?? "paused"); continue with: phonepack release resume \(record.id)"
            )
        }
    case .halted:
        printError(
            "release \(record.id) halted: \(record.reason ?? ""); after fixing, continue with: phonepack release resume \(record.id)"
        )
        let outage = record.targets.contains { $0.callFailed == true }
        throw ExitCode(outage ? ExitStatus.network : ExitStatus.checkFailed)
    case .running:
        if let reason = record.reason { printError("release \(record.id): \(reason)") }
    case .completed:
        break
    }
    try exitForOutcomes(record.targets)
}

/// The text of release and fleet reports.
enum ReleaseText {
    /// One row per target: target, wave (when staged), state, then job id or error code and message. The lines
    /// are terminal-safe already (what came from a server is escaped) and a failed, refused or unfinished state is
    /// coloured on a terminal: print them with `print`, not `say`.
    static func rows(_ outcomes: [TargetOutcome], header: Bool = false) -> [String] {
        let width = max(6, outcomes.map(\.target.terminalSafe.count).max() ?? 0)
        let staged = outcomes.contains { $0.wave != nil }
        var lines: [String] = []
        if header { lines.append("\("TARGET".padded(to: width))  \(staged ? "WAVE  " : "")STATE      JOB / ERROR") }
        for outcome in outcomes {
            var detail = outcome.jobID ?? ""
            if let code = outcome.errorCode { detail += (detail.isEmpty ? "" : "  ") + code }
            if let message = outcome.errorMessage { detail += (detail.isEmpty ? "" : "  ") + message }
            let wave = staged ? String(outcome.wave ?? 1).padded(to: 4) + "  " : ""
            let state = outcome.state.rawValue
            let colour: Colour? =
                switch outcome.state {
                case .failed, .rejected: .red
                case .running: .yellow
                default: nil
                }
            let painted = (colour?.paint(state) ?? state) + String(repeating: " ", count: max(0, 9 - state.count))
            lines.append(
                "\(outcome.target.terminalSafe.padded(to: width))  \(wave)\(painted)  \(detail.terminalSafe)")
            if let output = outcome.output, !output.isEmpty {
                for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
                    lines.append("    \(String(line).terminalSafe)")
                }
            }
        }
        return lines
    }

    /// What `release status` prints above the counts.
    static func header(_ record: ReleaseRecord) -> [String] {
        let delivery = record.delivery
        var lines = [
            "release \(record.id)  \(record.status.rawValue)\(record.reason.map { ": \($0)" } ?? "")",
            "  \(delivery.cloud.rawValue) \(delivery.package) \(delivery.version ?? "")  \(delivery.object)",
            "  sha256 \(delivery.sha256), \(formatBytes(delivery.size))",
            "  waves \(record.policy.steps.map(\.description).joined(separator: ",")) (\(record.waveCount)), max failures \(record.policy.maxFailures) per wave\(record.policy.pause ? ", pausing" : "")",
            "  created \(record.created), updated \(record.updated)",
        ]
        if let rollbackOf = record.rollbackOf { lines.append("  rollback of \(rollbackOf)") }
        return lines
    }

    /// `--html` of a release: the grid of its targets by wave, with the header's facts.
    static func page(_ record: ReleaseRecord) -> String {
        var facts = header(record).map { String($0.drop { $0 == " " }) }
        if let start = CloudTime.parseISO8601(record.created), let end = CloudTime.parseISO8601(record.updated) {
            facts.append("took \(formatDuration(end - start)) so far")
        }
        // Each wave's failures against its budget, the way the rollout judges it.
        var notes: [Int: String] = [:]
        for (wave, targets) in Dictionary(grouping: record.targets, by: { $0.wave ?? 1 }) {
            let failed = targets.filter(\.isFailure).count
            let allowed = record.policy.maxFailures.allowed(inWaveOf: targets.count)
            let done = targets.filter { $0.state == .succeeded }.count
            notes[wave] =
                "\(targets.count) targets, \(done) succeeded, \(failed) failed of \(allowed) allowed"
                + (failed > allowed ? " — over the budget" : "")
        }
        let next: String? =
            switch record.status {
            case .completed: "phonepack release rollback \(record.id)   (only if this version must go)"
            case .halted, .paused, .running: "phonepack release resume \(record.id)"
            }
        return OutcomePage.render(
            title: "release \(record.id)", facts: facts, outcomes: record.targets,
            release: .init(state: record.status.rawValue, reason: record.reason, next: next, waveNotes: notes))
    }

    /// 75 s → "1 min 15 s".
    static func formatDuration(_ seconds: Int64) -> String {
        let seconds = max(0, seconds)
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3600 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds / 3600) h \(seconds % 3600 / 60) min"
    }
}
