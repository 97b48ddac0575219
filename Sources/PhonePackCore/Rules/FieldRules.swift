/// The outcome of checking one API field against the vendor's documented rule.
public struct FieldCheck: Sendable, Equatable {
    /// The first documented rule the value breaks, worded as the rule (`must contain at least one '.'`);
    /// `nil` when the value is accepted.
    public var violation: String?
    /// Things the service accepts but that are probably a mistake (e.g. not a valid Android package name).
    public var warnings: [String] = []

    public var isValid: Bool { violation == nil }

    public init(violation: String?, warnings: [String] = []) {
        self.violation = violation
        self.warnings = warnings
    }

    static let valid = FieldCheck(violation: nil)
    static func invalid(_ reason: String) -> FieldCheck { FieldCheck(violation: reason) }
}

/// Client-side copies of the field rules the Huawei and Alibaba APIs document, so a bad value is reported before
/// anything is uploaded or sent. Reasons are worded as in `../shared/vectors/*.json`, which these rules must pass.
public enum FieldRules {
    private static func isASCIILetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isLowerOrDigit(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7a) || isDigit(c) }

    /// CPH `package_name` (DeleteShareApps, PushShareApps): 1–128 bytes of `[A-Za-z0-9_.]`, not starting with a
    /// digit or `_`, not ending with `.`, with at least one `.`. Android's stricter per-segment rule
    /// (`[A-Za-z][A-Za-z0-9_]*` segments) is reported as a warning: the service accepts `com..x`, Android does not.
    public static func packageName(_ name: String) -> FieldCheck {
        let bytes = Array(name.utf8)
        guard (1...128).contains(bytes.count) else { return .invalid("length must be 1..128 bytes") }
        guard
            bytes.allSatisfy({ isASCIILetter($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") })
        else { return .invalid("only letters, digits, '_' and '.' allowed") }
        if isDigit(bytes[0]) || bytes[0] == UInt8(ascii: "_") { return .invalid("must not start with a digit or '_'") }
        if bytes.last == UInt8(ascii: ".") { return .invalid("must not end with '.'") }
        guard bytes.contains(UInt8(ascii: ".")) else { return .invalid("must contain at least one '.'") }
        var check = FieldCheck.valid
        let segments = name.split(separator: ".", omittingEmptySubsequences: false)
        if segments.contains(where: { segment in
            guard let first = segment.utf8.first else { return true }
            return !isASCIILetter(first)
        }) {
            check.warnings.append(
                "not a valid Android package name: every '.'-separated part must start with a letter")
        }
        return check
    }

    /// OBS / CPH `bucket_name`: 3–63 of `[a-z0-9.-]`, starting with a letter or digit, not ending with `-` or
    /// `.`, no `..`, no `.-` / `-.`, not an IPv4 address.
    public static func obsBucketName(_ name: String) -> FieldCheck {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return .invalid("length must be 3..63") }
        guard bytes.allSatisfy({ isLowerOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else {
            return .invalid("only lowercase letters, digits, '-' and '.'")
        }
        guard isLowerOrDigit(bytes[0]) else { return .invalid("must start with a letter or digit") }
        guard isLowerOrDigit(bytes[bytes.count - 1]) else { return .invalid("must not end with '-' or '.'") }
        if name.contains("..") { return .invalid("no consecutive periods") }
        if name.contains(".-") || name.contains("-.") { return .invalid("no period adjacent to hyphen") }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ part in UInt8(part).map { _ in true } ?? false }) {
            return .invalid("must not be an IP address")
        }
        return .valid
    }

    /// CPH `object_path` (share-apps, share-files, batch-storage): 1–1024 characters of `A–Z a–z 0–9 . / - _ + # =`.
    public static func cphObjectPath(_ path: String) -> FieldCheck {
        guard (1...1024).contains(path.count) else { return .invalid("length must be 1..1024 characters") }
        let allowed = Set("./-_+#=".utf8)
        guard path.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) || allowed.contains($0) }) else {
            return .invalid("only A-Z a-z 0-9 . / - _ + # =")
        }
        var check = FieldCheck.valid
        if path.hasPrefix("/") { check.warnings.append("starts with '/': OBS keys normally do not") }
        return check
    }

    /// CPH PushFile `content` (`obs://bucket/path/file.tar`): at most 1024 bytes of letters, digits and `_ . / : -`.
    public static func cphPushFileContent(_ url: String) -> FieldCheck {
        guard (1...1024).contains(url.utf8.count) else { return .invalid("length must be 1..1024 bytes") }
        let allowed = Set("_./:-".utf8)
        guard url.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) || allowed.contains($0) }) else {
            return .invalid("only letters, digits and _ . / : - allowed")
        }
        return .valid
    }

    /// OSS bucket names: 3–63 of `[a-z0-9-]`, starting and ending with a letter or digit.
    public static func ossBucketName(_ name: String) -> FieldCheck {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return .invalid("length must be 3..63") }
        guard bytes.allSatisfy({ isLowerOrDigit($0) || $0 == UInt8(ascii: "-") }) else {
            return .invalid("only lowercase letters, digits and '-'")
        }
        guard isLowerOrDigit(bytes[0]), isLowerOrDigit(bytes[bytes.count - 1]) else {
            return .invalid("must start and end with a letter or digit")
        }
        return .valid
    }

    /// Alibaba Cloud Phone SendFile / FetchFile source buckets must be named `cloudphone-saved-bucket-*`.
    public static func cloudPhoneBucketName(_ name: String) -> FieldCheck {
        let base = ossBucketName(name)
        guard base.isValid else { return base }
        guard name.hasPrefix("cloudphone-saved-bucket-") else {
            return .invalid("Cloud Phone reads only from buckets named cloudphone-saved-bucket-*")
        }
        return .valid
    }

    /// OSS object keys: 1–1023 bytes of UTF-8, not starting with `/` or `\`.
    public static func ossObjectKey(_ key: String) -> FieldCheck {
        guard (1...1023).contains(key.utf8.count) else { return .invalid("length must be 1..1023 bytes") }
        guard !key.hasPrefix("/"), !key.hasPrefix("\\") else { return .invalid("must not start with '/' or '\\'") }
        return .valid
    }

    /// One CPH batch-storage `include_files` / `exclude_files` path: absolute, at most 4096 bytes of letters,
    /// digits and `. / - _ + # * ~ =`, `*` only as the last character, under `/data` or `/cache`, and
    /// `/data/misc` only exactly.
    public static func exportPath(_ path: String) -> FieldCheck {
        if let violation = exportPathSyntax(path) { return .invalid(violation) }
        let base = path.hasSuffix("*") ? String(path.dropLast()) : path
        let underData = base == "/data" || base.hasPrefix("/data/")
        let underCache = base == "/cache" || base.hasPrefix("/cache/")
        guard underData || underCache else { return .invalid("only /data and /cache may be exported") }
        if path.hasPrefix("/data/misc/") || (path.hasSuffix("*") && path.hasPrefix("/data/misc")) {
            return .invalid("/data/misc must be given exactly (no sub-path or wildcard)")
        }
        return .valid
    }

    /// The rules that hold for a whole `include_files` list: every path's, and `/data/misc` only together with
    /// exactly `/data/system` and `/data/system_de`.
    public static func exportIncludeFiles(_ paths: [String]) -> FieldCheck {
        for path in paths {
            let check = exportPath(path)
            if !check.isValid { return check }
        }
        if paths.contains("/data/misc"), !(paths.contains("/data/system") && paths.contains("/data/system_de")) {
            return .invalid("/data/misc requires exact /data/system and /data/system_de too")
        }
        return .valid
    }

    /// The syntax part of an export path (what `extract --include` also accepts): absolute, the documented
    /// characters, `*` only at the end.
    static func exportPathSyntax(_ path: String) -> String? {
        guard (1...4096).contains(path.utf8.count) else { return "length must be 1..4096 bytes" }
        let allowed = Set("./-_+#*~=".utf8)
        guard path.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) || allowed.contains($0) }) else {
            return "illegal character"
        }
        guard path.hasPrefix("/") else { return "must be absolute" }
        if let star = path.utf8.firstIndex(of: UInt8(ascii: "*")), path.utf8.index(after: star) != path.utf8.endIndex {
            return "'*' allowed only as the last character"
        }
        return nil
    }

    /// CPH DeleteShareFiles `file_paths`: absolute, at most 4096 bytes of letters, digits, `.`, `/`, `-`, space,
    /// `_`, `=`, and no `..`.
    public static func shareFilePath(_ path: String) -> FieldCheck {
        guard (1...4096).contains(path.utf8.count) else { return .invalid("length must be 1..4096 bytes") }
        let allowed = Set("./- _=".utf8)
        guard path.utf8.allSatisfy({ isASCIILetter($0) || isDigit($0) || allowed.contains($0) }) else {
            return .invalid("illegal character")
        }
        guard path.hasPrefix("/") else { return .invalid("must start with '/'") }
        if path.split(separator: "/").contains("..") { return .invalid("'..' not allowed") }
        return .valid
    }
}

/// A value that breaks a vendor's documented field rule: the cause of the one "nothing was sent" error that every
/// client-side check of a request throws. The emulator answers with `rule` in the vendor's own error shape.
public struct RuleViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var rule: String
    public var description: String { "\(field) '\(value)': \(rule)" }
}

extension FieldCheck {
    /// Throws the "nothing was sent" error when the value breaks its rule.
    public func require(_ field: String, value: String) throws(PhonePackError) {
        if let violation { throw PhonePackError.ruleViolation(field: field, value: value, rule: violation) }
    }
}

extension PhonePackError {
    /// `field: 'value' breaks the rule: rule; nothing was sent`, with the ``RuleViolation`` as cause.
    public static func ruleViolation(field: String, value: String, rule: String) -> PhonePackError {
        PhonePackError(
            .invalidInput, operation: "check request", path: field,
            message: "'\(value)' breaks the rule: \(rule); nothing was sent",
            cause: RuleViolation(field: field, value: value, rule: rule))
    }

    /// The broken rule, when a client-side check refused the request.
    public var ruleViolation: RuleViolation? { cause as? RuleViolation }
}
