import Glibc
import PhonePackCore

/// What `phonepack release` does, the same shape for both clouds: the app, where it goes, which targets, and how
/// to send and wait.
public struct ReleasePlan: Sendable {
    public enum App: Sendable {
        /// Huawei: a shared-app tar built with these options (the release chooses `output`).
        case build(BuildOptions)
        /// Huawei: a shared-app tar built before (`phonepack build`), verified and then sent as it is.
        case tar(String)
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
    /// Waves, failure budget, pause (default: one wave).
    public var policy = RolloutPolicy()
    /// Check every id against the cloud's own listing before anything is built or sent.
    public var preflight = true
    /// The phones' API level and ABIs, for the APK's install rules.
    public var installTarget = InstallTarget()
    /// Send on purpose what the phones that have the last release would refuse: a lower versionCode, another
    /// signer (they install only where the app was uninstalled first).
    public var allowDowngrade = false
    public var allowSignerChange = false
    /// Upload only what changed since a previous tar of the package (`--no-delta`: whole), copying the rest from
    /// it inside the store: `deltaBase`, else the last completed release's object.
    public var delta = true
    public var deltaBase: ObjectURL?
    /// The package the app must be (`--package`), checked against its APK.
    public var packageName: String?

    public init(app: App, destination: ObjectURL, targets: [String]) {
        self.app = app
        self.destination = destination
        self.targets = targets
    }
}

extension ReleasePlan {
    /// `release --dry-run`: the pre-flight (field rules, and the ids against the cloud's listing unless
    /// `preflight` is off — read-only requests), then what would be built, uploaded and sent, wave by wave and call
    /// by call. Nothing is built, uploaded or sent.
    public func dryRun(fleet: Fleet) throws(PhonePackError) -> [PlannedRequest] {
        var lines: [String] = []
        let package: String?
        try ReleaseStages.checkDestination(destination, fleet.cloud == .huawei ? .huaweiShareApp : .alibabaSendFile)
        switch app {
        case .build(let options):
            package = options.packageName
            if let package {
                _ = try CPHShare.pushApps(package: package, tar: destination, preInstall: preInstall)
                    .batches(serverIDs: targets, batchSize: batchSize)
            }
            let input =
                switch options.input {
                case .directory(let folder): folder
                case .apks(let files): files.joined(separator: " ")
                case .export(let tar): tar
                }
            lines.append("build \(input) → a shared-app tar; verify (huawei-share-app)")
        case .tar(let file):
            package = nil
            lines.append("verify \(file) (huawei-share-app); released as it is")
        case .apk(let file):
            package = nil
            lines.append("verify \(file) (alibaba-sendfile)")
        }
        try fleet.checkTargets(targets, listing: preflight)
        if preflight {
            lines.append(
                "pre-flight: \(targets.count) \(plural(targets.count, fleet.targetKind)) found in the cloud's listing")
        }
        lines.append("PUT \(destination) (skipped when it already holds the same SHA-256)")
        if fleet.cloud == .huawei, delta {
            lines.append(
                "  as a delta against \(deltaBase?.description ?? "the last completed release's tar of the package") when it has a layout beside it: unchanged entries copied by the store, the rest sent"
            )
        }
        var plan = lines.map(PlannedRequest.init(line:))
        let sizes = try policy.waveSizes(total: targets.count)
        var next = 0
        // Each wave, then each of its calls as the request it is (the ids of the call in its body).
        let request =
            fleet.cloud == .huawei
            ? PlannedRequest(
                "POST", "…/cloud-phone/phones/share-apps",
                body: [
                    "package_name": .string(package ?? "<from the APK>"),
                    "pre_install_app": .number(preInstall ? 1 : 0),
                    "bucket_name": .string(destination.bucket), "object_path": .string(destination.key),
                ])
            : PlannedRequest(
                "POST", "/?Action=SendFile",
                body: [
                    "UploadUrl": .string(destination.description), "SourceFilePath": .string(phonePath),
                    "AutoInstall": .bool(true),
                ])
        let (perCall, field) =
            fleet.cloud == .huawei
            ? (batchSize, "server_ids") : (AlibabaRules.maxInstancesPerCall, "AndroidInstanceIdList")
        for (wave, size) in sizes.enumerated() {
            let members = Array(targets[next..<next + size])
            next += size
            let halt =
                wave + 1 < sizes.count
                ? "; then wait, halt if more than \(policy.maxFailures.allowed(inWaveOf: members.count)) fail\(policy.pause ? ", pause" : "")"
                : ""
            plan.append(
                PlannedRequest(
                    line:
                        "wave \(wave + 1) of \(sizes.count): \(members.count) \(plural(members.count, fleet.targetKind))\(halt)"
                ))
            for start in stride(from: 0, to: members.count, by: max(1, perCall)) {
                plan.append(request.with(field, ids: Array(members[start..<min(start + perCall, members.count)])))
            }
        }
        return plan
    }
}

/// What a release did: its record (every target with its wave and outcome) and whether the upload was needed.
public struct ReleaseReport: Codable, Sendable {
    public var record: ReleaseRecord
    /// `false` when the object already held a file with the same SHA-256 (or the release resumed).
    public var uploaded: Bool

    public init(record: ReleaseRecord, uploaded: Bool) {
        self.record = record
        self.uploaded = uploaded
    }

    /// The record's fields and `uploaded`, in one object.
    public func encode(to encoder: any Encoder) throws {
        try record.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(uploaded, forKey: .uploaded)
    }

    public init(from decoder: any Decoder) throws {
        record = try ReleaseRecord(from: decoder)
        uploaded = try decoder.container(keyedBy: Key.self).decode(Bool.self, forKey: .uploaded)
    }

