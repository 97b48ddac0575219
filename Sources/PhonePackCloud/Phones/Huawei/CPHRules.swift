import PhonePackCore

/// CPH's documented field rules, checked before anything is sent: a violation names the field and the rule.
public enum CPHRequestRules {
    /// PushShareApps / PushShareFiles take at most this many server ids per call (current documentation).
    public static let maxServersPerShareCall = 100
    static let maxRequestIDsPerListJobs = 20

    public static func shareApps(packageName: String, bucket: String, objectPath: String, serverIDs: [String])
        throws(PhonePackError)
    {
        try FieldRules.packageName(packageName).require("package_name", value: packageName)
        try FieldRules.obsBucketName(bucket).require("bucket_name", value: bucket)
        try FieldRules.cphObjectPath(objectPath).require("object_path", value: objectPath)
        if !objectPath.hasSuffix(".tar") {
            throw .ruleViolation(
                field: "object_path", value: objectPath, rule: "must name a .tar (CPH takes nothing else)")
        }
        try self.serverIDs(serverIDs)
    }

    /// BatchExportCloudPhoneData's rules for one phone's entry.
    public static func export(_ info: CPHStorageInfo) throws(PhonePackError) {
        try FieldRules.exportIncludeFiles(info.includeFiles).require(
            "include_files", value: info.includeFiles.joined(separator: ","))
        for path in info.excludeFiles ?? [] {
            try FieldRules.exportPath(path).require("exclude_files", value: path)
        }
        try FieldRules.obsBucketName(info.bucketName).require("bucket_name", value: info.bucketName)
        try FieldRules.cphObjectPath(info.objectPath).require("object_path", value: info.objectPath)
    }

    public static func serverIDs(_ ids: [String], field: String = "server_ids", limit: Int = maxServersPerShareCall)
        throws(PhonePackError)
    {
        guard (1...limit).contains(ids.count) else {
            throw .ruleViolation(
                field: field, value: "\(ids.count) ids", rule: "1 to \(limit) per call (phonepack splits longer lists)")
        }
        if let bad = ids.first(where: { $0.isEmpty || $0.count > 64 || !$0.allSatisfy(isIDCharacter) }) {
            throw .ruleViolation(field: field, value: bad, rule: "ids are 1 to 64 letters, digits, - or _")
        }
    }

    static func isIDCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }
}

/// The phone-command rules of CPH's `commands` API.
public enum CPHCommandRules {
    /// Throws the "nothing was sent" error when `content` breaks the rule of `command`.
    public static func require(command: String, content: String) throws(PhonePackError) {
        try check(command: command, content: content).require("content", value: content)
    }

    public static func check(command: String, content: String) -> FieldCheck {
        switch command {
        case "push":
            let check = FieldRules.cphPushFileContent(content)
            if check.isValid && !content.hasPrefix("obs://") {
                return FieldCheck(violation: "must be obs://bucket/path/file.tar")
            }
            return check
        case "install":
            guard content.utf8.count <= 1024 else { return FieldCheck(violation: "length must be at most 1024 bytes") }
            return content.contains("obs://")
                ? FieldCheck(violation: nil) : FieldCheck(violation: "must name an obs:// APK")
        case "install-multiple":
            guard content.utf8.count <= 8100 else { return FieldCheck(violation: "length must be at most 8100 bytes") }
            let apks = content.split(separator: " ").filter { $0.hasPrefix("obs://") }
            return (1...50).contains(apks.count)
                ? FieldCheck(violation: nil) : FieldCheck(violation: "must name 1 to 50 obs:// APKs of one app")
        case "uninstall":
            return FieldRules.packageName(content)
        case "shell":
            guard (1...2048).contains(content.utf8.count) else {
                return FieldCheck(violation: "length must be 1..2048 bytes")
            }
            return FieldCheck(violation: nil)
        default:
            return FieldCheck(violation: "command must be push, install, install-multiple, uninstall or shell")
        }
    }
}
