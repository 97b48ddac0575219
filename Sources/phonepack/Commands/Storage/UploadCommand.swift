import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct UploadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload a file to obs://, oss:// or s3://: parallel parts, resumable, checked end to end.",
        discussion: """
            Up to one part's size the file goes in one PUT; above, as a multipart upload with --jobs parts in \
            flight. Every request carries Content-MD5; each part's ETag (and on OSS its CRC-64) is compared with \
            what was sent, and the finished object's size, multipart ETag and CRC-64 are checked too.
            If the upload is interrupted (network, Ctrl-C, kill -9), run the same command again: only the missing \
            parts are sent (the server's part list is checked first). A changed file starts over.
            When FILE.sha256 exists (phonepack build writes it) or --sha256 is given, the SHA-256 is stored as \
            object metadata so download and release can check it without hashing twice.
            FILE - reads standard input to its end, cut into --part-size parts in memory ((--jobs + 1) parts at \
            most), with its SHA-256 stored in KEY.sha256; a stream cannot be resumed, so a failure aborts it.
            -r uploads every regular file below a folder to the prefix, keyed by its path inside the folder (the \
            folder's own name is not part of the key), several files at once; symlinks and special files are \
            named and left out (--follow-symlinks reads symlinks). Use sync to send only what changed.
            The Content-Type comes from the file's name (.apk, .tar, .json, .png, …) unless --content-type says; \
            --cache-control, --content-disposition, --storage-class, --acl, --metadata and --sse are stored too. \
            A file written while it is uploaded is detected (its size, times and inode are checked after the last \
            byte): nothing of it is kept and the command fails, rather than store an object that does not match \
            its SHA-256. --no-clobber leaves an object that exists as it is.
            --base URL uploads a tar as a delta: its entries whose bytes the tar at URL holds too (its \
            KEY.layout.json says where) are copied by the store (UploadPartCopy, each part's MD5 checked against \
            the local bytes, sent instead when they differ); the rest is sent. The object is the same bytes as \
            FILE either way, and gets a layout of its own. --dry-run prints the parts.

            Examples:
              phonepack upload app.tar obs://my-cph-bucket/apps/app.tar
              phonepack upload big.obb oss://cloudphone-saved-bucket-demo/obb/ -j 8 \\
                  --limit-rate 50M
              tar -c data/ | phonepack upload - obs://my-cph-bucket/backups/data.tar
              phonepack upload -r seed-data/ obs://my-cph-bucket/seed/
              phonepack upload v2.tar obs://my-cph-bucket/apps/v2.tar \\
                  --base obs://my-cph-bucket/apps/v1.tar
            """)

    @Argument(
        help: "The file to upload, or - for standard input (streamed in parts; the key must be given).",
        completion: .file())
    var file: String

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key (a key ending in / takes the file's name).")
    var url: String

    @Flag(name: .shortAndLong, help: "FILE is a folder: upload every file below it to the prefix URL.")
    var recursive = false

    @Flag(help: "With -r: read a symlink as what it points to (a file or a folder), wherever that is.")
    var followSymlinks = false

    @Option(
        help: ArgumentHelp(
            "FILE is a new version of the tar at URL (same store, with a .layout.json beside it): send only the entries that changed, the store copies the rest.",
            valueName: "url"))
    var base: String?

    @Flag(
        help:
            "Store KEY.layout.json beside the object, so a later upload can be a delta against it (implied by --base).")
    var keepLayout = false

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var transfer: TransferFlags
    @OptionGroup var stored: ObjectPropertyFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        var target = try ObjectURL(parsing: url)
        if recursive {
            guard (try FileStatus.ifExists(file))?.isDirectory == true else {
                throw ValidationError("-r takes a folder: \(file) is not one")
            }
            var plan = SyncPlan(folder: file, url: target)
            plan.compare = false
            plan.followSymlinks = followSymlinks
            let store = try cloud.objectStore(for: target)
            var settings = try transfer.settings(session: cloud.session())
            settings.properties = try store.checked(stored.properties)
            let transferer = ObjectTransfer(store: store, settings: settings)
            let report = try TreeTransfer.run(transferer, plan, .up, json: outputOptions.json, verb: "uploaded")
            try TreeTransfer.check(report)
            // A file the store already holds with the same content is not sent again, and still counts.
            guard report.copied + report.skipped > 0 else { throw ValidationError("no files below \(file)") }
            if !outputOptions.json {
                let same = report.skipped > 0 ? ", \(report.skipped) already there" : ""
                say("uploaded \(report.copied) files (\(formatBytes(report.bytes))) to \(target)\(same)")
            }
            return
        }
        if file == "-" {
            guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
                throw ValidationError("standard input has no name: give the object's key, e.g. \(url)backup.tar")
            }
            var settings = try transfer.settings(session: cloud.session())
            let store = try cloud.objectStore(for: target)
            settings.properties = try store.checked(stored.properties)
            let input = OpenFile.standardInput()
            let summary = try TransferRunner(flags: transfer, silent: outputOptions.silent, quiet: outputOptions.quiet)
                .run(store, settings) { try $0.uploadStream(from: input, to: target.key) }
            guard let summary else { return }
            return summary.print(json: outputOptions.json, from: "standard input", to: target.description)
        }
        if target.key.isEmpty || target.key.hasSuffix("/") { target.key += lastPathComponent(file) }
        var settings = try transfer.settings(session: cloud.session())
        if settings.sha256 == nil { settings.sha256 = ChecksumLine.sidecarSHA256(of: file) }
        let store = try cloud.objectStore(for: target)
        settings.properties = try store.checked(stored.properties)
        let baseURL = try base.map { try ObjectURL(parsing: $0) }
        if let baseURL, baseURL.scheme != target.scheme {
            throw ValidationError("--base must be in the same store as the upload (\(target.scheme.rawValue)://…)")
        }
        if dryRun.dryRun {
            let lines = try ObjectTransfer(store: store, settings: settings).plan(
                file: file, to: target.key, base: baseURL)
            _ = dryRun.show(lines: lines, summary: "1 object", json: outputOptions.json)
            return
        }
        let tarLayout = baseURL != nil || keepLayout
        let summary = try TransferRunner(flags: transfer, silent: outputOptions.silent, quiet: outputOptions.quiet).run(
            store, settings
        ) { transfer in
            guard tarLayout else { return try transfer.upload(file: file, to: target.key) }
            return try transfer.uploadTar(
                file: file, sha256: settings.sha256, to: target.key, base: baseURL, keepLayout: true)
        }
        guard let summary else { return }
        summary.print(json: outputOptions.json, from: file, to: target.description)
    }
}
