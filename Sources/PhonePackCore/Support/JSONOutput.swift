import FoundationEssentials

/// One JSON style for everything phonepack prints or writes: sorted keys (stable diffs), pretty, no escaped `/`.
package enum JSONOutput {
    public static func encode(_ value: some Encodable, pretty: Bool = true) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { encoder.outputFormatting.insert(.prettyPrinted) }
        return try encoder.encode(value)
    }

    /// What `--json` prints: one object on one line, like every record of a stream and like an error (one style:
    /// `| jq .` shows it indented).
    public static func string(_ value: some Encodable) -> String { line(value) }

    /// One object on one line, for output that is a stream of them (JSON Lines).
    public static func line(_ value: some Encodable) -> String {
        guard let data = try? encode(value, pretty: false) else { return "{}" }
        return surrogateEscaped(Array(data))
    }

    /// A byte of a name that is not UTF-8 travels inside phonepack as a private-use scalar (see ``ArchiveName``);
    /// in JSON it becomes `\udcNN`, the lone surrogate Python's `surrogateescape` uses, so `json.loads` gives
    /// the same string as `tarfile` and `os.fsencode` gives the original bytes back.
    ///
    /// U+2028 and U+2029 are escaped too (`\u2028`): valid in JSON text, they end a line for JavaScript and for
    /// line-oriented readers, so a name holding one would split a JSON Lines record.
    static func surrogateEscaped(_ bytes: [UInt8]) -> String {
        // U+10FF80–U+10FFFF (the escapes of bytes 0x80–0xFF) are F4 8F BE/BF xx in UTF-8; U+2028/9 E2 80 A8/9.
        guard bytes.contains(0xF4) || bytes.contains(0xE2) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        let hex = Array("0123456789abcdef".utf8)
        while index < bytes.count {
            if bytes[index] == 0xF4, index + 3 < bytes.count, bytes[index + 1] == 0x8F, bytes[index + 2] >= 0xBE {
                let scalar = (UInt32(bytes[index + 2] & 0x3F) << 6) | UInt32(bytes[index + 3] & 0x3F)
                let byte = UInt8(truncatingIfNeeded: scalar - 0xF00)
                out += Array("\\udc".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                index += 4
            } else if bytes[index] == 0xE2, index + 2 < bytes.count, bytes[index + 1] == 0x80,
                bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9
            {
                out += Array("\\u202".utf8) + [bytes[index + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9")]
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Compact one-line JSON for files phonepack keeps for itself (transfer journals), with typed errors.
package enum JSONCoding {
    public static func encode(_ value: some Encodable) throws(PhonePackError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw PhonePackError(.io, operation: "encode JSON", message: "\(error)")
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(PhonePackError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw PhonePackError(.corruptArchive, operation: "decode JSON", message: "\(error)")
        }
    }
}
