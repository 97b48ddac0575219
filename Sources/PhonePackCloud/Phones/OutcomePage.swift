import PhonePackCore

/// `release status --html` and `jobs wait --html`: every target as one square coloured by its state (a wave per
/// row for a staged release), the counts, and the failures with the vendor's code and message. The frame is
/// ``HTMLPage``: no script, no network, every id and message from a server escaped.
public enum OutcomePage {
    static let colours: [TargetOutcome.State: String] = [
        .succeeded: "#59a14f", .failed: "#e15759", .rejected: "#b07aa1", .running: "#f28e2b",
        .submitted: "#edc948", .pending: "#c9c9c9",
    ]

    /// What a release adds to the grid: a banner with its state, the command to run next, and a line per wave
    /// (its counts against the failure budget).
    public struct Release: Sendable {
        public var state: String
        public var reason: String?
        public var next: String?
        public var waveNotes: [Int: String] = [:]

        public init(state: String, reason: String?, next: String?, waveNotes: [Int: String]) {
            (self.state, self.reason, self.next, self.waveNotes) = (state, reason, next, waveNotes)
        }
    }

    static let bannerColours = ["completed": "#59a14f", "halted": "#e15759", "paused": "#edc948", "running": "#f28e2b"]

    public static func render(
        title: String, facts: [String], outcomes: [TargetOutcome], release: Release? = nil
    ) -> String {
        var body = "<h1>\(HTMLPage.escape(title))</h1>\n"
        if let release {
            body +=
                "<div class=\"banner\" id=\"state\" data-state=\"\(HTMLPage.escape(release.state))\" "
                + "style=\"background:\(bannerColours[release.state] ?? "#c9c9c9")\">"
                + HTMLPage.escape(release.state.uppercased() + (release.reason.map { ": \($0)" } ?? "")) + "</div>\n"
            if let next = release.next {
                body += "<div class=\"next\" id=\"next\">Next: <code>\(HTMLPage.escape(next))</code></div>\n"
            }
        }
        body +=
            "<div class=\"facts\">\((facts + [TargetOutcome.summary(outcomes)]).map(HTMLPage.escape).joined(separator: " · "))</div>\n"
        let waves = Dictionary(grouping: outcomes) { $0.wave ?? 1 }
        body += "<div id=\"grid\" data-targets=\"\(outcomes.count)\">\n"
        for wave in waves.keys.sorted() {
            if waves.count > 1 || release?.waveNotes[wave] != nil {
                let note = release?.waveNotes[wave].map { ": \($0)" } ?? ""
                body += "<div class=\"wave\" data-wave=\"\(wave)\">\(HTMLPage.escape("wave \(wave)\(note)"))</div>\n"
            }
            body += "<div class=\"row\">"
            for outcome in waves[wave]! {
                var title = "\(outcome.target): \(outcome.state.rawValue)"
                if let job = outcome.jobID { title += ", job \(job)" }
                if let code = outcome.errorCode { title += ", \(code)" }
                if let message = outcome.errorMessage { title += ": \(message)" }
                body +=
                    "<i class=\"t\" data-state=\"\(outcome.state.rawValue)\" title=\"\(HTMLPage.escape(title))\" "
                    + "style=\"background:\(colours[outcome.state]!)\"></i>"
            }
            body += "</div>\n"
        }
        body += "</div>\n" + HTMLPage.legend(TargetOutcome.State.reportOrder.map { ($0.rawValue, colours[$0]!) })
        let failures = outcomes.filter(\.isFailure)
        if !failures.isEmpty {
            body +=
                "<h2>Failures: \(failures.count)</h2>\n<table id=\"failures\"><tr><th>target</th><th>state</th><th>job</th><th>code</th><th>message</th></tr>\n"
            for outcome in failures {
                let cells = [
                    outcome.target, outcome.state.rawValue, outcome.jobID ?? "", outcome.errorCode ?? "",
                    outcome.errorMessage ?? "",
                ]
                body += "<tr class=\"bad\">" + cells.map { "<td>\(HTMLPage.escape($0))</td>" }.joined() + "</tr>\n"
            }
            body += "</table>\n"
        }
        return HTMLPage.document(
            title: title,
            style: """
                .row{line-height:0;max-width:960px}
                .t{display:inline-block;width:14px;height:14px;margin:0 2px 2px 0}
                .wave{color:#555;margin:10px 0 4px}
                .banner{color:#fff;font-size:22px;font-weight:bold;padding:10px 14px;margin:8px 0;max-width:932px}
                .next{margin:6px 0 10px}
                """, body: body)
    }
}
