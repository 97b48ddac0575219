import PhonePackCore

/// A key with wildcards, as `ls`, `rm` and `download` take them: `*` matches any run of characters within one
/// `/`-separated level, `**` any run across levels, `?` one character other than `/`. Everything before the
/// first wildcard is a literal prefix, which is what the store is asked to list; the listing is then filtered.
/// Characters are compared as Unicode scalars, exactly (never by canonical equivalence).
public struct KeyPattern: Sendable, Equatable {
    public let text: String
    /// The part before the first wildcard: the listing prefix.
    public let prefix: String
    private let scalars: [Unicode.Scalar]

    public init(_ text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
        let literal = scalars.prefix { $0 != "*" && $0 != "?" }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: literal)
        prefix = String(view)
    }

    /// Whether `text` has any wildcard at all.
    public static func hasWildcards(_ text: String) -> Bool { text.unicodeScalars.contains { $0 == "*" || $0 == "?" } }

    public func matches(_ key: String) -> Bool {
        Self.match(scalars[...], Array(key.unicodeScalars)[...])
    }

    private static func match(_ pattern: ArraySlice<Unicode.Scalar>, _ key: ArraySlice<Unicode.Scalar>) -> Bool {
        var pattern = pattern
        var key = key
        while let first = pattern.first {
            if first == "*" {
                let across = pattern.dropFirst().first == "*"
                let rest = pattern.dropFirst(across ? 2 : 1)
                // Try every split point: the star takes 0…n characters (never a `/` unless `**`).
                var candidate = key
                while true {
                    if match(rest, candidate) { return true }
                    guard let next = candidate.first, across || next != "/" else { return false }
                    candidate = candidate.dropFirst()
                }
            }
            guard let head = key.first else { return false }
            if first == "?" ? head == "/" : head != first { return false }
            pattern = pattern.dropFirst()
            key = key.dropFirst()
        }
        return key.isEmpty
    }
}

extension ObjectStoreClient {
    /// The objects whose keys match `pattern` (one listing of its literal prefix, every page).
    public func objects(matching pattern: KeyPattern) throws(PhonePackError) -> [ObjectInfo] {
        try list(prefix: pattern.prefix).objects.filter { pattern.matches($0.key) }
    }

    /// Deletes `keys` (as listed: see ``ArchiveName/fromKey(_:)``) with the stores' batch call (S3/OBS
    /// DeleteObjects, OSS DeleteMultipleObjects), 1,000 per request, each with its Content-MD5. Returns the keys
    /// the store could not delete, with its error code.
    public func delete(keys: [String]) throws(PhonePackError) -> [(key: String, code: String)] {
        var failures: [(key: String, code: String)] = []
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            var document = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
            for key in batch { document += "<Object><Key>\(xmlEscape(ArchiveName.toKey(key)))</Key></Object>" }
            let body = Array((document + "</Delete>").utf8)
            var request = request("POST", key: "", query: [("delete", nil)])
            request.setHeader("Content-MD5", Digest.hash(.md5, body).base64String)
            request.setHeader("Content-Type", "application/xml")
            let answer = try xml(send(request, key: "", body: .bytes(body)), key: "")
            failures += answer.all("Error").map { (ArchiveName.fromKey($0["Key"] ?? ""), $0["Code"] ?? "error") }
        }
        return failures
    }
}
