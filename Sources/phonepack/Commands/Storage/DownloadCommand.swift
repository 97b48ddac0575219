import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download an object in parallel ranges, resumable, checked before it gets its name.",
        discussion: """
            Bytes go to a hidden .NAME.phonepack-partial file beside FILE. The CRC-64 (OSS), the ETag when it is \
            an MD5, and the stored or given SHA-256 are checked before the rename; a mismatch deletes the partial \
            file and exits 1. Interrupted downloads resume when the same command runs again, if the object's ETag \
            is unchanged. A download that cannot fit in the free space is refused before it starts.
            FILE - writes the object to standard output, in order (one GET at a time; after a broken connection \
            the next asks for the rest), and nothing else; the checks run at the end and a mismatch exits 1.
            -r downloads every object below a prefix into the folder (created if missing), each to its path under \
            the prefix. A URL with wildcards (* within a level, ** across levels, ? one character; quote it) downloads \
            every match, each to its path below the last / before the first wildcard; no match is an error. Keys \
            that cannot be a path inside the folder (.., control characters) are refused, and a symlink on the way \
            stops the download rather than be written through.

            Examples:
              phonepack download obs://my-cph-bucket/apps/app.tar .
              phonepack download obs://my-cph-bucket/exports/phone0001.tar - | tar -t
              phonepack download 'obs://my-cph-bucket/exports/*.tar' exports/
              phonepack download -r oss://cloudphone-saved-bucket-demo/seed/ seed-data/
            """)

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @Argument(
        help: "Where to write it (a folder takes the object's name; - for standard output).", completion: .file())
    var file: String

    @Flag(name: .shortAndLong, help: "URL is a prefix: download every object below it into the folder FILE.")
    var recursive = false

    @OptionGroup var transfer: TransferFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        if recursive || KeyPattern.hasWildcards(target.key) { return try downloadTree(target) }
        guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
            throw ValidationError("give one object's key, not a bucket or prefix: \(url)")
        }
        if file == "-" {
            let settings = try transfer.settings(session: cloud.session())
            let output = OpenFile.standardOutput()
            let summary = try TransferRunner(flags: transfer, silent: true).run(
                try cloud.objectStore(for: target), settings
            ) {
                try $0.downloadStream(target.key, to: output)
            }
            // Standard output holds the object: the summary, when asked for, goes to standard error.
            if outputOptions.json { writeToStandardError(JSONOutput.string(summary!) + "\n") }
            return
        }
        var destination = file
        if let status = try FileStatus.ifExists(file), status.isDirectory {
            destination = joinPath(file, lastPathComponent(target.key))
        } else if file.hasSuffix("/") {
            // A folder named with its trailing slash is made, as -r makes its folder.
            try makeDirectories(file, mode: 0o755)
            destination = joinPath(file, lastPathComponent(target.key))
        }
        let settings = try transfer.settings(session: cloud.session())
        let store = try cloud.objectStore(for: target)
        let summary = try TransferRunner(flags: transfer, silent: outputOptions.silent, quiet: outputOptions.quiet).run(
            store, settings
        ) {
            try $0.download(target.key, to: destination)
        }
        guard let summary else { return }
        summary.print(json: outputOptions.json, from: target.description, to: destination)
    }

    /// `-r` and wildcards: a sync down that compares nothing, with the wildcard as its only include.
    private func downloadTree(_ target: ObjectURL) throws {
        guard file != "-" else { throw ValidationError("many objects cannot go to standard output; give a folder") }
        if let status = try FileStatus.ifExists(file), !status.isDirectory {
            throw ValidationError("\(file) is not a folder: -r and wildcards download into one")
        }
        var base = target
        var include: [KeyPattern] = []
        if KeyPattern.hasWildcards(target.key) {
            // Names are kept from the last / before the first wildcard: 'logs/2024-*/app.log' → 2024-01/app.log.
            let literal = KeyPattern(target.key).prefix
            let cut =
                literal.utf8.lastIndex(of: UInt8(ascii: "/")).map { literal.utf8.index(after: $0) }
                ?? literal.startIndex
            base.key = String(literal[..<cut])
            include = [KeyPattern(String(target.key.unicodeScalars.dropFirst(base.key.unicodeScalars.count)))]
        }
        var plan = SyncPlan(folder: file, url: base)
        plan.compare = false
        plan.includes = include
        let transferer = ObjectTransfer(
            store: try cloud.objectStore(for: target),
            settings: try transfer.settings(session: cloud.session()))
        let report = try TreeTransfer.run(transferer, plan, .down, json: outputOptions.json, verb: "downloaded")
        try TreeTransfer.check(report)
        // A file already there with the same content is not fetched again, and still counts as a match.
        guard report.copied + report.skipped > 0 else {
            throw PhonePackError(.notFound, operation: "download", path: url.terminalSafe, message: "no object matches")
        }
        if !outputOptions.json {
            let same = report.skipped > 0 ? ", \(report.skipped) already there" : ""
            say("downloaded \(report.copied) objects (\(formatBytes(report.bytes))) to \(file)\(same)")
        }
    }
}
