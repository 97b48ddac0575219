import Glibc
import PhonePackCore

/// What `phonepack release` does, in order: build → verify → upload → push → wait.
public struct ReleasePlan: Sendable {
    public var build: BuildOptions
    public var destination: ObjectURL
    public var serverIDs: [String]
    public var preInstall = false
    public var batchSize = CPHRequestRules.maxServersPerShareCall
    public var concurrency = 4
    /// `nil`: return once the jobs exist.
    public var waitTimeout: Double? = 1800

    public init(build: BuildOptions, destination: ObjectURL, serverIDs: [String]) {
        self.build = build
        self.destination = destination
        self.serverIDs = serverIDs
    }
}

/// What a release did: the tar it built, whether the upload was needed, and every server's outcome.
public struct ReleaseReport: Codable, Sendable {
    public var package: String
    public var sha256: String
    public var size: Int64
    public var object: String
    /// `false` when the object already held a tar with the same SHA-256.
    public var uploaded: Bool
    public var outcomes: [TargetOutcome]
}

/// The Huawei release pipeline. It stops at the first stage that fails, saying which: a tar that does not
/// verify is never uploaded, an upload that fails is never pushed (and resumes on the next run), and a rerun
/// skips the upload when the object already has the tar's SHA-256.
public enum HuaweiRelease {
    public static func run(
        _ plan: ReleasePlan, store: ObjectStoreClient, cph: CPHClient, transfer settings: TransferSettings,
        notice: (String) -> Void, progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> ReleaseReport {
        // Check the push request first: a bad package name or server id should not cost a build and an upload.
        if let package = plan.build.packageName {
            for start in stride(from: 0, to: plan.serverIDs.count, by: plan.batchSize) {
                try CPHRequestRules.shareApps(
                    packageName: package, bucket: plan.destination.bucket, objectPath: plan.destination.key,
                    serverIDs: Array(plan.serverIDs[start..<min(start + plan.batchSize, plan.serverIDs.count)]))
            }
        }
        let workFolder = try temporaryFolder()
        defer { removeTree(workFolder) }
        var options = plan.build
        options.output = joinPath(workFolder, lastPathComponent(plan.destination.key))
        let built = try stage("build") { () throws(PhonePackError) in try SharedAppBuilder.build(options) }
        notice(
            "built \(built.package.packageName) \(built.package.versionDescription): \(formatBytes(built.size)), sha256 \(built.sha256)"
        )

        let report = try stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: built.output,
                options: VerifyOptions(
                    profile: .huaweiShareApp, packageName: built.package.packageName, expectedSHA256: built.sha256,
                    destination: plan.destination))
        }
        guard report.passed else {
            let failed = report.rules.filter { $0.status == .fail }.map { "\($0.id): \($0.detail)" }
            throw PhonePackError(
                .checkFailed, operation: "release", path: built.output,
                message: "release stopped at verify: \(failed.joined(separator: "; ")); nothing was uploaded")
        }
        notice("verified: \(report.rules.filter { $0.status == .pass }.count) rules pass")

        let existing = try? store.head(plan.destination.key)
        let known =
            existing?.metadata["sha256"] ?? (existing != nil ? try? store.sidecarSHA256(of: plan.destination.key) : nil)
        var uploaded = false
        if existing?.size == built.size, known == built.sha256 {
            notice("\(plan.destination) already holds this tar (same SHA-256); upload skipped")
        } else {
            var transferSettings = settings
            transferSettings.sha256 = built.sha256
            let summary = try stage("upload") { () throws(PhonePackError) in
                try ObjectTransfer(store: store, settings: transferSettings).upload(
                    file: built.output, to: plan.destination.key)
            }
            uploaded = true
            notice("uploaded \(plan.destination): \(summary.parts) parts, \(String(Int(summary.mibPerSecond))) MiB/s")
        }

        let outcomes = try stage("push") { () throws(PhonePackError) in
            try cph.pushShareApps(
                package: built.package.packageName, tar: plan.destination, serverIDs: plan.serverIDs,
                preInstall: plan.preInstall, batchSize: plan.batchSize, concurrency: plan.concurrency,
                waitTimeout: plan.waitTimeout, progress: progress)
        }
        return ReleaseReport(
            package: built.package.packageName, sha256: built.sha256, size: built.size,
            object: plan.destination.description, uploaded: uploaded, outcomes: outcomes)
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