    enum Key: String, CodingKey { case uploaded }
}

/// The stages both release pipelines share. A release stops at the first stage that fails, saying which: a file
/// that does not verify is never uploaded, an upload that fails is never pushed (and resumes on the next run),
/// and a rerun skips the upload when the object already has the file's SHA-256.
enum ReleaseStages {
    static func wrongApp(_ cloud: String, _ expected: String) -> PhonePackError {
        PhonePackError(
            .invalidInput, operation: "release", path: "app", message: "a \(cloud) release sends \(expected)")
    }

    /// The destination against the cloud's field rules, before anything is built, uploaded or sent.
    static func checkDestination(_ url: ObjectURL, _ profile: VerifyProfile) throws(PhonePackError) {
        let problems = profile.destinationProblems(url)
        guard problems.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "release", path: "--to",
                message: "\(url): \(problems.joined(separator: "; ")); nothing was built or sent")
        }
    }

    /// Pre-flight of the APK itself, before anything is built or uploaded: what PackageManager refuses (its
    /// signature, alignment, ABIs, SDK level), and continuity with the last completed release of the package to
    /// the same cloud (the same signer or a lineage naming it, a versionCode no lower). Warnings go to `notice`.
    static func checkInstall(
        _ apk: APKInfo, named name: String, plan: ReleasePlan, cloud: ReleaseDelivery.Cloud, history: ReleaseHistory,
        notice: (String) -> Void
    ) throws(PhonePackError) {
        var problems = InstallRules.problems(of: apk, named: name, target: plan.installTarget)
        if let last = try history.lastCompleted(package: apk.packageName, cloud: cloud),
            let installed = last.delivery.apk
        {
            problems += InstallRules.upgradeProblems(
                APKIdentity(apk), named: name, over: installed, allowDowngrade: plan.allowDowngrade,
                allowSignerChange: plan.allowSignerChange
            ).map { problem in
                var problem = problem
                problem.message += " (release \(last.id))"
                return problem
            }
        }
        for warning in problems where warning.isWarning { notice("warning: \(warning.location): \(warning.line)") }
        let failures = problems.filter { !$0.isWarning }
        guard failures.isEmpty else {
            throw PhonePackError(
                .checkFailed, operation: "release", path: name,
                message:
                    "release stopped at pre-flight: the phones would refuse it: \(failures.map(\.line).joined(separator: "; ")); nothing was built or uploaded"
            )
        }
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
        let existing = try? storedFile(destination, store: store)
        if let existing, existing.size == size, existing.sha256 == sha256 {
            notice("\(destination) already holds this file (same SHA-256); upload skipped")
            return false
        }
        var settings = settings
        settings.sha256 = sha256
        let summary = try stage("upload") { () throws(PhonePackError) in
            try ObjectTransfer(store: store, settings: settings).upload(file: file, to: destination.key)
        }
        notice(uploaded(destination, summary))
        return true
    }

    /// The notice after an upload: where, in how many parts, how fast; for a delta, what was sent and copied.
    static func uploaded(_ destination: ObjectURL, _ summary: TransferSummary) -> String {
        if let delta = summary.delta {
            return
                "uploaded \(destination): \(formatBytes(delta.sentBytes)) sent, \(formatBytes(delta.copiedBytes)) copied from \(lastPathComponent(delta.base)) (\(summary.parts) \(plural(summary.parts, "part")))"
        }
        return
            "uploaded \(destination): \(summary.parts) \(plural(summary.parts, "part")), \(Int(summary.mibPerSecond)) MiB/s"
    }

    /// The rollout a plan asks for.
    static func rollout(
        _ plan: ReleasePlan, fleet: Fleet, history: ReleaseHistory, notice: @escaping (String) -> Void,
        progress: @escaping (Int, Int) -> Void
    ) -> Rollout {
        Rollout(
            history: history, fleet: fleet, concurrency: plan.concurrency, waitTimeout: plan.waitTimeout,
            notice: notice, progress: progress)
    }

    /// Makes the record (every field of every call checked first) and runs its waves.
    static func roll(
        _ delivery: ReleaseDelivery, plan: ReleasePlan, rollout: Rollout, uploaded: Bool,
        notice: (String) -> Void
    ) throws(PhonePackError) -> ReleaseReport {
        try rollout.fleet.check(delivery, targets: plan.targets)
        var record = try ReleaseRecord(
            id: ReleaseRecord.newID(), delivery: delivery, policy: plan.policy, targets: plan.targets)
        notice(
            "release \(record.id): \(plan.targets.count) \(plural(plan.targets.count, rollout.fleet.targetKind)) in \(record.waveCount) \(plural(record.waveCount, "wave"))"
        )
        try stage("push") { () throws(PhonePackError) in try rollout.run(&record) }
        return ReleaseReport(record: record, uploaded: uploaded)
    }

    /// The object's size and SHA-256 (from its metadata or a `KEY.sha256` sidecar), or `nil` when it does not
    /// exist.
    static func storedFile(_ url: ObjectURL, store: ObjectStoreClient) throws(PhonePackError)
        -> (size: Int64, sha256: String?)?
    {
        let head: ObjectInfo
        do {
            head = try store.head(url.key)
        } catch  where error.isNotFound {
            return nil
        }
        return (head.size, head.metadata["sha256"] ?? (try? store.sidecarSHA256(of: url.key)) ?? nil)
    }

    /// Runs one stage; its error says the release stopped there.
    static func stage<T>(_ name: String, _ body: () throws(PhonePackError) -> T) throws(PhonePackError) -> T {
        do {
            return try body()
        } catch {
            throw stopped(at: name, error)
        }
    }

    /// `error`, saying the release stopped at stage `name`.
    static func stopped(at name: String, _ error: PhonePackError) -> PhonePackError {
        var error = error
        error.message = "release stopped at \(name): " + error.message
        return error
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
