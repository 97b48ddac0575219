import Glibc
import PhonePackCore

/// What `phonepack release` does, the same shape for both clouds: the app, where it goes, which targets, and how
/// to send and wait.
public struct ReleasePlan: Sendable {
    public enum App: Sendable {
        /// Huawei: a shared-app tar built with these options (the release chooses `output`).
        case build(BuildOptions)
        /// Alibaba: an APK, sent as it is.
        case apk(String)
    }

    public var app: App
    public var destination: ObjectURL
    /// CPH server ids or Alibaba instance ids.
    public var targets: [String]
    public var concurrency = 4
    /// `nil`: return once the jobs exist.
    public var waitTimeout: Double? = 1800
    /// Huawei: pre-install, and server ids per PushShareApps call.
    public var preInstall = false
    public var batchSize = CPHRequestRules.maxServersPerShareCall
    /// Alibaba: the folder on the phone, and the OSS endpoint the phones fetch from.
    public var phonePath = "/sdcard/Download/"
    public var uploadEndpoint = ""

    public init(app: App, destination: ObjectURL, targets: [String]) {
        self.app = app
        self.destination = destination
        self.targets = targets
    }
}

/// What a release did: the file it sent, whether the upload was needed, and every target's outcome.
public struct ReleaseReport: Codable, Sendable {
    public var package: String
    public var sha256: String
    public var size: Int64
    public var object: String
    /// `false` when the object already held a file with the same SHA-256.
    public var uploaded: Bool
    public var outcomes: [TargetOutcome]
}

/// The stages both release pipelines share. A release stops at the first stage that fails, saying which: a file
/// that does not verify is never uploaded, an upload that fails is never pushed (and resumes on the next run),
/// and a rerun skips the upload when the object already has the file's SHA-256.
enum ReleaseStages {
    static func wrongApp(_ cloud: String, _ expected: String) -> PhonePackError {
        PhonePackError(
            .invalidInput, operation: "release", path: "app", message: "a \(cloud) release sends \(expected)")
    }

    /// Throws "release stopped at verify" naming every failed rule.
    static func requirePassed(_ report: VerifyReport, path: String) throws(PhonePackError) {
        guard !report.passed else { return }
        let failed = report.rules.filter { $0.status == .fail }.map { "\($0.id): \($0.detail)" }
        throw PhonePackError(
            .checkFailed, operation: "release", path: path,
            message: "release stopped at verify: \(failed.joined(separator: "; ")); nothing was uploaded")
    }

    /// Uploads `file` with its SHA-256 as metadata, unless the object already holds it (same size and SHA-256,
    /// from metadata or a `KEY.sha256` sidecar). Returns whether it uploaded.
    static func upload(
        _ file: String, size: Int64, sha256: String, to destination: ObjectURL, store: ObjectStoreClient,
        settings: TransferSettings, notice: (String) -> Void
    ) throws(PhonePackError) -> Bool {
        let existing = try? store.head(destination.key)
        let known =
            existing?.metadata["sha256"] ?? (existing != nil ? try? store.sidecarSHA256(of: destination.key) : nil)
        if existing?.size == size, known == sha256 {
            notice("\(destination) already holds this file (same SHA-256); upload skipped")
            return false
        }
        var settings = settings
        settings.sha256 = sha256
        let summary = try stage("upload") { () throws(PhonePackError) in
            try ObjectTransfer(store: store, settings: settings).upload(file: file, to: destination.key)
        }
        notice("uploaded \(destination): \(summary.parts) parts, \(String(Int(summary.mibPerSecond))) MiB/s")
        return true
    }

    /// Runs one stage; its error says the release stopped there.
    static func stage<T>(_ name: String, _ body: () throws(PhonePackError) -> T) throws(PhonePackError) -> T {
        do {
            return try body()
        } catch {
            var error = error
            error.message = "release stopped at \(name): " + error.message
            if name == "upload" { error.message += " (run the same release again to resume)" }
            throw error
        }
    }

    static func temporaryFolder() throws(PhonePackError) -> String {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array(joinPath(base, "phonepack-release.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw .system("mkdtemp", errno: errno, path: base, operation: "make a work folder") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Deletes the work folder (flat: the tar and its .sha256).
    static func removeTree(_ path: String) {
        for name in (try? sortedDirectoryEntries(path)) ?? [] { unlink(joinPath(path, name)) }
        rmdir(path)
    }
}
