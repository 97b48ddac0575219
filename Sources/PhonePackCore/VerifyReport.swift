/// The cloud API a file is checked for; each has its own layout rules and limits.
public enum VerifyProfile: String, Sendable, Codable, CaseIterable {
    /// CPH PushShareApps: a tar in the shared-app layout for one package.
    case huaweiShareApp = "huawei-share-app"
    /// CPH PushShareFiles: a tar of `/data` and `/cache` trees.
    case huaweiShareFile = "huawei-share-file"
    /// CPH PushFile (`commands`, `push`): a tar ≤ 6 GB extracted at the phone's `/`.
    case huaweiPushFile = "huawei-push-file"
    /// Alibaba Cloud Phone SendFile: any file (an APK for AutoInstall) in a `cloudphone-saved-bucket-*` bucket.
    case alibabaSendFile = "alibaba-sendfile"
}

/// One rule's verdict.
public struct RuleResult: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case pass, fail, warn, skip
    }

    public struct Offender: Sendable, Codable, Equatable {
        public var entry: String
        public var reason: String
    }

    /// Stable identifier, e.g. `layout`, `safe-paths`.
    public var id: String
    public var status: Status
    /// One line: what was found, or why the rule was not checked.
    public var detail: String
    /// The entries that broke the rule (the first ``RuleResult/offenderLimit``).
    public var offenders: [Offender] = []
    /// How many entries broke it in all.
    public var offenderCount = 0

    public static let offenderLimit = 20
}

/// Everything `phonepack verify` found, printed as text or `--json`.
public struct VerifyReport: Sendable, Codable {
    public var file: String
    public var profile: VerifyProfile
    public var size: Int64
    public var sha256: String?
    public var format: String?
    public var packageName: String?
    public var apk: APKInfo?
    public var entries: Int
    public var rules: [RuleResult]

    /// False when any rule failed (warnings and skipped rules do not fail a file).
    public var passed: Bool { !rules.contains { $0.status == .fail } }

    enum CodingKeys: String, CodingKey {
        case file, profile, size, sha256, format, packageName, apk, entries, rules, passed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(profile, forKey: .profile)
        try container.encode(size, forKey: .size)
        try container.encodeIfPresent(sha256, forKey: .sha256)
        try container.encodeIfPresent(format, forKey: .format)
        try container.encodeIfPresent(packageName, forKey: .packageName)
        try container.encodeIfPresent(apk, forKey: .apk)
        try container.encode(entries, forKey: .entries)
        try container.encode(rules, forKey: .rules)
        try container.encode(passed, forKey: .passed)
    }

    public init(
        file: String, profile: VerifyProfile, size: Int64, sha256: String?, format: String?, packageName: String?,
        apk: APKInfo?, entries: Int, rules: [RuleResult]
    ) {
        self.file = file
        self.profile = profile
        self.size = size
        self.sha256 = sha256
        self.format = format
        self.packageName = packageName
        self.apk = apk
        self.entries = entries
        self.rules = rules
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        file = try container.decode(String.self, forKey: .file)
        profile = try container.decode(VerifyProfile.self, forKey: .profile)
        size = try container.decode(Int64.self, forKey: .size)
        sha256 = try container.decodeIfPresent(String.self, forKey: .sha256)
        format = try container.decodeIfPresent(String.self, forKey: .format)
        packageName = try container.decodeIfPresent(String.self, forKey: .packageName)
        apk = try container.decodeIfPresent(APKInfo.self, forKey: .apk)
        entries = try container.decode(Int.self, forKey: .entries)
        rules = try container.decode([RuleResult].self, forKey: .rules)
    }
}
