import Glibc
import PhonePackCore

/// One phone's part of a `pull`: where its export went and what came out of it.
public struct PulledPhone: Codable, Sendable {
    public var outcome: TargetOutcome
    public var object: String?
    public var folder: String?
    public var files: Int?
    public var bytes: Int64?
    /// Apps found in the export, with their sizes, owner and label (as `inspect --summary` shows them).
    public var apps: [ExportSummary.App]?
}

/// Getting phone data back: export (or FetchFile) → wait → download → safe extract → summary, per phone, so one
/// failed phone never hides what the others returned. Each phone's data lands in `DIR/<phone id>/`.
public enum PullPipeline {
    /// Huawei: BatchExportCloudPhoneData of `includes` (minus `excludes`) to `prefix/<phone>.tar` in OBS.
    public static func huawei(
        phones: [String], includes: [String], excludes: [String], to prefix: ObjectURL, into folder: String,
        cph: CPHClient, store: ObjectStoreClient, transfer: TransferSettings, timeout: Double,
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [PulledPhone] {
        _ = try ExportPathFilter(includes: includes, excludes: excludes)
        try requireFolderNames(phones)
        let base = prefix.key.isEmpty || prefix.key.hasSuffix("/") ? prefix.key : prefix.key + "/"
        let key: @Sendable (String) -> String = { base + $0 + ".tar" }
        let entry: @Sendable (String) -> CPHStorageInfo = { phone in
            CPHStorageInfo(
                phone_id: phone, include_files: includes, exclude_files: excludes.isEmpty ? nil : excludes,
                bucket_name: prefix.bucket, object_path: key(phone))
        }
        for phone in phones { try CPHRequestRules.export(entry(phone)) }
        let outcomes = try cph.fanOut(
            phones, limit: CPHRequestRules.maxServersPerShareCall, waitTimeout: timeout, progress: progress
        ) {
            (client, chunk) throws(PhonePackError) in
            try client.exportData(chunk.map(entry))
        }
        return try collect(outcomes, into: folder, store: store, transfer: transfer, key: key)
    }

    /// Alibaba: FetchFile of `path` into the `folder/` of a `cloudphone-saved-bucket-*` bucket (made if missing);
    /// the key the service chose is found by listing `folder/<instance>/`.
    public static func alibaba(
        instances: [String], path: String, to prefix: ObjectURL, endpoint uploadEndpoint: String, into folder: String,
        phones: AlibabaPhoneClient, store: ObjectStoreClient, transfer: TransferSettings, timeout: Double,
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [PulledPhone] {
        try requireFolderNames(instances)
        let base = prefix.key.isEmpty || prefix.key.hasSuffix("/") ? prefix.key : prefix.key + "/"
        if !base.isEmpty, (try? store.head(base)) == nil {
            // FetchFile wants the folder to exist: a zero-byte object named like it.
            try store.put(base, body: .bytes([]), contentType: "application/x-directory")
        }
        let outcomes = try phones.fanOut(instances, waitTimeout: timeout, progress: progress) {
            (client, chunk) throws(PhonePackError) in
            var call = AlibabaFileCall(
                action: "FetchFile", instanceIDs: chunk, sourceFilePath: path, uploadType: "OSS",
                uploadEndpoint: uploadEndpoint, uploadURL: "oss://\(prefix.bucket)/\(base)")
            call.clientToken = randomHex(32)
            return try client.fileCall(call)
        }
        return try collect(outcomes, into: folder, store: store, transfer: transfer) { instance in
            // Only a key under the folder asked for is taken from the listing.
            let folder = base + instance + "/"
            let listing = try? store.list(prefix: folder)
            return listing?.objects.first { $0.key.utf8.starts(with: folder.utf8) }?.key ?? folder
        }
    }

    /// Each phone's data lands in `DIR/<id>/`: an id that is not a plain folder name is refused before anything
    /// is sent.
    static func requireFolderNames(_ ids: [String]) throws(PhonePackError) {
        if let bad = ids.first(where: { !isSafeFileName($0) }) {
            throw PhonePackError(
                .invalidInput, operation: "pull", path: bad.terminalSafe,
                message:
                    "is not an id that can name a folder (no '/', '.', '..' or control characters); nothing was sent")
        }
    }

    /// Downloads and unpacks each succeeded phone's object; a failure of one phone is recorded on that phone.
    static func collect(
        _ outcomes: [TargetOutcome], into folder: String, store: ObjectStoreClient, transfer: TransferSettings,
        key: (String) -> String
    ) throws(PhonePackError) -> [PulledPhone] {
        try makeDirectories(folder)
        return outcomes.map { outcome in
            var pulled = PulledPhone(outcome: outcome)
            guard outcome.state == .succeeded else { return pulled }
            let objectKey = key(outcome.target)
            pulled.object = "\(store.endpoint.store.rawValue)://\(store.bucket)/\(objectKey)"
            do throws(PhonePackError) {
                let archive = joinPath(folder, "\(outcome.target).download")
                defer { unlink(archive) }
                _ = try ObjectTransfer(store: store, settings: transfer).download(objectKey, to: archive)
                let destination = joinPath(folder, outcome.target)
                try makeDirectories(destination)
                let kind = try FileKind.sniff(OpenFile.forReading(archive))
                if kind == .tar {
                    var options = ExtractOptions(destination: destination, filter: try ExportPathFilter())
                    options.overwrite = true
                    let report = try SafeExtractor.extract(archive: archive, options: options)
                    pulled.files = report.files
                    pulled.bytes = report.bytes
                    pulled.apps = try ArchiveInspector.inspect(path: archive, listEntries: false, exportSummary: true)
                        .export?.apps
                } else {
                    // The key came from a listing: its last part names the file only when it is a plain name.
                    let name = lastPathComponent(objectKey)
                    let target = joinPath(destination, isSafeFileName(name) ? name : "fetched-file")
                    guard rename(archive, target) == 0 else {
                        throw .system("rename", errno: errno, path: target, operation: "keep the fetched file")
                    }
                    pulled.files = 1
                    pulled.bytes = try FileStatus.of(target).size
                }
                pulled.folder = destination
            } catch {
                pulled.outcome.state = .failed
                pulled.outcome.errorMessage = "\(error.operation): \(error.description)"
            }
            return pulled
        }
    }
}

/// The Alibaba release: verify → upload to a `cloudphone-saved-bucket-*` bucket → SendFile (AutoInstall for an
/// APK) → DescribeTasks, stopping at the first failing stage; the upload is skipped when the object already
/// has the file's SHA-256.
public enum AlibabaRelease {
    public static func run(
        file: String, to destination: ObjectURL, instances: [String], phonePath: String, uploadEndpoint: String,
        phones: AlibabaPhoneClient, store: ObjectStoreClient, transfer settings: TransferSettings, timeout: Double?,
        notice: (String) -> Void, progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> ReleaseReport {
        let report = try HuaweiRelease.stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: file, options: VerifyOptions(profile: .alibabaSendFile, destination: destination))
        }
        guard report.passed, let sha256 = report.sha256 else {
            let failed = report.rules.filter { $0.status == .fail }.map { "\($0.id): \($0.detail)" }
            throw PhonePackError(
                .checkFailed, operation: "release", path: file,
                message: "release stopped at verify: \(failed.joined(separator: "; ")); nothing was uploaded")
        }
        notice("verified \(file): \(report.rules.filter { $0.status == .pass }.count) rules pass")
        let isAPK = report.apk != nil
        let existing = try? store.head(destination.key)
        var uploaded = false
        if existing?.size == report.size, existing?.metadata["sha256"] == sha256 {
            notice("\(destination) already holds this file (same SHA-256); upload skipped")
        } else {
            var transferSettings = settings
            transferSettings.sha256 = sha256
            _ = try HuaweiRelease.stage("upload") { () throws(PhonePackError) in
                try ObjectTransfer(store: store, settings: transferSettings).upload(file: file, to: destination.key)
            }
            uploaded = true
            notice("uploaded \(destination)")
        }
        let outcomes = try HuaweiRelease.stage("send") { () throws(PhonePackError) in
            try phones.fanOut(instances, waitTimeout: timeout, progress: progress) {
                (client, chunk) throws(PhonePackError) in
                var call = AlibabaFileCall(
                    action: "SendFile", instanceIDs: chunk, sourceFilePath: phonePath, uploadType: "OSS",
                    uploadEndpoint: uploadEndpoint, uploadURL: destination.description)
                call.autoInstall = isAPK
                return try client.fileCall(call)
            }
        }
        return ReleaseReport(
            package: report.apk?.packageName ?? lastPathComponent(file), sha256: sha256, size: report.size,
            object: destination.description, uploaded: uploaded, outcomes: outcomes)
    }
}

extension AlibabaPhoneClient {
    /// Sends `call` for every instance (in chunks of 50), then waits with DescribeTasks.
    public func fanOut(
        _ ids: [String], limit: Int = AlibabaRules.maxInstancesPerCall, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in },
        _ call: @escaping @Sendable (AlibabaPhoneClient, [String]) throws(PhonePackError) -> AlibabaBatchAnswer
    ) throws(PhonePackError) -> [TargetOutcome] {
        let clients = (0..<max(1, concurrency)).map { _ in sibling() }
        let submitted = FanOut.submit(ids: ids, limit: limit, clients: clients) {
            (client, chunk) throws(PhonePackError) in
            let answer = try call(client, chunk)
            return answer.Data.map {
                TargetOutcome(
                    target: $0.AndroidInstanceId, state: $0.TaskId.isEmpty ? .rejected : .submitted,
                    requestID: answer.TaskId ?? answer.RequestId, jobID: $0.TaskId.isEmpty ? nil : $0.TaskId)
            }
        }
        guard let waitTimeout else { return submitted }
        return try wait(submitted, timeout: waitTimeout, progress: progress)
    }

