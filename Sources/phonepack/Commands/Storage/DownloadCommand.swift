import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download an object in parallel ranges, resumable, checked before it gets its name.",
        discussion: """
            Bytes go to a hidden .NAME.phonepack-partial file beside FILE. The CRC-64 (OSS), the ETag when it is
            an MD5, and the stored or given SHA-256 are checked before the rename; a mismatch deletes the partial
            file and exits 1. Interrupted downloads resume when the same command runs again, if the object's ETag
            is unchanged. A download that cannot fit in the free space is refused before it starts.
            FILE - writes the object to standard output, in order (one GET at a time; after a broken connection
            the next asks for the rest), and nothing else; the checks run at the end and a mismatch exits 1.
            Example: phonepack download obs://bucket/backup.tar - | tar -t
            """)

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @Argument(help: "Where to write it (a folder takes the object's name; - for standard output).")
    var file: String

    @OptionGroup var transfer: TransferFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
            throw ValidationError("give one object's key, not a bucket or prefix: \(url)")
        }
        if file == "-" {
            let settings = transfer.settings(environment: cloud.session().environment)
            let output = OpenFile.standardOutput()
            let summary = try TransferRunner(flags: transfer, json: true).run(
                try cloud.objectStore(for: target), settings
            ) {
                try $0.downloadStream(target.key, to: output)
            }
            // Standard output holds the object: the summary, when asked for, goes to standard error.
            if outputOptions.json { writeToStandardError(JSONOutput.string(summary) + "\n") }
            return
        }
        var destination = file
        if let status = try FileStatus.ifExists(file), status.isDirectory {
            destination = joinPath(file, lastPathComponent(target.key))
        }
        let settings = transfer.settings(environment: cloud.session().environment)
        let store = try cloud.objectStore(for: target)
        let summary = try TransferRunner(flags: transfer, json: outputOptions.json).run(store, settings) {
            try $0.download(target.key, to: destination)
        }
        summary.print(json: outputOptions.json, from: target.description, to: destination)
    }
}
