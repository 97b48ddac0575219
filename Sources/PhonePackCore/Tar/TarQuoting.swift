import Glibc

/// Names as GNU tar prints them in listings (`tar -tvf`, its "escape" quoting style), and back.
///
/// A backslash is doubled; `\a \b \f \n \r \t \v` stand for those controls; any other byte tar does not print as
/// it is becomes `\ooo` (three octal digits). Which bytes tar prints as they are depends on the locale, as it does
/// for tar: printable ASCII always, and in a UTF-8 locale the printable characters of valid UTF-8 too. So
/// `r\xe9.txt` (a backslash in the name) and the Latin-1 `r<E9>.txt` print differently: `r\\xe9.txt` and
/// `r\351.txt`.
public enum TarQuoting {
    /// Whether the environment asks for a UTF-8 locale (LC_ALL, then LC_CTYPE, then LANG, as glibc looks), read
    /// without `setlocale`, which a library must not call.
    public static let utf8Locale: Bool = {
        for name in ["LC_ALL", "LC_CTYPE", "LANG"] {
            guard let value = getenv(name).map({ String(cString: $0) }), !value.isEmpty else { continue }
            let lower = value.lowercased()
            return lower.contains("utf-8") || lower.contains("utf8")
        }
        return false
    }()

    private static let named: [UInt8: UInt8] = [
        0x07: UInt8(ascii: "a"), 0x08: UInt8(ascii: "b"), 0x0c: UInt8(ascii: "f"), 0x0a: UInt8(ascii: "n"),
        0x0d: UInt8(ascii: "r"), 0x09: UInt8(ascii: "t"), 0x0b: UInt8(ascii: "v"),
    ]

    /// The name's bytes as tar prints them.
    public static func quote(_ bytes: [UInt8], utf8: Bool = utf8Locale) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        func octal(_ byte: UInt8) {
            out += [UInt8(ascii: "\\"), 0x30 + (byte >> 6), 0x30 + (byte >> 3 & 7), 0x30 + (byte & 7)]
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                out += [byte, byte]
            } else if let letter = named[byte] {
                out += [UInt8(ascii: "\\"), letter]
            } else if byte >= 0x20 && byte < 0x7f {
                out.append(byte)
            } else if utf8, byte >= 0x80, let width = printableScalarWidth(bytes, at: index) {
                out += bytes[index..<(index + width)]
                index += width
                continue
            } else {
                octal(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of a printed name: `\\`, `\ooo` and the named escapes undone; `nil` when it has none or a
    /// backslash that is not one of them (then it is no printed form).
    public static func unquote(_ text: [UInt8]) -> [UInt8]? {
        guard text.contains(UInt8(ascii: "\\")) else { return nil }
        let letters = Dictionary(uniqueKeysWithValues: named.map { ($1, $0) })
        var out: [UInt8] = []
        var index = 0
        while index < text.count {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < text.count else { return nil }
            let next = text[index + 1]
            if next == UInt8(ascii: "\\") {
                out.append(next)
                index += 2
            } else if let control = letters[next] {
                out.append(control)
                index += 2
            } else if index + 3 < text.count, text[(index + 1)...(index + 3)].allSatisfy({ (0x30...0x37).contains($0) })
            {
                let value =
                    Int(text[index + 1] - 0x30) << 6 | Int(text[index + 2] - 0x30) << 3 | Int(text[index + 3] - 0x30)
                guard value <= 0xff else { return nil }
                out.append(UInt8(value))
                index += 4
            } else {
                return nil
            }
        }
        return out
    }

    /// The width of the printable character of valid UTF-8 at `index`, or `nil`.
    private static func printableScalarWidth(_ bytes: [UInt8], at index: Int) -> Int? {
        var iterator = bytes[index...].makeIterator()
        var decoder = UTF8()
        guard case .scalarValue(let scalar) = decoder.decode(&iterator) else { return nil }
        switch scalar.properties.generalCategory {
        // Format characters too (bidirectional overrides that reorder what a terminal shows): GNU tar prints them.
        case .control, .format, .surrogate, .unassigned, .privateUse, .lineSeparator, .paragraphSeparator: return nil
        default: return UTF8.width(scalar)
        }
    }
}
