import Glibc
import PhonePackCore
import Synchronization

/// The Huawei release: build (uploading as it writes) → verify → complete the upload → PushShareApps → ListJobs
/// (``ReleaseStages``).
public enum HuaweiRelease {
    public static func run(
        _ plan: ReleasePlan, store: ObjectStoreClient, cph: CPHClient, transfer settings: TransferSettings,
        history: ReleaseHistory, notice: @escaping (String) -> Void,
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> ReleaseReport {
        guard case .build(var options) = plan.app else { throw ReleaseStages.wrongApp("Huawei", "a built tar") }
        let rollout = ReleaseStages.rollout(
            plan, fleet: .huawei(cph), history: history, notice: notice, progress: progress)
        // Pre-flight first: a bad package name or server id, or a server CPH does not list, should not cost a
        // build and an upload. Field rules before the listing: they cost no request.
        try ReleaseStages.checkDestination(plan.destination, .huaweiShareApp)
        if let package = options.packageName {
            _ = try CPHShare.pushApps(package: package, tar: plan.destination, preInstall: plan.preInstall)
                .batches(serverIDs: plan.targets, batchSize: plan.batchSize)
        }
        try rollout.fleet.checkTargets(plan.targets, listing: plan.preflight)
        let apk = try ReleaseStages.stage("pre-flight") { () throws(PhonePackError) in
            try SharedAppBuilder.baseAPK(options)
        }
        try ReleaseStages.checkInstall(
            apk, named: apk.packageName, plan: plan, cloud: .huawei, history: history, notice: notice)
        // One pass over the tar: it is built into a private work folder through an upload that sends each part as
        // soon as it is written (when the object does not exist yet: else the build comes first, so that a rerun
        // whose tar is already stored sends nothing). The build hashed what it wrote, so verify reads the tar for
        // its structure only; the object is completed only once the tar has verified.
        let existing = try? ReleaseStages.storedFile(plan.destination, store: store)
        let workFolder = try ReleaseStages.temporaryFolder()
        defer { ReleaseStages.removeTree(workFolder) }
        options.output = joinPath(workFolder, lastPathComponent(plan.destination.key))
        let upload = Mutex<UploadAsWritten?>(nil)
        let storeBox = UncheckedSendable(store)
        let (path, destination) = (options.output, plan.destination)
        options.stream = { (estimatedSize) throws(PhonePackError) in
            let made = try UploadAsWritten(
                path: path, store: storeBox.value, key: destination.key, estimatedSize: estimatedSize,
                settings: settings)
            if existing == nil { try made.start() }
            upload.withLock { $0 = made }
            return made
        }
        let built: BuildResult
        do throws(PhonePackError) {
            built = try SharedAppBuilder.build(options)
        } catch {
            // A part that failed while the tar was being written stops the build with its error.
            if let failure = upload.withLock({ $0 })?.failure {
                throw ReleaseStages.stopped(at: "upload", UploadAsWritten.aborted(failure))
            }
            throw ReleaseStages.stopped(at: "build", error)
        }
        let sending = upload.withLock { $0! }
        notice(
            "built \(built.package.packageName) \(built.package.versionDescription): \(formatBytes(built.size)), sha256 \(built.sha256)"
        )
        let report: VerifyReport
        do throws(PhonePackError) {
            report = try ReleaseStages.stage("verify") { () throws(PhonePackError) in
                try PackageVerifier.verify(
                    path: built.output,
                    options: VerifyOptions(
                        profile: .huaweiShareApp, packageName: built.package.packageName,
                        destination: plan.destination, checksum: .written(built.sha256), install: plan.installTarget))
            }
            try ReleaseStages.requirePassed(report, path: built.output)
        } catch {
            sending.abandon()
            throw error
        }
        notice("verified: \(report.rules.filter { $0.status == .pass }.count) rules pass")
        let uploaded: Bool
        if let existing, existing.size == built.size, existing.sha256 == built.sha256 {
            sending.abandon()
            notice("\(plan.destination) already holds this file (same SHA-256); upload skipped")
            uploaded = false
        } else {
            let summary = try ReleaseStages.stage("upload") { () throws(PhonePackError) in try sending.complete() }
            notice(ReleaseStages.uploaded(plan.destination, summary))
            uploaded = true
        }
        var delivery = ReleaseDelivery(
            cloud: .huawei, package: built.package.packageName, version: built.package.versionDescription,
            object: plan.destination.description, sha256: built.sha256, size: built.size)
        delivery.apk = APKIdentity(apk)
        delivery.preInstall = plan.preInstall
        delivery.batchSize = plan.batchSize
        return try ReleaseStages.roll(delivery, plan: plan, rollout: rollout, uploaded: uploaded, notice: notice)
    }
}
