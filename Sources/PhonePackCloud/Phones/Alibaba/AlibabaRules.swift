import PhonePackCore

/// eds-aic's documented rules, checked before sending.
public enum AlibabaRules {
    /// RunCommand takes at most 50 instances; SendFile and FetchFile document no limit, so phonepack uses the
    /// same 50 for every batch call rather than find the real one in production.
    public static let maxInstancesPerCall = 50
    static let maxTaskIDsPerQuery = 100
    static let savedBucketPrefix = "cloudphone-saved-bucket-"

    /// Throws the "nothing was sent" error when a SendFile / FetchFile call breaks a documented rule.
    public static func check(_ call: AlibabaFileCall) throws(PhonePackError) {
        func broken(_ field: String, _ value: String, _ rule: String) -> PhonePackError {
            .ruleViolation(field: field, value: value, rule: rule)
        }
        guard (1...maxInstancesPerCall).contains(call.instanceIDs.count) else {
            throw broken(
                "AndroidInstanceIdList", "\(call.instanceIDs.count) ids",
                "must list 1..\(maxInstancesPerCall) instances per call")
        }
        guard call.sourceFilePath.hasPrefix("/") else {
            throw broken(
                "SourceFilePath", call.sourceFilePath, "must be an absolute path on the phone, e.g. /sdcard/Download/")
        }
        let types = call.action == "FetchFile" ? ["OSS"] : ["OSS", "DOWNLOAD_URL", "OSS_BRIDGED"]
        guard types.contains(call.uploadType) else {
            throw broken("UploadType", call.uploadType, "must be \(types.joined(separator: ", ")) for \(call.action)")
        }
        if call.uploadType == "OSS" {
            guard call.uploadURL.hasPrefix("oss://" + savedBucketPrefix) else {
                throw broken(
                    "UploadUrl", call.uploadURL,
                    "must be oss://\(savedBucketPrefix)…/… (the service reads only such buckets)")
            }
            let bucket = String(call.uploadURL.dropFirst(6).prefix { $0 != "/" })
            try FieldRules.cloudPhoneBucketName(bucket).require("UploadUrl", value: bucket)
        } else if !(call.uploadURL.hasPrefix("https://") || call.uploadURL.hasPrefix("http://")) {
            throw broken("UploadUrl", call.uploadURL, "must be an http(s) URL for \(call.uploadType)")
        }
        if call.uploadType != "DOWNLOAD_URL" && call.uploadEndpoint.isEmpty {
            throw broken(
                "UploadEndpoint", "", "is required for \(call.uploadType), e.g. oss-cn-shanghai-internal.aliyuncs.com")
        }
        if call.uploadType == "DOWNLOAD_URL" && call.sourceFilePath.hasSuffix("/") {
            throw broken(
                "SourceFilePath", call.sourceFilePath, "must be the full file path on the phone for DOWNLOAD_URL")
        }
        if let token = call.clientToken, !(1...100).contains(token.count) {
            throw broken("ClientToken", "\(token.count) characters", "must be 1..100 characters")
        }
    }

    /// Throws the "nothing was sent" error when a RunCommand call breaks a documented rule.
    public static func checkCommand(content: String, instanceIDs: [String]) throws(PhonePackError) {
        guard !content.isEmpty else {
            throw .ruleViolation(field: "CommandContent", value: "", rule: "must not be empty")
        }
        guard (1...maxInstancesPerCall).contains(instanceIDs.count) else {
            throw .ruleViolation(
                field: "InstanceIds", value: "\(instanceIDs.count) ids",
                rule: "must list 1..\(maxInstancesPerCall) instances per call")
        }
    }
}
