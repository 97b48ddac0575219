/// Selects archive entries the way the CPH export API's `include_files` / `exclude_files` select phone paths:
/// absolute phone paths, a path selects itself and everything beneath it, a trailing `*` matches any
/// continuation of the last component (`/data/app/com.x-*`), and exclude wins over include.
///
/// Archive entries are relative to the phone's `/`, so `data/data/com.x/f` is the phone path `/data/data/com.x/f`.
public struct ExportPathFilter: Sendable {
    public let includes: [String]
    public let excludes: [String]

    /// - Parameter anyName: for a local extraction, where a pattern may name any entry (a Latin-1 name, a
    ///   backslash): only absolute and free of NUL. Otherwise the export API's own path syntax.
    /// - Throws: when a pattern breaks the syntax, naming the pattern and the rule.
    public init(includes: [String] = [], excludes: [String] = [], anyName: Bool = false) throws(PhonePackError) {
        for (flag, patterns) in [("--include", includes), ("--exclude", excludes)] {
            for pattern in patterns {
                let violation =
                    anyName
                    ? (pattern.hasPrefix("/")
                        ? (pattern.utf8.contains(0) ? "has a NUL byte" : nil) : "must be absolute")
                    : FieldRules.exportPathSyntax(pattern)
                if let violation {
                    throw PhonePackError(
                        .invalidInput, operation: "parse \(flag)", path: pattern,
                        message:
                            "\(violation) (\(flag) takes phone paths as the export API does, e.g. /data/data/com.x)")
                }
            }
        }
        // A trailing slash names the same folder.
        func trimmed(_ pattern: String) -> String {
            var p = Substring(pattern)
            while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
            return String(p)
        }
        self.includes = includes.map(trimmed)
        self.excludes = excludes.map(trimmed)
    }

    public var selectsEverything: Bool { includes.isEmpty && excludes.isEmpty }

    /// Whether the normalised archive path is selected.
    public func selects(_ path: String) -> Bool {
        if selectsEverything { return true }
        let phonePath = "/" + path
        if excludes.contains(where: { Self.matches(phonePath, $0) }) { return false }
        return includes.isEmpty || includes.contains { Self.matches(phonePath, $0) }
    }

    /// Compared as bytes, as the phone compares names: `/data/data/café` does not select `cafe\u{301}`.
    static func matches(_ phonePath: String, _ pattern: String) -> Bool {
        let path = phonePath.utf8
        if pattern.hasSuffix("*") {
            return path.starts(with: pattern.utf8.dropLast())
        }
        return path.elementsEqual(pattern.utf8) || path.starts(with: (pattern + "/").utf8)
    }
}
