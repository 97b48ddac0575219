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

    static let offenderLimit = 20
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
    public var passed = true

    enum CodingKeys: String, CodingKey {
        case file, profile, size, sha256, format, packageName = "package", apk, entries, rules, passed
    }
}

/// Collects the offending entries per rule during the pass.
struct Offenses {
    private var byRule: [String: (count: Int, list: [RuleResult.Offender])] = [:]

    mutating func add(_ rule: String, _ entry: String, _ reason: String) {
        var slot = byRule[rule] ?? (0, [])
        slot.count += 1
        if slot.list.count < RuleResult.offenderLimit { slot.list.append(.init(entry: entry, reason: reason)) }
        byRule[rule] = slot
    }

    func count(_ rule: String) -> Int { byRule[rule]?.count ?? 0 }

    /// A rule's result: pass with `passDetail`, or `failing` status with the offenders.
    func result(_ rule: String, pass passDetail: String, failing: RuleResult.Status = .fail, fail failDetail: String)
        -> RuleResult
    {
        guard let slot = byRule[rule] else { return RuleResult(id: rule, status: .pass, detail: passDetail) }
        return RuleResult(
            id: rule, status: failing, detail: "\(slot.count) \(slot.count == 1 ? "entry" : "entries") \(failDetail)",
            offenders: slot.list, offenderCount: slot.count)
    }
}
