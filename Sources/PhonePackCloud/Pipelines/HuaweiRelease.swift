import Glibc
import PhonePackCore

/// The Huawei release: build → verify → upload → PushShareApps → ListJobs (``ReleaseStages``).
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
        if let package = options.packageName {
            _ = try CPHShare.pushApps(package: package, tar: plan.destination, preInstall: plan.preInstall)
                .batches(serverIDs: plan.targets, batchSize: plan.batchSize)
        }
        try rollout.fleet.checkTargets(plan.targets, listing: plan.preflight)
        let workFolder = try ReleaseStages.temporaryFolder()
        defer { ReleaseStages.removeTree(workFolder) }
        options.output = joinPath(workFolder, lastPathComponent(plan.destination.key))
        let built = try ReleaseStages.stage("build") { () throws(PhonePackError) in
            try SharedAppBuilder.build(options)
        }
        notice(
            "built \(built.package.packageName) \(built.package.versionDescription): \(formatBytes(built.size)), sha256 \(built.sha256)"
        )
        let report = try ReleaseStages.stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: built.output,
                options: VerifyOptions(
                    profile: .huaweiShareApp, packageName: built.package.packageName, expectedSHA256: built.sha256,
                    destination: plan.destination))
        }
        try ReleaseStages.requirePassed(report, path: built.output)
        notice("verified: \(report.rules.filter { $0.status == .pass }.count) rules pass")
        let uploaded = try ReleaseStages.upload(
            built.output, size: built.size, sha256: built.sha256, to: plan.destination, store: store,
            settings: settings, notice: notice)
        var delivery = ReleaseDelivery(
            cloud: .huawei, package: built.package.packageName, version: built.package.versionDescription,
            object: plan.destination.description, sha256: built.sha256, size: built.size)
        delivery.preInstall = plan.preInstall
        delivery.batchSize = plan.batchSize
        return try ReleaseStages.roll(delivery, plan: plan, rollout: rollout, uploaded: uploaded, notice: notice)
    }
}
