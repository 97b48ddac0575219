import ArgumentParser
import PhonePackCore

extension ArchiveDiff.Aspect: ExpressibleByArgument {}

struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two exports of a phone: a tar with a tar, or a tar with a folder.",
        discussion: """
            Lists entries added (+), removed (-) and changed (~) with what changed: type, size, mode, \
            owner, mtime, content (SHA-256) or link target. Exit status 0 when they match, 1 when they \
            differ. Against a folder unpacked without --same-owner, add --ignore owner; folder times \
            are never compared.

            Examples:
              phonepack diff monday.tar tuesday.tar
              phonepack diff export.tar unpacked/ --ignore owner --json
            """
    )

    @Argument(help: "The first tar (or folder).", completion: .file())
    var left: String

    @Argument(help: "The second tar or folder.", completion: .file())
    var right: String

    @Option(
        parsing: .upToNextOption,
        help: "Aspects not to compare: \(ArchiveDiff.Aspect.allCases.map(\.rawValue).joined(separator: ", ")).")
    var ignore: [ArchiveDiff.Aspect] = []

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let report = try ArchiveDiff.compare(left, right, ignoring: Set(ignore))
        if outputOptions.json {
            print(JSONOutput.string(report))
        } else {
            for path in report.added { say("+ \(path)") }
            for path in report.removed { say("- \(path)") }
            for change in report.changed { say("~ \(change.path): \(change.differences.joined(separator: ", "))") }
            say(
                report.identical
                    ? "diff: \(left) and \(right) match"
                    : "diff: \(report.added.count) added, \(report.removed.count) removed, \(report.changed.count) changed"
            )
        }
        if !report.identical { throw ExitCode(ExitStatus.checkFailed) }
    }
}
