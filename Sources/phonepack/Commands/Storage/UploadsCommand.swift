import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct UploadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "List or abort unfinished multipart uploads (they cost storage until completed or aborted).",
        discussion: """
            Examples:
              phonepack uploads ls obs://my-cph-bucket/
              phonepack uploads abort obs://my-cph-bucket/apps/ --all --dry-run
            """,
        subcommands: [UploadsList.self, UploadsAbort.self])
}

struct UploadsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List unfinished uploads under a prefix.",
        discussion: """
            Examples:
              phonepack uploads ls obs://my-cph-bucket/apps/ --json
            """)

    @Argument(help: "obs://bucket/prefix, oss://bucket/prefix or s3://bucket/prefix.")
    var url: String

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let uploads = try cloud.objectStore(for: target).listMultipartUploads(prefix: target.key)
        if outputOptions.json {
            return print(JSONOutput.string(UploadListing(uploads: uploads)))
        }
        if uploads.isEmpty { return say("no unfinished uploads under \(url)") }
        let width = max(9, uploads.map(\.uploadID.count).max() ?? 0)
        say("\("INITIATED".padded(to: 26)) \("UPLOAD ID".padded(to: width))  KEY")
        for upload in uploads {
            say(
                "\((upload.initiated ?? "").padded(to: 26)) \(upload.uploadID.terminalSafe.padded(to: width))  \(upload.key.terminalSafe)"
            )
        }
    }
}

struct UploadsAbort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort unfinished uploads: one (--upload-id) or every one under the prefix (--all).",
        discussion: """
            Examples:
              phonepack uploads abort obs://my-cph-bucket/apps/big.obb \\
                  --upload-id UPLOAD-ID
              phonepack uploads abort obs://my-cph-bucket/ --all
            """)

    @Argument(help: "obs://bucket/key (with --upload-id) or obs://bucket/prefix (with --all).")
    var url: String

    @Option(help: "The upload to abort (from uploads ls).")
    var uploadId: String?

    @Flag(help: "Abort every unfinished upload under the prefix.")
    var all = false

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (uploadId != nil) != all else { throw ValidationError("give --upload-id ID or --all") }
    }

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let store = try cloud.objectStore(for: target)
        let uploads =
            all
            ? try store.listMultipartUploads(prefix: target.key)
            : [PendingUpload(key: target.key, uploadID: uploadId!, initiated: nil)]
        let requests = uploads.map {
            PlannedRequest("DELETE", "\(target.scheme)://\(target.bucket)/\($0.key)?uploadId=\($0.uploadID)")
        }
        if outputOptions.json, dryRun.dryRun {
            return print(JSONOutput.string(UploadListing(uploads: uploads, aborted: false, dryRun: true)))
        }
        if dryRun.show(
            requests, summary: "\(uploads.count) \(uploads.count == 1 ? "upload" : "uploads") to abort",
            json: outputOptions.json)
        {
            return
        }
        for upload in uploads {
            try store.abortMultipart(upload.key, uploadID: upload.uploadID)
            if !outputOptions.json { say("aborted \(upload.uploadID.terminalSafe)  \(upload.key.terminalSafe)") }
        }
        if outputOptions.json {
            return print(JSONOutput.string(UploadListing(uploads: uploads, aborted: true, dryRun: false)))
        }
        if uploads.isEmpty { say("no unfinished uploads under \(url)") }
    }
}
