/// The names of one tar entry exactly as its header blocks store them.
///
/// libarchive converts pax names from UTF-8 and, on Linux, normalises them to NFC on the way (so
/// `Cafe\u{301}` comes back as `Café`), and it cannot return a name that is not UTF-8. So for any name that is not
/// plain ASCII, the entry's header blocks are read again from the file and the names taken from them: pax
/// `path`/`linkpath` records, GNU `L`/`K` long names, else the ustar `prefix` + `name` and `linkname` fields.
enum RawTarNames {
    struct Names {
        var path: [UInt8]?
        var link: [UInt8]?
        /// The pax `mtime` record, as written (`-0.5`).
        var mtime: [UInt8]?
        /// The entry header's type flag (`0` file, `1` hard link, `2` symlink, …).
        var type: UInt8 = 0
    }

    /// Extended headers larger than this are not read again (libarchive has read them already; names fit).
    static let maxExtendedHeader = 1 << 20

    /// Reads the header blocks that start at `offset` (libarchive's header position of the entry).
    static func read(_ file: OpenFile, at offset: Int64) -> Names? {
        var names = Names()
        var position = offset
        var block = [UInt8](repeating: 0, count: 512)
        // Special headers (pax, GNU long names) precede the entry's own header; a few at most.
        for _ in 0..<16 {
            guard (try? file.read(into: &block, fromAbsoluteOffset: position)) == 512 else { return nil }
            if block.allSatisfy({ $0 == 0 }) { return nil }
            let type = block[156]
            let size = number(block[124..<136])
            // A header claims what it likes: sizes beyond the file are damage (and must not overflow below).
            guard size >= 0, size <= 1 << 50 else { return nil }
            let dataStart = position + 512
            position = dataStart + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                guard size <= maxExtendedHeader, let data = read(file, at: dataStart, count: Int(size)) else {
                    return nil
                }
                for (key, value) in paxRecords(data) {
                    if key == Array("path".utf8) { names.path = value }
                    if key == Array("linkpath".utf8) { names.link = value }
                    if key == Array("mtime".utf8) { names.mtime = value }
                }
            case UInt8(ascii: "g"):
                continue
            case UInt8(ascii: "L"), UInt8(ascii: "K"):
                guard size <= maxExtendedHeader, let data = read(file, at: dataStart, count: Int(size)) else {
                    return nil
                }
                let name = Array(data.prefix { $0 != 0 })
                if type == UInt8(ascii: "L") {
                    names.path = names.path ?? name
                } else {
                    names.link = names.link ?? name
                }
            default:
                if names.path == nil {
                    var name = field(block[0..<100])
                    // ustar: a prefix of up to 155 bytes before the name.
                    if block[257..<263].elementsEqual(Array("ustar\0".utf8)) {
                        let prefix = field(block[345..<500])
                        if !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
                    }
                    names.path = name
                }
                if names.link == nil { names.link = field(block[157..<257]) }
                names.type = type
                return names
            }
        }
        return nil
    }

    private static func read(_ file: OpenFile, at offset: Int64, count: Int) -> [UInt8]? {
        var data = [UInt8](repeating: 0, count: count)
        guard count == 0 || (try? file.read(into: &data, fromAbsoluteOffset: offset)) == count else { return nil }
        return data
    }

    /// A NUL-terminated header field.
    private static func field(_ bytes: ArraySlice<UInt8>) -> [UInt8] { Array(bytes.prefix { $0 != 0 }) }

    /// An octal (or GNU base-256) size field; -1 when it is neither.
    private static func number(_ bytes: ArraySlice<UInt8>) -> Int64 {
        if let first = bytes.first, first & 0x80 != 0 {
            var value: Int64 = 0
            for byte in bytes.dropFirst().suffix(8) { value = value << 8 | Int64(byte) }
            return value
        }
        var value: Int64 = 0
        var digits = 0
        for byte in bytes {
            if byte == 0 || byte == UInt8(ascii: " ") {
                if digits > 0 { break } else { continue }
            }
            // 20 digits are 2^60: one more would pass Int64 (header fields hold 11).
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7"), digits < 21 else { return -1 }
            value = value * 8 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return value
    }

    /// `LEN key=value\n` records of a pax extended header, as raw bytes.
    private static func paxRecords(_ data: [UInt8]) -> [(key: [UInt8], value: [UInt8])] {
        var records: [(key: [UInt8], value: [UInt8])] = []
        var start = 0
        while start < data.count {
            guard let space = data[start...].firstIndex(of: UInt8(ascii: " ")),
                let length = Int(String(decoding: data[start..<space], as: UTF8.self)), length > 0,
                start + length <= data.count, data[start + length - 1] == UInt8(ascii: "\n"),
                let equals = data[(space + 1)..<(start + length)].firstIndex(of: UInt8(ascii: "="))
            else { break }
            records.append((Array(data[(space + 1)..<equals]), Array(data[(equals + 1)..<(start + length - 1)])))
            start += length
        }
        return records
    }
}
