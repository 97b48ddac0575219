import ArgumentParser
import Dispatch
import Glibc
import PhonePackCloud
import PhonePackCore
import Synchronization

/// Flags shared by `upload` and `download`.
struct TransferFlags: ParsableArguments {
    @Option(
        help:
            "Part (upload) or range (download) size, e.g. 8M or 64MiB. Default: 8 MiB, grown to stay within 10,000 parts."
    )
    var partSize: String?

    @Option(name: .shortAndLong, help: "Parts in flight at once, each on its own connection.")
    var jobs = 4

    @Option(help: "Total bandwidth cap in bytes per second, e.g. 20M (split across the parallel connections).")
    var limitRate: String?

    @Option(
        help: "The content's SHA-256: stored as metadata on upload (else read from FILE.sha256), checked on download.")
    var sha256: String?

    @Flag(inversion: .prefixedNo, help: "Show a progress bar (default: when stderr is a terminal and not --json).")
    var progress: Bool?

    func settings(environment: [String: String]) throws -> TransferSettings {
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs takes 1 to 64") }
        var settings = TransferSettings(stateDirectory: transferStateDirectory(environment: environment))
        settings.jobs = jobs
        settings.partSize = try partSize.map { try parseByteCount($0, flag: "--part-size") }
        if let limitRate {
            let rate = try parseByteCount(limitRate, flag: "--limit-rate")
            // Each connection must move at least 1 KiB/s or it counts as stalled (a trickling server is cut off).
            guard rate >= 2048 * Int64(jobs) else {
                throw ValidationError(
                    "--limit-rate must be at least \(2 * jobs)K per second with --jobs \(jobs) (2K per connection); lower --jobs for a slower rate"
                )
            }
            settings.limitRate = rate
        }
        if let sha256 {
            guard ChecksumLine.isSHA256(sha256) else {
                throw ValidationError("--sha256 takes 64 hex digits, not '\(sha256)'")
            }
            settings.sha256 = sha256.lowercased()
        }
        return settings
    }
}

struct UploadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload",
        abstract: "Upload a file to obs://, oss:// or s3://: parallel parts, resumable, checked end to end.",
        discussion: """
            Up to one part's size the file goes in one PUT; above, as a multipart upload with --jobs parts in
            flight. Every request carries Content-MD5; each part's ETag (and on OSS its CRC-64) is compared with
            what was sent, and the finished object's size, multipart ETag and CRC-64 are checked too.
            If the upload is interrupted (network, Ctrl-C, kill -9), run the same command again: only the missing
            parts are sent (the server's part list is checked first). A changed file starts over.
            When FILE.sha256 exists (phonepack build writes it) or --sha256 is given, the SHA-256 is stored as
            object metadata so download and release can check it without hashing twice.
            """)

    @Argument(help: "The file to upload.")
    var file: String

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key (a key ending in / takes the file's name).")
    var url: String

    @OptionGroup var transfer: TransferFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        var target = try ObjectURL(parsing: url)
        if target.key.isEmpty || target.key.hasSuffix("/") { target.key += lastPathComponent(file) }
        var settings = try transfer.settings(environment: cloud.environment)
        if settings.sha256 == nil { settings.sha256 = knownSHA256(of: file) }
        let store = try cloud.objectStore(for: target)
        let summary = try TransferRunner(flags: transfer, json: outputOptions.json).run(store, settings) {
            try $0.upload(file: file, to: target.key)
        }
        summary.print(json: outputOptions.json, from: file, to: target.description)
    }

    /// The SHA-256 in `FILE.sha256` (as `phonepack build` and `sha256sum` write it) if it is not older than FILE.
    func knownSHA256(of path: String) -> String? {
        guard let sidecar = try? OpenFile.forReading(path + ".sha256"), let text = try? sidecar.readToEnd(limit: 4096),
            let sidecarTime = try? sidecar.status().mtimeNanoseconds,
            let fileTime = try? FileStatus.of(path).mtimeNanoseconds, sidecarTime >= fileTime
        else { return nil }
        return ChecksumLine.sha256(in: text)
    }
}

struct DownloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "download",
        abstract: "Download an object in parallel ranges, resumable, checked before it gets its name.",
        discussion: """
            Bytes go to a hidden .NAME.phonepack-partial file beside FILE. The CRC-64 (OSS), the ETag when it is
            an MD5, and the stored or given SHA-256 are checked before the rename; a mismatch deletes the partial
            file and exits 1. Interrupted downloads resume when the same command runs again, if the object's ETag
            is unchanged. A download that cannot fit in the free space is refused before it starts.
            """)

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @Argument(help: "Where to write it (a folder takes the object's name).")
    var file: String

    @OptionGroup var transfer: TransferFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
            throw ValidationError("give one object's key, not a bucket or prefix: \(url)")
        }
        var destination = file
        if let status = try FileStatus.ifExists(file), status.isDirectory {
            destination = joinPath(file, lastPathComponent(target.key))
        }
        let settings = try transfer.settings(environment: cloud.environment)
        let store = try cloud.objectStore(for: target)
        let summary = try TransferRunner(flags: transfer, json: outputOptions.json).run(store, settings) {
            try $0.download(target.key, to: destination)
        }
        summary.print(json: outputOptions.json, from: target.description, to: destination)
    }
}