    /// Waits for instance tasks with DescribeTasks, 100 task ids per call.
    public func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        try FanOut.wait(outcomes, timeout: timeout, client: client, progress: progress) {
            (open) throws(PhonePackError) in
            let ids = open.compactMap(\.jobID)
            var states: [String: JobState] = [:]
            for start in stride(from: 0, to: ids.count, by: AlibabaRules.maxTaskIDsPerQuery) {
                let slice = Array(ids[start..<min(start + AlibabaRules.maxTaskIDsPerQuery, ids.count)])
                let tasks = try describeTasks(slice)
                for task in tasks {
                    switch task.TaskStatus?.lowercased() {
                    case "finished": states[task.TaskId] = JobState(state: .succeeded, output: task.Result)
                    case "failed":
                        states[task.TaskId] = JobState(
                            state: .failed, errorCode: task.ErrorCode, errorMessage: task.ErrorMsg, output: task.Result)
                    default: states[task.TaskId] = JobState(state: .running)
                    }
                }
                if tasks.contains(where: { !["finished", "failed"].contains($0.TaskStatus?.lowercased() ?? "") }) {
                    break
                }
            }
            return states
        }
    }
}

extension KooPhoneClient {
    /// Runs `command` on every instance, 32 per call: synchronously (results at once) or as async tasks
    /// waited for.
    public func run(
        _ command: String, instanceIDs: [String], async: Bool, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        if let violation = KooPhoneRules.check(
            command: command, instanceIDs: Array(instanceIDs.prefix(KooPhoneRules.maxInstancesPerCall))
        ).violation {
            throw PhonePackError(
                .invalidInput, operation: "check request", path: "command", message: "\(violation); nothing was sent")
        }
        let clients = (0..<max(1, concurrency)).map { _ in sibling() }
        let submitted = FanOut.submit(ids: instanceIDs, limit: KooPhoneRules.maxInstancesPerCall, clients: clients) {
            (client, chunk) throws(PhonePackError) in
            if !async {
                return try client.syncCommand(command, instanceIDs: chunk).map { result in
                    let state = result.state
                    return TargetOutcome(
                        target: result.instance_id ?? "?", state: state.state, errorCode: state.errorCode,
                        errorMessage: state.errorMessage, output: state.output)
                }
            }
            let task = try client.asyncCommand(command, instanceIDs: chunk)
            return task.jobs.map {
                TargetOutcome(target: $0.instanceID, state: .submitted, requestID: task.taskID, jobID: $0.jobID)
            }
        }
        guard async, let waitTimeout else { return submitted }
        return try wait(submitted, timeout: waitTimeout, progress: progress)
    }

    /// Waits for async command jobs: one task query per open task, joined to instances by job id.
    public func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        try FanOut.wait(outcomes, timeout: timeout, client: client, progress: progress) {
            (open) throws(PhonePackError) in
            var states: [String: JobState] = [:]
            for taskID in Set(open.compactMap(\.requestID)) {
                for job in try task(taskID) {
                    guard let id = job.job_id else { continue }
                    states[id] = job.state
                }
            }
            return states
        }
    }
}
