import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ReleaseStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "A release's state from its record: per-state counts, failures with their errors.",
        discussion: """
            Reads only the local record (no request is sent). Without an id: the newest release.

            Examples:
              phonepack release status                    # the newest release
              phonepack release status r20261201-140512-ab12 --json
              phonepack release status --html release.html   # the fleet, coloured by state
            """)

    @Argument(help: "The release id (default: the newest).", completion: Completions.releaseIDs)
    var id: String?

    @Option(
        help: ArgumentHelp(
            "Also write a self-contained HTML page: every target as a square coloured by state, failures listed.",
            valueName: "page.html"))
    var html: String?

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let record = try control(cloud, output: outputOptions).history.record(id)
        if let html { try writePage(html, ReleaseText.page(record), quiet: outputOptions.silent) }
        if outputOptions.json { return print(JSONOutput.string(record)) }
        for line in ReleaseText.header(record) { say(line) }
        say(TargetOutcome.summary(record.targets))
        let failures = record.targets.filter(\.isFailure)
        if !failures.isEmpty {
            say("failures:")
            for line in ReleaseText.rows(failures) { print("  " + line) }
        }
    }
}

struct ReleaseHistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Every recorded release, newest first.",
        discussion: """
            Examples:
              phonepack release history
              phonepack release history --json
            """)

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let (records, refused) = try control(cloud, output: outputOptions).history.all()
        // A record that is not what its file name says is named, never listed as if it were a release.
        for problem in refused { printWarning(problem.description) }
        if outputOptions.json { return print(JSONOutput.string(ReleaseList(records))) }
        say("ID                     CREATED               STATUS     PACKAGE / VERSION / TARGETS")
        for record in records {
            let what = "\(record.delivery.package) \(record.delivery.version ?? "")"
            say(
                "\(record.id.padded(to: 22)) \(record.created.padded(to: 21)) \(record.status.rawValue.padded(to: 10)) \(what)  \(TargetOutcome.summary(record.targets))"
                    + (record.rollbackOf.map { "  (rollback of \($0))" } ?? ""))
        }
    }
}