/// Runs one transfer with notices and the progress bar on stderr.
struct TransferRunner {
    var flags: TransferFlags
    var json: Bool

    func run(
        _ store: ObjectStoreClient, _ settings: TransferSettings,
        _ body: (ObjectTransfer) throws -> TransferSummary
    ) throws -> TransferSummary {
        let transfer = ObjectTransfer(store: store, settings: settings)
        transfer.notice = logLine
        let showBar = flags.progress ?? (!json && isatty(2) != 0)
        let bar = showBar ? ProgressBar(progress: transfer.progress) : nil
        defer { bar?.stop() }
        return try body(transfer)
    }
}

extension TransferSummary {
    func print(json: Bool, from source: String, to destination: String) {
        if json {
            Swift.print(JSONOutput.string(self))
            return
        }
        var line = "\(operation)ed \(source) → \(destination): \(formatBytes(bytes)) in "
        line += String(format1(seconds)) + " s (\(format1(mibPerSecond)) MiB/s"
        if multipart { line += ", \(parts) parts" }
        if resumedParts > 0 { line += ", \(resumedParts) resumed" }
        if retries > 0 { line += ", \(retries) retries" }
        line += ")"
        say(line)
        var checks: [String] = []
        if let etag { checks.append("etag \(etag)") }
        if let crc64 { checks.append("crc64 \(crc64)") }
        if let sha256 { checks.append("sha256 \(sha256)") }
        if !checks.isEmpty { say("  " + checks.joined(separator: "  ")) }
    }
}

func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}

/// A one-line bar on stderr, redrawn five times a second: percent, bytes, rate and time left.
final class ProgressBar: @unchecked Sendable {
    private let progress: TransferProgress
    private let timer: any DispatchSourceTimer
    private let started = CloudTime.monotonicSeconds()

    init(progress: TransferProgress) {
        self.progress = progress
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "phonepack.progress"))
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
        timer.setEventHandler { [weak self] in self?.draw(final: false) }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        draw(final: true)
    }

    private func draw(final: Bool) {
        let total = max(progress.total.load(ordering: .relaxed), 0)
        let done = min(max(progress.done.load(ordering: .relaxed), 0), total)
        let elapsed = max(CloudTime.monotonicSeconds() - started, 0.001)
        let rate = Double(done) / elapsed
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        var line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
        line += "\(Int(fraction * 100))% \(formatBytes(done))/\(formatBytes(total)) \(formatBytes(Int64(rate)))/s"
        if rate > 0 && done < total { line += " ETA \(Int(Double(total - done) / rate))s" }
        line += "   "
        writeToStandardError(final ? line + "\n" : line)
    }
}

struct UploadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "List or abort unfinished multipart uploads (they cost storage until completed or aborted).",
        subcommands: [UploadsList.self, UploadsAbort.self])
}

struct UploadsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List unfinished uploads under a prefix.")

    @Argument(help: "obs://bucket/prefix, oss://bucket/prefix or s3://bucket/prefix.")
    var url: String

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let uploads = try cloud.objectStore(for: target).listMultipartUploads(prefix: target.key)
        if outputOptions.json {
            print(JSONOutput.string(uploads))
            return
        }
        for upload in uploads { say("\((upload.initiated ?? "").padded(to: 26)) \(upload.uploadID)  \(upload.key)") }
        if uploads.isEmpty { say("no unfinished uploads under \(url)") }
    }
}

struct UploadsAbort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "abort",
        abstract: "Abort unfinished uploads: one (--upload-id) or every one under the prefix (--all).")

    @Argument(help: "obs://bucket/key (with --upload-id) or obs://bucket/prefix (with --all).")
    var url: String

    @Option(help: "The upload to abort (from uploads ls).")
    var uploadId: String?

    @Flag(help: "Abort every unfinished upload under the prefix.")
    var all = false

    @OptionGroup var cloud: CloudOptions

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
        for upload in uploads {
            try store.abortMultipart(upload.key, uploadID: upload.uploadID)
            say("aborted \(upload.uploadID)  \(upload.key)")
        }
        if uploads.isEmpty { say("no unfinished uploads under \(url)") }
    }
}
