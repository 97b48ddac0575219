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
        if case .tar(let path) = plan.app {
            return try release(
                tar: path, plan, store: store, cph: cph, transfer: settings, history: history, notice: notice,
                progress: progress)
        }
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
        let existing = try? ReleaseStages.storedFile(plan.destination, store: store)
        let workFolder = try ReleaseStages.temporaryFolder()
        defer { ReleaseStages.removeTree(workFolder) }
        options.output = joinPath(workFolder, lastPathComponent(plan.destination.key))
        let transfer = ObjectTransfer(store: store, settings: settings)
        // Its notices come from this thread (a resume, a base that does not fit), never from its workers.
        let noticeBox = UncheckedSendable(notice)
        transfer.notice = { noticeBox.value($0) }
        // A delta when a previous tar of the package is in this store with its layout: built whole first (the
        // plan needs the finished tar), verified, then only what changed is sent.
        if let base = deltaBase(plan, package: apk.packageName, history: history),
            let baseLayout = transfer.storedLayout(of: base)
        {
            notice("delta against \(base) (\(baseLayout.entries.count) entries)")
            let built = try ReleaseStages.stage("build") { () throws(PhonePackError) in
                try SharedAppBuilder.build(options)
            }
            notice(
                "built \(built.package.packageName) \(built.package.versionDescription): \(formatBytes(built.size)), sha256 \(built.sha256)"
            )
            let report = try verify(built, plan: plan)
            notice("verified: \(report.rules.filter { $0.status == .pass }.count) rules pass")
            return try deliver(
                file: built.output, sha256: built.sha256, size: built.size, apk: apk, existing: existing,
                transfer: transfer, base: base, plan: plan, rollout: rollout, notice: notice)
        }
        // Otherwise one pass over the tar: it is built into a private work folder through an upload that sends
        // each part as soon as it is written (when the object does not exist yet: else the build comes first, so
        // that a rerun whose tar is already stored sends nothing). The build hashed what it wrote, so verify reads
        // the tar for its structure only; the object is completed only once the tar has verified.
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
            report = try verify(built, plan: plan)
        } catch {
            sending.abandon()
            throw error
        }
        notice("verified: \(report.rules.filter { $0.status == .pass }.count) rules pass")
        // The layout of the tar, read while it is still here, stored beside it after the upload: the next release
        // of the package can then send only what changed.
        let layout: TarLayout
        do throws(PhonePackError) {
            layout = try TarLayout.read(built.output, sha256: built.sha256)
        } catch {
            sending.abandon()
            throw ReleaseStages.stopped(at: "upload", error)
        }
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
        if uploaded {
            try ReleaseStages.stage("upload") { () throws(PhonePackError) in
                try store.putLayout(layout, beside: plan.destination.key)
            }
        }
        var delivery = ReleaseDelivery(
            cloud: .huawei, package: built.package.packageName, versionName: built.package.versionName,
            versionCode: built.package.versionCode, object: plan.destination.description, sha256: built.sha256,
            size: built.size)
        delivery.apk = APKIdentity(apk)
        if uploaded { delivery.sentBytes = built.size }
        delivery.preInstall = plan.preInstall
        delivery.batchSize = plan.batchSize
        return try ReleaseStages.roll(delivery, plan: plan, rollout: rollout, uploaded: uploaded, notice: notice)
    }

    /// A tar built before: verified (every byte hashed) → uploaded as a delta or whole, with its layout beside it
    /// → pushed in waves. Nothing is sent unless it verifies and the phones would install its APK.
    static func release(
        tar path: String, _ plan: ReleasePlan, store: ObjectStoreClient, cph: CPHClient,
        transfer settings: TransferSettings, history: ReleaseHistory, notice: @escaping (String) -> Void,
        progress: @escaping (Int, Int) -> Void
    ) throws(PhonePackError) -> ReleaseReport {
        let rollout = ReleaseStages.rollout(
            plan, fleet: .huawei(cph), history: history, notice: notice, progress: progress)
        try ReleaseStages.checkDestination(plan.destination, .huaweiShareApp)
        try rollout.fleet.checkTargets(plan.targets, listing: plan.preflight)
        let report = try ReleaseStages.stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: path,
                options: VerifyOptions(
                    profile: .huaweiShareApp, packageName: plan.packageName, destination: plan.destination,
                    checksum: .compute, install: plan.installTarget))
        }
        try ReleaseStages.requirePassed(report, path: path)
        guard let apk = report.apk, let sha256 = report.sha256 else {
            throw PhonePackError(
                .checkFailed, operation: "release", path: path,
                message:
                    "holds no base.apk to read the package from; build it with: phonepack build APP-FOLDER -o \(lastPathComponent(path))"
            )
        }
        _ = try CPHShare.pushApps(package: apk.packageName, tar: plan.destination, preInstall: plan.preInstall)
            .batches(serverIDs: plan.targets, batchSize: plan.batchSize)
        try ReleaseStages.checkInstall(
            apk, named: apk.packageName, plan: plan, cloud: .huawei, history: history, notice: notice)
        notice(
            "verified \(path): \(apk.packageName) \(apk.versionDescription), \(formatBytes(report.size)), sha256 \(sha256)"
        )
        let transfer = ObjectTransfer(store: store, settings: settings)
        let noticeBox = UncheckedSendable(notice)
        transfer.notice = { noticeBox.value($0) }
        return try deliver(
            file: path, sha256: sha256, size: report.size, apk: apk,
            existing: try? ReleaseStages.storedFile(plan.destination, store: store), transfer: transfer,
            base: deltaBase(plan, package: apk.packageName, history: history), plan: plan, rollout: rollout,
            notice: notice)
    }

    /// A verified tar on disk: uploaded (as a delta against `base` when it fits) unless the object already holds
    /// the same bytes, then pushed in waves.
    static func deliver(
        file: String, sha256: String, size: Int64, apk: APKInfo, existing: (size: Int64, sha256: String?)?,
        transfer: ObjectTransfer, base: ObjectURL?, plan: ReleasePlan, rollout: Rollout,
        notice: @escaping (String) -> Void
    ) throws(PhonePackError) -> ReleaseReport {
        var delivery = ReleaseDelivery(
            cloud: .huawei, package: apk.packageName, versionName: apk.versionName, versionCode: apk.versionCode,
            object: plan.destination.description, sha256: sha256, size: size)
        let uploaded: Bool
        if let existing, existing.size == size, existing.sha256 == sha256 {
            notice("\(plan.destination) already holds this file (same SHA-256); upload skipped")
            uploaded = false
        } else {
            let summary = try ReleaseStages.stage("upload") { () throws(PhonePackError) in
                try transfer.uploadTar(
                    file: file, sha256: sha256, to: plan.destination.key, base: base, keepLayout: true)
            }
            notice(ReleaseStages.uploaded(plan.destination, summary))
            (delivery.deltaBase, delivery.sentBytes, delivery.copiedBytes) = (
                summary.delta?.base, summary.delta?.sentBytes ?? size, summary.delta?.copiedBytes ?? 0
            )
            uploaded = true
        }
        delivery.apk = APKIdentity(apk)
        delivery.preInstall = plan.preInstall
        delivery.batchSize = plan.batchSize
        return try ReleaseStages.roll(delivery, plan: plan, rollout: rollout, uploaded: uploaded, notice: notice)
    }

    /// The built tar through the huawei-share-app rules (its SHA-256 is the one computed as it was written).
    static func verify(_ built: BuildResult, plan: ReleasePlan) throws(PhonePackError) -> VerifyReport {
        let report = try ReleaseStages.stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: built.output,
                options: VerifyOptions(
                    profile: .huaweiShareApp, packageName: built.package.packageName,
                    destination: plan.destination, checksum: .written(built.sha256), install: plan.installTarget))
        }
        try ReleaseStages.requirePassed(report, path: built.output)
        return report
    }

    /// What a delta copies from: `--base`, else the object of the last completed release of the package to CPH,
    /// when it is in the same store (a bucket of the same OBS) and is not the destination itself.
    static func deltaBase(_ plan: ReleasePlan, package: String, history: ReleaseHistory) -> ObjectURL? {
        guard plan.delta else { return nil }
        if let base = plan.deltaBase { return base }
        guard let last = try? history.lastCompleted(package: package, cloud: .huawei),
            let url = try? ObjectURL(parsing: last.delivery.object), url.scheme == plan.destination.scheme,
            url != plan.destination
        else { return nil }
        return url
    }
}
