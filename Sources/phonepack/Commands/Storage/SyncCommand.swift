import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Make a store prefix hold what a folder holds, or a folder what a prefix holds: by content.",
        discussion: """
            A file and an object are the same when their sizes match and their content does: the MD5 when the \
            ETag is one, else the object's sha256 metadata (which upload stores) against the file's SHA-256. Only \
            what differs is sent, large files as resumable multipart uploads. --delete removes what the source \
            lacks, only under the named prefix or folder. Symlinks and special files are left out; keys that \
            cannot be a path inside the folder (.., control characters) are refused, never followed.

            Examples:
              phonepack sync seed-data/ obs://my-bucket/seed/
              phonepack sync seed-data/ obs://my-bucket/seed/ --delete --dry-run
              phonepack sync obs://my-bucket/exports/ exports/ --include '*.tar' --json
            """)

    @Argument(help: "A folder or obs://, oss://, s3:// prefix.")
    var source: String

    @Argument(help: "A prefix or folder (the other kind).")
    var destination: String

    @Flag(help: "Remove what the source lacks (only under the destination prefix or folder).")
    var delete = false

    @Option(help: "Leave out relative paths matching this wildcard (repeatable): * one level, ** any, ? one character.")
    var exclude: [String] = []

    @Option(help: "Only relative paths matching this wildcard (repeatable).")
    var include: [String] = []

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var transfer: TransferFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let fromStore = source.contains("://")
        guard fromStore != destination.contains("://") else {
            throw ValidationError("give one folder and one obs://, oss:// or s3:// prefix")
        }
        let url = try ObjectURL(parsing: fromStore ? source : destination)
        var plan = SyncPlan(folder: fromStore ? destination : source, url: url)
        plan.delete = delete
        plan.dryRun = dryRun.dryRun
        plan.excludes = exclude.map(KeyPattern.init)
        plan.includes = include.map(KeyPattern.init)
        let settings = try transfer.settings(session: cloud.session())
        let transferer = ObjectTransfer(store: try cloud.objectStore(for: url), settings: settings)
        let report = try TreeTransfer.run(transferer, plan, down: fromStore, json: outputOptions.json, verb: "copied")
        if outputOptions.json { return }
        say(
            "sync\(report.dryRun ? " (dry run, nothing sent)" : ""): \(report.copied) copied (\(formatBytes(report.bytes))), \(report.skipped) unchanged, \(report.deleted) deleted"
        )
    }
}

/// Runs a transfer of a whole tree — `sync`, `upload -r`, `download -r`, a download by wildcard — and prints each
/// action as it happens (the listing is never held whole, so neither are the names): a line of text, or with
/// --json one JSON object per line, s5cmd-style, and the summary object last.
enum TreeTransfer {
    static func run(_ transfer: ObjectTransfer, _ plan: SyncPlan, down: Bool, json: Bool, verb: String) throws
        -> SyncReport
    {
        let dry = plan.dryRun
        let observe: @Sendable (SyncAction) -> Void = { action in
            switch (action, json) {
            case (.copied(let name, let bytes), true):
                print(JSONOutput.line(SyncLine(action: "copy", name: name, bytes: bytes)))
            case (.deleted(let name), true): print(JSONOutput.line(SyncLine(action: "delete", name: name)))
            case (.refused(let name), true): print(JSONOutput.line(SyncLine(action: "refuse", name: name)))
            case (.copied(let name, _), false): say("\(dry ? "would copy" : verb) \(name.terminalSafe)")
            case (.deleted(let name), false): say("\(dry ? "would delete" : "deleted") \(name.terminalSafe)")
            case (.refused(let name), false): printWarning("left alone (not a plain name): \(name)")
            }
        }
        let report = try down ? transfer.syncDown(plan, observe: observe) : transfer.syncUp(plan, observe: observe)
        if json { print(JSONOutput.line(report)) }
        return report
    }
}
