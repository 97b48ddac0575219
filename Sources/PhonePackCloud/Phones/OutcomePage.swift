import PhonePackCore

/// `release status --html` and `jobs wait --html`: every target as one square coloured by its state (a wave per
/// row for a staged release), the counts, and the failures with the vendor's code and message. The frame is
/// ``HTMLPage``: no script, no network, every id and message from a server escaped.
public enum OutcomePage {
    static let colours: [TargetOutcome.State: String] = [
        .succeeded: "#59a14f", .failed: "#e15759", .rejected: "#b07aa1", .running: "#f28e2b",
        .submitted: "#edc948", .pending: "#c9c9c9",
    ]

    public static func render(title: String, facts: [String], outcomes: [TargetOutcome]) -> String {
        var body = "<h1>\(HTMLPage.escape(title))</h1>\n"
        body +=
            "<div class=\"facts\">\((facts + [TargetOutcome.summary(outcomes)]).map(HTMLPage.escape).joined(separator: " · "))</div>\n"
        let waves = Dictionary(grouping: outcomes) { $0.wave ?? 1 }
        body += "<div id=\"grid\" data-targets=\"\(outcomes.count)\">\n"
        for wave in waves.keys.sorted() {
            if waves.count > 1 { body += "<div class=\"wave\">wave \(wave)</div>\n" }
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
                """, body: body)
    }
}
