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

/// What `pull --json` prints: each phone's outcome (as the fleet verbs' `targets`) and what came out of it.
public struct PullReport: Codable, Sendable {
    public var phones: [PulledPhone]

    public init(phones: [PulledPhone]) { self.phones = phones }
}

/// What `phonepack pull` does, the same shape for both clouds (as ``ReleasePlan`` is for releases).
public struct PullPlan: Sendable {
    /// CPH phone ids or Alibaba instance ids; each names the folder its data lands in.
    public var targets: [String]
    /// Phone paths: Huawei exports every one (minus `excludes`); Alibaba fetches the one path.
    public var includes: [String]
    public var excludes: [String] = []
    /// The object-store folder the exports go through.
    public var prefix: ObjectURL
    /// The local folder: one subfolder per target.
    public var folder: String
    public var timeout: Double = 1800
    /// Alibaba: the OSS endpoint the phones upload to.
    public var uploadEndpoint = ""

    public init(targets: [String], includes: [String], prefix: ObjectURL, folder: String) {
        self.targets = targets
        self.includes = includes
        self.prefix = prefix
        self.folder = folder
    }
}

/// Getting phone data back: export (or FetchFile) → wait → download → safe extract → summary, per phone, so one
/// failed phone never hides what the others returned. Each phone's data lands in `DIR/<phone id>/`.
public enum PullPipeline {
    /// Huawei: BatchExportCloudPhoneData of `includes` (minus `excludes`) to `prefix/<phone>.tar` in OBS.
    public static func huawei(
        _ plan: PullPlan, cph: CPHClient, store: ObjectStoreClient, transfer: TransferSettings,
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [PulledPhone] {
        try requireFolderNames(plan.targets)
        let outcomes = try cph.exportData(
            phoneIDs: plan.targets, include: plan.includes, exclude: plan.excludes, to: plan.prefix,
            waitTimeout: plan.timeout, progress: progress)
        return try collect(outcomes, into: plan.folder, store: store, transfer: transfer) {
            CPHStorageInfo.export(phone: $0, include: plan.includes, exclude: plan.excludes, to: plan.prefix)
                .objectPath
        }
    }

    /// Alibaba: FetchFile of the one include path into the `prefix/` folder of a `cloudphone-saved-bucket-*`
    /// bucket (made if missing); the key the service chose is found by listing `prefix/<instance>/`.
    public static func alibaba(
        _ plan: PullPlan, phones: AlibabaPhoneClient, store: ObjectStoreClient, transfer: TransferSettings,
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [PulledPhone] {
        guard plan.prefix.scheme == .oss, plan.includes.count == 1, plan.excludes.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "pull", path: plan.prefix.description,
                message: "an Alibaba pull takes one phone path, no excludes, and an oss:// folder")
        }
        let (path, prefix, uploadEndpoint) = (plan.includes[0], plan.prefix, plan.uploadEndpoint)
        try requireFolderNames(plan.targets)
        let base = prefix.key.isEmpty || prefix.key.hasSuffix("/") ? prefix.key : prefix.key + "/"
        if !base.isEmpty, (try? store.head(base)) == nil {
            // FetchFile wants the folder to exist: a zero-byte object named like it.
            var folder = ObjectProperties()
            folder.contentType = "application/x-directory"
            try store.put(base, body: .bytes([]), properties: folder)
        }
        let outcomes = try phones.fanOut(plan.targets, waitTimeout: plan.timeout, progress: progress) {
            (client, chunk) throws(PhonePackError) in
            var call = AlibabaFileCall(
                action: "FetchFile", instanceIDs: chunk, sourceFilePath: path, uploadType: "OSS",
                uploadEndpoint: uploadEndpoint, uploadURL: "oss://\(prefix.bucket)/\(base)")
            call.clientToken = randomHex(32)
            return try client.fileCall(call)
        }
        return try collect(outcomes, into: plan.folder, store: store, transfer: transfer) { instance in
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
            pulled.object = store.url(objectKey)
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
