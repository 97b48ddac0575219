/// The parts of an APK that its signatures are about, found from its last bytes as Android finds them: the ZIP End of
/// Central Directory, the central directory just before it, and the APK Signing Block just before that, with
/// its ID-value pairs. Every length is checked against what is left before it is used, so a hostile APK (lying
/// sizes, overlapping sections, a block larger than the file) is refused with a message, never read past.
struct APKLayout: Sendable {
    /// Where the APK lies in the file (a whole `.apk`, or an entry of a tar).
    let offset: Int64
    let size: Int64
    let centralDirectoryOffset: Int64
    let centralDirectorySize: Int64
    let eocdOffset: Int64
    /// The End of Central Directory record, comment included.
    let eocd: [UInt8]
    /// Where the APK Signing Block starts (the central directory's offset when there is none).
    let signingBlockOffset: Int64
    /// The signing block's ID-value pairs, in order.
    let pairs: [(id: UInt32, value: [UInt8])]

    static let v2BlockID: UInt32 = 0x7109_871a
    static let v3BlockID: UInt32 = 0xf053_68c0
    static let v31BlockID: UInt32 = 0x1b93_ad61
    /// The zero padding apksigner adds to page-align the block for verity.
    static let verityPaddingID: UInt32 = 0x4272_6577

    /// Signing blocks are kilobytes; a claim above this is hostile, refused before anything is read.
    static let maxSigningBlockSize: Int64 = 64 << 20

    func value(_ id: UInt32) -> [UInt8]? { pairs.first { $0.id == id }?.value }

    var hasSigningBlock: Bool { signingBlockOffset != centralDirectoryOffset }

    static func read(_ file: OpenFile, offset: Int64, length: Int64) throws(APKSignatureFailure) -> APKLayout {
        func bytes(at position: Int64, count: Int) throws(APKSignatureFailure) -> [UInt8] {
            guard position >= 0, count >= 0, position + Int64(count) <= length else {
                throw .malformed("a ZIP record lies outside the file (at \(position), \(count) bytes)")
            }
            do {
                return try file.readExactly(count, at: offset + position)
            } catch {
                throw .malformed("the file could not be read: \(error.message)")
            }
        }
        guard length >= 22 else { throw .malformed("too short to be a ZIP (\(length) bytes)") }
        // The EOCD is 22 bytes plus a comment of up to 65,535: found scanning back from the end for its
        // signature with a comment length that reaches exactly to the end, as apksig and Android do.
        let tailLength = Int(min(length, 22 + 65_535))
        let tail = try bytes(at: length - Int64(tailLength), count: tailLength)
        var found: Int?
        var index = tailLength - 22
        while index >= 0 {
            if tail[index] == 0x50, tail[index + 1] == 0x4B, tail[index + 2] == 0x05, tail[index + 3] == 0x06,
                Int(le16(tail, index + 20)) == tailLength - index - 22
            {
                found = index
                break
            }
            index -= 1
        }
        guard let eocdIndex = found else { throw .malformed("no ZIP End of Central Directory record: not a ZIP") }
        let eocdOffset = length - Int64(tailLength) + Int64(eocdIndex)
        let eocd = Array(tail[eocdIndex...])
        if eocdOffset >= 20 {
            let locator = try bytes(at: eocdOffset - 20, count: 4)
            if locator == [0x50, 0x4B, 0x06, 0x07] {
                throw .malformed("is a ZIP64 archive; APKs are plain ZIPs (Android does not sign ZIP64)")
            }
        }
        let cdSize = Int64(le32(eocd, 12))
        let cdOffset = Int64(le32(eocd, 16))
        guard cdOffset <= eocdOffset, cdOffset + cdSize == eocdOffset else {
            throw .malformed(
                "the central directory (offset \(cdOffset), \(cdSize) bytes) is not immediately followed by the End of Central Directory (at \(eocdOffset))"
            )
        }
        var blockOffset = cdOffset
        var pairs: [(id: UInt32, value: [UInt8])] = []
        // A signing block ends with its size (8 bytes) and the magic "APK Sig Block 42" (16 bytes).
        if cdOffset >= 32 {
            let footer = try bytes(at: cdOffset - 24, count: 24)
            if Array(footer[8...]) == Array("APK Sig Block 42".utf8) {
                let claimed = le64(footer, 0)
                guard claimed >= 24, claimed <= UInt64(maxSigningBlockSize), Int64(claimed) + 8 <= cdOffset else {
                    throw .malformed(
                        "the APK Signing Block claims \(claimed) bytes, which do not fit before the central directory"
                    )
                }
                let blockSize = Int64(claimed)
                blockOffset = cdOffset - blockSize - 8
                let block = try bytes(at: blockOffset, count: Int(blockSize + 8))
                guard le64(block, 0) == claimed else {
                    throw .malformed("the APK Signing Block's two size fields differ")
                }
                var cursor = ByteCursor(block[8..<(block.count - 24)], what: "APK Signing Block")
                while !cursor.isEmpty {
                    let pairLength = try cursor.u64()
                    guard pairLength >= 4, pairLength <= UInt64(cursor.remaining) else {
                        throw .malformed(
                            "an ID-value pair of the APK Signing Block claims \(pairLength) bytes, more than are left")
                    }
                    var pair = try cursor.take(Int(pairLength))
                    pairs.append((try pair.u32(), Array(pair.rest)))
                }
            }
        }
        return APKLayout(
            offset: offset, size: length, centralDirectoryOffset: cdOffset, centralDirectorySize: cdSize,
            eocdOffset: eocdOffset, eocd: eocd, signingBlockOffset: blockOffset, pairs: pairs)
    }

