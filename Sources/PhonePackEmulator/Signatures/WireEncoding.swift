import PhonePackCore

/// What the emulator's signature checks compute with: percent-encoding, hashes and HMACs over the request as it
/// arrived. Written for the server side and independent of phonepack's signers (PhonePackCloud/Signing): a check
/// that reused the client's canonicalisation would share its mistakes, and this emulator is what the tests trust.
/// Only the digest primitives (OpenSSL, in Core) are shared.
enum Wire {
    /// `%XX` with uppercase hex for every byte outside `A–Z a–z 0–9 - _ . ~` and `also`.
    static func encode(_ text: String, also keep: UInt8? = nil) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            let unreserved =
                (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x7E
            if unreserved || byte == keep {
                out.append(byte)
            } else {
                out += [0x25, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A path segment list encoded with `/` kept.
    static func encodePath(_ path: String) -> String { encode(path, also: UInt8(ascii: "/")) }

    /// `%XX` undone; a `%` without two hex digits after it stays.
    static func decode(_ text: Substring) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x25, index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    static func sha256Hex(_ text: String) -> String { Digest.hash(.sha256, Array(text.utf8)).hexString }

    static func hmac(_ algorithm: DigestAlgorithm, key: [UInt8], _ message: String) -> [UInt8] {
        HMAC.authenticate(algorithm, key: key, message: message)
    }

    /// HMAC-SHA256 applied along `parts`, starting from `secret`: the V4 schemes' per-day signing key.
    static func derivedKey(_ secret: String, _ parts: [String]) -> [UInt8] {
        parts.reduce(Array(secret.utf8)) { HMAC.authenticate(.sha256, key: $0, message: $1) }
    }

    /// `Scheme k=v, k=v` (separators `,` or `, `) as a dictionary.
    static func authorizationFields(_ authorization: String) -> [String: String] {
        var fields: [String: String] = [:]
        for part in authorization.drop(while: { $0 != " " }).split(separator: ",") {
            let item = part.drop { $0 == " " }
            guard let equals = item.firstIndex(of: "=") else { continue }
            fields[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return fields
    }

    /// Header values for signing: every occurrence of `name` (case-insensitive), trimmed, joined with `,`.
    static func headerValues(_ headers: [(name: String, value: String)], _ name: String) -> String? {
        let values = headers.filter { $0.name.lowercased() == name }.map { trim($0.value) }
        return values.isEmpty ? nil : values.joined(separator: ",")
    }

    static func trim(_ text: String) -> String {
        var s = Substring(text)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
