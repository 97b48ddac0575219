import Glibc
import PhonePackCore

/// The Alibaba release: verify → upload to a `cloudphone-saved-bucket-*` bucket → SendFile (AutoInstall for an
/// APK) → DescribeTasks (``ReleaseStages``).
public enum AlibabaRelease {
    public static func run(
        _ plan: ReleasePlan, store: ObjectStoreClient, phones: AlibabaPhoneClient, transfer settings: TransferSettings,
        history: ReleaseHistory, notice: @escaping (String) -> Void,
        progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> ReleaseReport {
        guard case .apk(let file) = plan.app else { throw ReleaseStages.wrongApp("Alibaba", "one APK") }
        let rollout = ReleaseStages.rollout(
            plan, fleet: .alibaba(phones), history: history, notice: notice, progress: progress)
        try ReleaseStages.checkDestination(plan.destination, .alibabaSendFile)
        try rollout.fleet.checkTargets(plan.targets, listing: plan.preflight)
        let destination = plan.destination
        if try FileKind.sniff(OpenFile.forReading(file)) == .zip {
            let apk = try ReleaseStages.stage("pre-flight") { () throws(PhonePackError) in
                try APKInfo.read(from: OpenFile.forReading(file), signatures: true)
            }
            try ReleaseStages.checkInstall(
                apk, named: file, plan: plan, cloud: .alibaba, history: history, notice: notice)
        }
        let report = try ReleaseStages.stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: file,
                options: VerifyOptions(profile: .alibabaSendFile, destination: destination, install: plan.installTarget)
            )
        }
        try ReleaseStages.requirePassed(report, path: file)
        guard let sha256 = report.sha256 else {
            throw PhonePackError(.io, operation: "release", path: file, message: "verify did not hash the file")
        }
        notice("verified \(file): \(report.rules.filter { $0.status == .pass }.count) rules pass")
        let uploaded = try ReleaseStages.upload(
            file, size: report.size, sha256: sha256, to: destination, store: store, settings: settings,
            notice: notice)
        var delivery = ReleaseDelivery(
            cloud: .alibaba, package: report.apk?.packageName ?? lastPathComponent(file),
            versionName: report.apk?.versionName, versionCode: report.apk?.versionCode,
            object: destination.description, sha256: sha256,
            size: report.size)
        delivery.autoInstall = report.apk != nil
        delivery.apk = report.apk.map(APKIdentity.init)
        delivery.phonePath = plan.phonePath
        delivery.uploadEndpoint = plan.uploadEndpoint
        return try ReleaseStages.roll(delivery, plan: plan, rollout: rollout, uploaded: uploaded, notice: notice)
    }
}