    /// The central directory's records, in order. Bounded: the directory lies in the file (checked when the
    /// layout was read) and is refused above ``maxCentralDirectorySize``.
    func centralDirectory(_ file: OpenFile) throws(APKSignatureFailure) -> [ZipCentralEntry] {
        guard centralDirectorySize <= Self.maxCentralDirectorySize else {
            throw .malformed("the central directory claims \(centralDirectorySize) bytes; APKs have a few MiB at most")
        }
        let bytes: [UInt8]
        do {
            bytes = try file.readExactly(Int(centralDirectorySize), at: offset + centralDirectoryOffset)
        } catch {
            throw .malformed("the central directory could not be read: \(error.message)")
        }
        var entries: [ZipCentralEntry] = []
        var at = 0
        while at < bytes.count {
            guard at + 46 <= bytes.count, le32(bytes, at) == 0x0201_4b50 else {
                throw .malformed("central directory record #\(entries.count + 1) is not a ZIP file header")
            }
            let nameLength = Int(le16(bytes, at + 28))
            let extraLength = Int(le16(bytes, at + 30))
            let commentLength = Int(le16(bytes, at + 32))
            let end = at + 46 + nameLength + extraLength + commentLength
            guard end <= bytes.count else {
                throw .malformed("central directory record #\(entries.count + 1) runs past the directory")
            }
            entries.append(
                ZipCentralEntry(
                    name: Array(bytes[(at + 46)..<(at + 46 + nameLength)]), method: le16(bytes, at + 10),
                    compressedSize: Int64(le32(bytes, at + 20)), uncompressedSize: Int64(le32(bytes, at + 24)),
                    localHeaderOffset: Int64(le32(bytes, at + 42))))
            at = end
        }
        return entries
    }

    /// Where an entry's data starts: after its local header, whose name and extra field lengths are its own.
    func dataOffset(of entry: ZipCentralEntry, in file: OpenFile) throws(APKSignatureFailure) -> Int64 {
        guard entry.localHeaderOffset + 30 <= signingBlockOffset else {
            throw .malformed("\(entry.displayName)'s local header lies outside the ZIP entries")
        }
        let header: [UInt8]
        do {
            header = try file.readExactly(30, at: offset + entry.localHeaderOffset)
        } catch {
            throw .malformed("\(entry.displayName)'s local header could not be read: \(error.message)")
        }
        guard le32(header, 0) == 0x0403_4b50 else {
            throw .malformed("\(entry.displayName) has no local file header where the central directory says")
        }
        return entry.localHeaderOffset + 30 + Int64(le16(header, 26)) + Int64(le16(header, 28))
    }

    static let maxCentralDirectorySize: Int64 = 64 << 20

    /// The EOCD as digested: its central directory offset replaced by the signing block's offset.
    var eocdForDigests: [UInt8] {
        var copy = eocd
        let value = UInt32(truncatingIfNeeded: signingBlockOffset)
        for index in 0..<4 { copy[16 + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        return copy
    }
}

/// One record of a ZIP central directory: what PackageManager's rules look at.
struct ZipCentralEntry: Sendable {
    /// The name's bytes, as stored.
    var name: [UInt8]
    /// 0 stored, 8 deflated.
    var method: UInt16
    var compressedSize: Int64
    var uncompressedSize: Int64
    var localHeaderOffset: Int64

    var displayName: String { String(decoding: name, as: UTF8.self) }
    var isStored: Bool { method == 0 }
}

/// Bounds-checked little-endian reading of the length-prefixed structures of APK signatures.
struct ByteCursor {
    private var bytes: ArraySlice<UInt8>
    let what: String

    init(_ bytes: ArraySlice<UInt8>, what: String) {
        self.bytes = bytes
        self.what = what
    }

    init(_ bytes: [UInt8], what: String) { self.init(bytes[...], what: what) }

    var isEmpty: Bool { bytes.isEmpty }
    var remaining: Int { bytes.count }
    var rest: ArraySlice<UInt8> { bytes }

    mutating func take(_ count: Int) throws(APKSignatureFailure) -> ByteCursor {
        guard count >= 0, count <= bytes.count else {
            throw .malformed("\(what): a field claims \(count) bytes, \(bytes.count) are left")
        }
        let slice = bytes.prefix(count)
        bytes = bytes.dropFirst(count)
        return ByteCursor(slice, what: what)
    }

    mutating func u32() throws(APKSignatureFailure) -> UInt32 {
        let field = try take(4).bytes
        return field.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() throws(APKSignatureFailure) -> UInt64 {
        let field = try take(8).bytes
        return field.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A uint32 length, then that many bytes.
    mutating func lengthPrefixed() throws(APKSignatureFailure) -> ByteCursor {
        try take(Int(try u32()))
    }

    mutating func lengthPrefixedBytes() throws(APKSignatureFailure) -> [UInt8] { Array(try lengthPrefixed().bytes) }

    /// Each length-prefixed element of this sequence.
    mutating func elements() throws(APKSignatureFailure) -> [ByteCursor] {
        var out: [ByteCursor] = []
        while !isEmpty { out.append(try lengthPrefixed()) }
        return out
    }
}

func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
}
func le64(_ bytes: [UInt8], _ at: Int) -> UInt64 { UInt64(le32(bytes, at)) | UInt64(le32(bytes, at + 4)) << 32 }
