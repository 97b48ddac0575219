import Glibc
import PhonePackCore

/// The Alibaba release: verify → upload to a `cloudphone-saved-bucket-*` bucket → SendFile (AutoInstall for an
/// APK) → DescribeTasks (``ReleaseStages``).
public enum AlibabaRelease {
    public static func run(
        _ plan: ReleasePlan, store: ObjectStoreClient, phones: AlibabaPhoneClient, transfer settings: TransferSettings,
        notice: (String) -> Void, progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> ReleaseReport {
        guard case .apk(let file) = plan.app else { throw ReleaseStages.wrongApp("Alibaba", "one APK") }
        let destination = plan.destination
        let report = try ReleaseStages.stage("verify") { () throws(PhonePackError) in
            try PackageVerifier.verify(
                path: file, options: VerifyOptions(profile: .alibabaSendFile, destination: destination))
        }
        try ReleaseStages.requirePassed(report, path: file)
        guard let sha256 = report.sha256 else {
            throw PhonePackError(.io, operation: "release", path: file, message: "verify did not hash the file")
        }
        notice("verified \(file): \(report.rules.filter { $0.status == .pass }.count) rules pass")
        let uploaded = try ReleaseStages.upload(
            file, size: report.size, sha256: sha256, to: destination, store: store, settings: settings,
            notice: notice)
        let (isAPK, phonePath, endpoint) = (report.apk != nil, plan.phonePath, plan.uploadEndpoint)
        let outcomes = try ReleaseStages.stage("send") { () throws(PhonePackError) in
            try phones.fanOut(
                plan.targets, concurrency: plan.concurrency, waitTimeout: plan.waitTimeout, progress: progress
            ) { (client, chunk) throws(PhonePackError) in
                var call = AlibabaFileCall(
                    action: "SendFile", instanceIDs: chunk, sourceFilePath: phonePath, uploadType: "OSS",
                    uploadEndpoint: endpoint, uploadURL: destination.description)
                call.autoInstall = isAPK
                return try client.fileCall(call)
            }
        }
        return ReleaseReport(
            package: report.apk?.packageName ?? lastPathComponent(file), sha256: sha256, size: report.size,
            object: destination.description, uploaded: uploaded, outcomes: outcomes)
    }
}
