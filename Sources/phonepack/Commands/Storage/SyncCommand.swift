import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Make a store prefix hold what a folder holds, a folder what a prefix holds, or a prefix another's.",
        discussion: """
            A source item and its counterpart are the same when their sizes match and their content does: the MD5 \
            when the ETag is one, else the object's sha256 metadata (which upload stores) against the file's \
            SHA-256. Only what differs is sent, large files as resumable multipart uploads. --size-only compares \
            sizes alone; --ignore-existing leaves every counterpart that exists, --update one modified after its \
            source. --delete removes what the source lacks, only under the named prefix or folder.
            Between two prefixes of one store the store copies (no byte passes through here); between stores the \
            bytes stream through, checked end to end.
            Symlinks, FIFOs and devices in a source folder are named and left out; --follow-symlinks reads a \
            symlink as what it points to, wherever that is. Every file is opened relative to its folder and checked \
            to be the file listed: one replaced meanwhile (by a symlink, a FIFO, another file) is refused, a folder \
            on the way turned into a symlink is never written through, and a file written while it is sent is sent \
            again; each such item is named and the command exits 1. Keys that cannot be the same name on both \
            sides (.., control characters, bytes that are not UTF-8) are refused, never followed.

            Examples:
              phonepack sync seed-data/ obs://my-cph-bucket/seed/
              phonepack sync seed-data/ obs://my-cph-bucket/seed/ --delete --dry-run
              phonepack sync obs://my-cph-bucket/exports/ exports/ --include '*.tar' --json
              phonepack sync obs://my-cph-bucket/apps/ \\
                  oss://cloudphone-saved-bucket-demo/apps/ --size-only
              phonepack sync www/ obs://my-cph-bucket/www/ --cache-control max-age=60
            """)

    @Argument(help: "A folder or obs://, oss://, s3:// prefix.", completion: .directory)
    var source: String

    @Argument(help: "A prefix or folder.", completion: .directory)
    var destination: String

    @Flag(help: "Remove what the source lacks (only under the destination prefix or folder).")
    var delete = false

    @Flag(help: "Compare sizes only: no reading, no HEAD (faster; a same-size change is missed).")
    var sizeOnly = false

    @Flag(help: "Leave a destination item that is newer than its source.")
    var update = false

    @Flag(help: "Leave every destination item that exists, whatever it holds: only new items are sent.")
    var ignoreExisting = false

    @Flag(help: "Read a symlink in the source folder as what it points to (a file or a folder), wherever that is.")
    var followSymlinks = false

    @Option(help: "Leave out relative paths matching this wildcard (repeatable): * one level, ** any, ? one character.")
    var exclude: [String] = []

    @Option(help: "Only relative paths matching this wildcard (repeatable).")
    var include: [String] = []

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var transfer: TransferFlags
    @OptionGroup var stored: ObjectPropertyFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let fromStore = source.contains("://")
        let toStore = destination.contains("://")
        guard fromStore || toStore else { throw ValidationError("give at least one obs://, oss:// or s3:// prefix") }
        let url = try ObjectURL(parsing: toStore ? destination : source)
        var plan = SyncPlan(folder: fromStore && toStore ? "" : (fromStore ? destination : source), url: url)
        plan.delete = delete
        plan.dryRun = dryRun.dryRun
        plan.sameWhen = sizeOnly ? .size : .content
        plan.update = update
        plan.ignoreExisting = ignoreExisting
        plan.followSymlinks = followSymlinks
        plan.excludes = exclude.map(KeyPattern.init)
        plan.includes = include.map(KeyPattern.init)
        var settings = try transfer.settings(session: cloud.session())
        let store = try cloud.objectStore(for: url)
        settings.properties = try store.checked(stored.properties)
        let transferer = ObjectTransfer(store: store, settings: settings)
        let direction: TreeTransfer.Direction =
            switch (fromStore, toStore) {
            case (true, true):
                .stores(try cloud.objectStore(for: ObjectURL(parsing: source)), try ObjectURL(parsing: source))
            case (true, false): .down
            default: .up
            }
        let report = try TreeTransfer.run(transferer, plan, direction, json: outputOptions.json, verb: "copied")
        if !outputOptions.json {
            var line =
                "sync\(report.dryRun ? " (dry run, nothing sent)" : ""): \(report.copied) copied (\(formatBytes(report.bytes))), \(report.skipped) unchanged, \(report.deleted) deleted"
            if report.leftOut > 0 { line += ", \(report.leftOut) left out (symlinks or special files)" }
            if report.refused > 0 { line += ", \(report.refused) refused" }
            if report.failed > 0 { line += ", \(report.failed) failed" }
            say(line)
        }
        try TreeTransfer.check(report)
    }
}

/// Runs a transfer of a whole tree — `sync`, `upload -r`, `download -r`, a download by wildcard — and prints each
/// action as it happens (the listing is never held whole, so neither are the names): a line of text, or with
/// --json one JSON object per line, s5cmd-style, and the summary object last.
enum TreeTransfer {
    enum Direction {
        case up, down
        /// From another prefix, maybe of another store.
        case stores(ObjectStoreClient, ObjectURL)
    }

    static func run(_ transfer: ObjectTransfer, _ plan: SyncPlan, _ direction: Direction, json: Bool, verb: String)
        throws -> SyncReport
    {
        let dry = plan.dryRun
        transfer.notice = logLine
        let observe: @Sendable (SyncAction) -> Void = { action in
            if json { return print(JSONOutput.line(SyncLine(action))) }
            switch action {
            case .copied(let name, _): say("\(dry ? "would copy" : verb) \(name.terminalSafe)")
            case .deleted(let name): say("\(dry ? "would delete" : "deleted") \(name.terminalSafe)")
            case .refused(let name, let reason): printWarning("left alone: \(name.terminalSafe) \(reason)")
            case .leftOut(let name, let kind):
                printWarning(
                    "left out: \(name.terminalSafe) is a \(kind)\(kind == "symlink" ? " (--follow-symlinks reads what it points to)" : "")"
                )
            case .failed(let name, let reason): printWarning("failed: \(name.terminalSafe): \(reason)")
            }
        }
        let report =
            switch direction {
            case .up: try transfer.syncUp(plan, observe: observe)
            case .down: try transfer.syncDown(plan, observe: observe)
            case .stores(let source, let url): try transfer.syncStores(from: source, url, plan, observe: observe)
            }
        if json { print(JSONOutput.line(report)) }
        return report
    }

    /// Exit 1 when an item could not be moved safely (each was named as it happened).
    static func check(_ report: SyncReport) throws {
        guard report.failed > 0 else { return }
        throw PhonePackError(
            .checkFailed, operation: "sync", path: nil,
            message:
                "\(report.failed) item\(report.failed == 1 ? "" : "s") could not be moved safely (named above); the rest was done"
        )
    }
}
