/// An object-store location as users write it: `obs://bucket/key`, `oss://bucket/key`, `s3://bucket/key`.
public struct ObjectURL: Sendable, Equatable, CustomStringConvertible {
    public enum Scheme: String, Sendable, CaseIterable {
        case obs, oss, s3
    }

    public var scheme: Scheme
    public var bucket: String
    public var key: String

    public init(scheme: Scheme, bucket: String, key: String) {
        self.scheme = scheme
        self.bucket = bucket
        self.key = key
    }

    /// Parses `scheme://bucket/key`; the error names what is missing.
    public init(parsing text: String) throws(PhonePackError) {
        let parts = text.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let scheme = Scheme(rawValue: parts[0].lowercased()) else {
            throw PhonePackError(
                .invalidInput, operation: "parse URL", path: text,
                message: "is not an object URL; write obs://bucket/key, oss://bucket/key or s3://bucket/key")
        }
        let rest = parts[1]
        let bucket = rest.prefix { $0 != "/" }
        guard !bucket.isEmpty else {
            throw PhonePackError(.invalidInput, operation: "parse URL", path: text, message: "has no bucket name")
        }
        self.scheme = scheme
        self.bucket = String(bucket)
        self.key = String(rest.dropFirst(bucket.count + 1))
    }

    /// Whether `text` is written as an object URL (`obs://…`, `oss://…`, `s3://…`) rather than a local path.
    public static func looksLikeURL(_ text: String) -> Bool {
        Scheme.allCases.contains { text.lowercased().hasPrefix($0.rawValue + "://") }
    }

    public var description: String { "\(scheme.rawValue)://\(bucket)/\(key)" }
}
