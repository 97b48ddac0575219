/// Text from an archive or a server made safe to show on a terminal.
///
/// Entry names, link targets, object keys, vendor messages and command output are hostile: an `ESC ]0;…BEL`
/// sets the window title, `ESC [2J` clears the screen, a `\n` prints a line that looks like ours. Every control
/// character (C0, DEL, C1) and every bidirectional override becomes a visible escape (`\n`, `\x1b`, `\u{202E}`);
/// bytes that are not UTF-8 become `\xNN`. `--json` output needs none of this: JSON escapes them itself.
package enum TerminalText {
    /// `text` with control characters escaped; `keepingNewlines` leaves `\n` alone, for multi-line blocks
    /// (command output) that are printed indented as a block.
    public static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        // Fast path: printable ASCII (the usual name or key) needs no work.
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if keepingNewlines && scalar == "\n" {
                out.append("\n")
            } else {
                appendEscaped(scalar, to: &out)
            }
        }
        return out
    }

    /// Bytes (an entry name) shown as text: valid UTF-8 as itself, invalid bytes as `\xNN`, controls escaped.
    public static func escape(bytes: some Collection<UInt8>) -> String {
        let array = Array(bytes)
        if array.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(decoding: array, as: UTF8.self) }
        var out = ""
        var index = 0
        while index < array.count {
            var iterator = array[index...].makeIterator()
            var decoder = UTF8()
            if case .scalarValue(let scalar) = decoder.decode(&iterator) {
                appendEscaped(scalar, to: &out)
                index += UTF8.width(scalar)
            } else {
                out += hex(array[index])
                index += 1
            }
        }
        return out
    }

    static func appendEscaped(_ scalar: Unicode.Scalar, to out: inout String) {
        if let byte = ArchiveName.escapedByte(scalar) {
            // A byte of a name that is not UTF-8 (see ``ArchiveName``).
            out += hex(byte)
            return
        }
        switch scalar.value {
        case 0x09: out += "\\t"
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0x00..<0x20, 0x7F: out += hex(UInt8(scalar.value))
        case 0x80..<0xA0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
            out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default: out.unicodeScalars.append(scalar)
        }
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
    }
}

extension String {
    /// This text with control characters escaped for a terminal (see ``TerminalText``).
    package var terminalSafe: String { TerminalText.escape(self) }
}
