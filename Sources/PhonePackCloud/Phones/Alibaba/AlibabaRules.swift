import PhonePackCore

/// eds-aic's documented rules, checked before sending.
public enum AlibabaRules {
    /// RunCommand takes at most 50 instances; SendFile and FetchFile document no limit, so phonepack uses the
    /// same 50 for every batch call rather than find the real one in production.
    public static let maxInstancesPerCall = 50
    public static let maxTaskIDsPerQuery = 100
    static let savedBucketPrefix = "cloudphone-saved-bucket-"

    public static func check(_ call: AlibabaFileCall) -> FieldCheck {
        func invalid(_ text: String) -> FieldCheck { FieldCheck(violation: text) }
        guard (1...maxInstancesPerCall).contains(call.instanceIDs.count) else {
            return invalid("AndroidInstanceIdList must list 1..\(maxInstancesPerCall) instances per call")
        }
        guard call.sourceFilePath.hasPrefix("/") else {
            return invalid("SourceFilePath must be an absolute path on the phone, e.g. /sdcard/Download/")
        }
        let types = call.action == "FetchFile" ? ["OSS"] : ["OSS", "DOWNLOAD_URL", "OSS_BRIDGED"]
        guard types.contains(call.uploadType) else {
            return invalid("UploadType must be \(types.joined(separator: ", ")) for \(call.action)")
        }
        if call.uploadType == "OSS" {
            guard call.uploadURL.hasPrefix("oss://" + savedBucketPrefix) else {
                return invalid("UploadUrl must be oss://\(savedBucketPrefix)…/… (the service reads only such buckets)")
            }
            let bucket = String(call.uploadURL.dropFirst(6).prefix { $0 != "/" })
            if let violation = FieldRules.cloudPhoneBucketName(bucket).violation {
                return invalid("UploadUrl bucket: \(violation)")
            }
        } else if !(call.uploadURL.hasPrefix("https://") || call.uploadURL.hasPrefix("http://")) {
            return invalid("UploadUrl must be an http(s) URL for \(call.uploadType)")
        }
        if call.uploadType != "DOWNLOAD_URL" && call.uploadEndpoint.isEmpty {
            return invalid(
                "UploadEndpoint is required for \(call.uploadType), e.g. oss-cn-shanghai-internal.aliyuncs.com")
        }
        if call.uploadType == "DOWNLOAD_URL" && call.sourceFilePath.hasSuffix("/") {
            return invalid("SourceFilePath must be the full file path on the phone for DOWNLOAD_URL")
        }
        if let token = call.clientToken, !(1...100).contains(token.count) {
            return invalid("ClientToken must be 1..100 characters")
        }
        return FieldCheck(violation: nil)
    }

    public static func checkCommand(content: String, instanceIDs: [String]) -> FieldCheck {
        guard !content.isEmpty else { return FieldCheck(violation: "CommandContent must not be empty") }
        guard (1...maxInstancesPerCall).contains(instanceIDs.count) else {
            return FieldCheck(violation: "InstanceIds must list 1..\(maxInstancesPerCall) instances per call")
        }
        return FieldCheck(violation: nil)
    }
}
