import ArgumentParser
import PhonePackCore

struct ExtractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Unpack a phone's exported tar safely: nothing outside DIR is ever created, changed or followed.",
        discussion: """
            Meant for archives from devices you do not control. Refused (and reported, exit status 1):
            absolute paths, '..', paths through a symlink (in the archive or already in DIR), hard links \
            to anything but an earlier file, symlink or hard link this extraction created (never through a \
            symlink), a name listed again as a folder where it was a file or the other way round, names that \
            differ only in case or Unicode form where DIR's file system folds case. Sparse files are written \
            sparse. A name listed twice takes the last copy, as GNU tar does (cat, diff and inspect agree); a \
            folder listed after its contents gets its own mode and times.
            Skipped (reported, exit status 0):
            devices, FIFOs and sockets (never created), existing files (unless --overwrite).

            Symlinks are written as symlinks and never followed. setuid/setgid/sticky and world-write bits \
            are cleared and the owner keeps read/write, unless --preserve-permissions; owners only with
            --same-owner as root. Extended attributes only when asked for, by kind: --xattrs sets user.*,
            --selinux sets SELinux labels (security.selinux), --acls sets POSIX ACLs. Attributes that can \
            grant privileges (file capabilities security.capability, other security.*, trusted.*) are dropped \
            like setuid bits and counted in the report; only --privileged-xattrs sets them. DIR keeps its own \
            mode, owner and times; folders that already exist are left as they are. Times are kept to the \
            nanosecond (and before 1970). A mode, owner, time or attribute that cannot be set is listed per \
            entry and fails the command (exit 1) unless --ignore-metadata-errors.

            The archive is scanned before anything is written: damage, the limits and the free space are \
            checked first. A file is never left half-written: an interrupted or failed write removes it.

            --include/--exclude take phone paths as the export API's include_files/exclude_files do:
            /data/data/com.x selects that folder and everything in it, a trailing * matches any \
            continuation (/data/app/com.x-*), and --exclude wins.

            Examples:
              phonepack extract export.tar -C out/
              phonepack extract export.tar -C out/ --include /data/data/com.example.app
              phonepack extract export.tar -C out/ --strip-components 2 --overwrite
            """
    )

    @Argument(help: "The tar to unpack.", completion: .file())
    var archive: String

    @Option(name: .customShort("C"), help: "The folder to unpack into (created if missing).")
    var directory: String

    @Option(help: "Only unpack these phone paths (repeatable), e.g. /data/data/com.x.")
    var include: [String] = []

    @Option(help: "Leave out these phone paths (repeatable); wins over --include.")
    var exclude: [String] = []

    @Option(help: "Drop this many leading path components.")
    var stripComponents = 0

    @Flag(help: "Replace existing files (atomically).")
    var overwrite = false

    @Flag(help: "Keep setuid/setgid/sticky and world-write bits.")
    var preservePermissions = false

    @Flag(help: "Give files the archive's numeric owners (root only).")
    var sameOwner = false

    @Flag(help: "Exit 0 even when a mode, owner, time or extended attribute could not be set (still listed).")
    var ignoreMetadataErrors = false

    @Flag(help: "Set the archive's user.* extended attributes.")
    var xattrs = false

    @Flag(help: "Set SELinux labels (security.selinux).")
    var selinux = false

    @Flag(help: "Set POSIX ACLs (system.posix_acl_*).")
    var acls = false

    @Flag(help: "Set every extended attribute, file capabilities and trusted.* included (they can grant root).")
    var privilegedXattrs = false

    @Option(help: "Refuse archives with more entries than this.")
    var maxEntries = 1_000_000

    @Option(help: "Stop before writing more than this many bytes in all (e.g. 20G).")
    var maxTotalSize: ByteCount?

    @Option(help: "Refuse single entries larger than this, holes of sparse files counted (default 16G).")
    var maxEntrySize: ByteCount?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard stripComponents >= 0, maxEntries > 0 else {
            throw ValidationError("--strip-components must be 0 or more and --max-entries more than 0")
        }
    }

    func run() throws {
        var options = ExtractOptions(
            destination: directory,
            filter: try ExportPathFilter(
                includes: include.flatMap(ArchiveNameArgument.candidates),
                excludes: exclude.flatMap(ArchiveNameArgument.candidates), anyName: true))
        options.stripComponents = stripComponents
        options.overwrite = overwrite
        options.preservePermissions = preservePermissions
        options.sameOwner = sameOwner
        options.xattrs = xattrs
        options.selinux = selinux
        options.acls = acls
        options.privilegedXattrs = privilegedXattrs
        options.maxEntries = maxEntries
        options.maxTotalSize = maxTotalSize?.bytes
        options.maxEntrySize = maxEntrySize?.bytes ?? ExtractOptions.defaultMaxEntrySize

        let report = try SafeExtractor.extract(archive: archive, options: options)
        if outputOptions.json {
            print(JSONOutput.string(report))
        } else {
            printReport(report)
        }
        if !report.refused.isEmpty || (report.metadataFailureCount > 0 && !ignoreMetadataErrors) {
            throw ExitCode(ExitStatus.checkFailed)
        }
    }

    private func printReport(_ r: ExtractReport) {
        say(
            "extracted \(r.archive) into \(r.destination): \(r.files) files, \(r.directories) folders, \(r.symlinks) symlinks, \(r.hardlinks) hard links, \(formatBytes(r.bytes))"
        )
        if r.notSelected > 0 {
            say("  \(r.notSelected) entries not selected by --include/--exclude/--strip-components")
        }
        for (title, notes, count) in [
            ("skipped", r.skipped, r.skippedCount), ("refused", r.refused, r.refusedCount),
            ("not restored exactly", r.metadataFailures, r.metadataFailureCount),
        ] where count > 0 {
            say("  \(title) \(count):")
            for note in notes { say("    \(note.entry): \(note.reason)") }
            if count > notes.count { say("    … and \(count - notes.count) more") }
        }
        if r.droppedXattrs > 0 {
            printWarning(
                "\(r.droppedXattrs) extended attributes were not set: their kind was not asked for, and security.capability, trusted.* and the other privilege-bearing ones need --privileged-xattrs"
            )
        }
        if r.symlinksPointingOutside > 0 {
            printWarning(
                "\(r.symlinksPointingOutside) symlinks point outside \(r.destination) (written as links, not followed)")
        }
        for warning in r.warnings { printWarning(warning) }
        if r.refusedCount > 0 {
            printError("\(r.refusedCount) entries were refused as unsafe; the archive deserves a closer look")
        }
    }
}
