import PhonePackCore

/// The parts of an HTTP request that signatures cover, before anything is encoded for the wire.
///
/// Every signer takes one, adds the headers or query parameters its scheme needs, and returns what it
/// computed, so `--debug-signing` can print the canonical request and string-to-sign beside the server's.
public struct SignableRequest: Sendable {
    public var method: String
    /// host[:port], as sent in the `Host` header.
    public var host: String
    /// The decoded path (`/bucket/a b.tar`); signers and the HTTP client encode it.
    public var path: String
    /// Query parameters in the order they are sent; `nil` for a bare name such as `uploads`.
    public var query: [(name: String, value: String?)]
    /// Headers in the order they are sent, names as given (comparisons are case-insensitive).
    public var headers: [(name: String, value: String)]

    public init(
        method: String, host: String, path: String, query: [(name: String, value: String?)] = [],
        headers: [(name: String, value: String)] = []
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Sets a header, replacing any of the same name.
    package mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append((name, value))
    }

    /// The path as it goes on the wire: each segment percent-encoded, `/` kept.
    public var encodedPath: String { PercentEncoding.encode(path, keepingSlash: true) }

    /// The query string as it goes on the wire, in the order given.
    public var encodedQuery: String {
        query.map { item in
            item.value.map { "\(PercentEncoding.encode(item.name))=\(PercentEncoding.encode($0))" }
                ?? PercentEncoding.encode(item.name)
        }.joined(separator: "&")
    }
}

/// What a signer computed, for debugging a `SignatureDoesNotMatch` next to the server's view.
public struct SigningDetails: Sendable, Equatable {
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String

    /// For requests that carry no signature (an IAM password login, a test server's counters).
    public static let unsigned = SigningDetails(canonicalRequest: "", stringToSign: "", signature: "")
}

extension Array where Element == (name: String, value: String) {
    /// Lower-cased names with trimmed values, sorted by name, repeated names joined with `,`.
    func canonicalHeaders(where include: (String) -> Bool) -> [(name: String, value: String)] {
        var merged: [String: [String]] = [:]
        for header in self {
            let name = header.name.lowercased()
            guard include(name) else { continue }
            merged[name, default: []].append(header.value.trimmingSpaces)
        }
        return merged.keys.sorted().map { ($0, merged[$0]!.joined(separator: ",")) }
    }
}

extension Array where Element == (name: String, value: String) {
    /// `name:value\n` per header: the canonical-headers block every scheme signs.
    var canonicalBlock: String { map { "\($0.name):\($0.value)\n" }.joined() }

    /// The header names joined with `;`, as `SignedHeaders` lists them.
    var signedNames: String { map(\.name).joined(separator: ";") }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let first = s.first, first == " " || first == "\t" { s = s.dropFirst() }
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// HMAC-SHA256 applied in a chain, `key` first: how SigV4 and OSS V4 derive a signing key per day and region.
func hmacChain(_ key: String, _ messages: [String]) -> [UInt8] {
    messages.reduce(Array(key.utf8)) { HMAC.authenticate(.sha256, key: $0, message: $1) }
}

/// Lowercase hex SHA-256 of a string's UTF-8 bytes.
func sha256Hex(_ text: String) -> String { Digest.hash(.sha256, Array(text.utf8)).hexString }

/// SHA-256 of an empty body, the payload hash of every GET.
public let emptyPayloadSHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
