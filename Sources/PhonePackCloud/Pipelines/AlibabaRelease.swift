import Glibc
import PhonePackCore

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
