/// What a file is, from its first bytes, so a gzip'd tar or a zip gets a clear message instead of libarchive's
/// "Unrecognized archive format".
public enum FileKind: Equatable, Sendable {
    case tar
    case zip
    case gzip
    case bzip2
    case xz
    case zstd
    case lz4
    case empty
    case unknown

    public static func sniff(_ file: OpenFile) throws(PhonePackError) -> FileKind {
        var head = [UInt8](repeating: 0, count: 512)
        let n = try file.read(into: &head, fromAbsoluteOffset: 0)
        return sniff(Array(head.prefix(n)))
    }

    public static func sniff(_ head: [UInt8]) -> FileKind {
        func starts(_ magic: [UInt8]) -> Bool { head.starts(with: magic) }
        if head.isEmpty { return .empty }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0x42, 0x5a, 0x68]) { return .bzip2 }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if starts([0x04, 0x22, 0x4d, 0x18]) { return .lz4 }
        if starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06]) { return .zip }
        if head.count >= 263, Array(head[257..<262]) == Array("ustar".utf8) { return .tar }
        // A v7 tar has no magic; a header checksum that matches is the best evidence.
        if head.count == 512, TarHeaderChecksum.matches(head) { return .tar }
        return .unknown
    }

    /// How to tell the user what this is and what to do, for inputs that must be a plain tar.
    var notPlainTarAdvice: String? {
        switch self {
        case .tar: nil
        case .gzip: "is gzip-compressed; cloud phones need an uncompressed .tar (decompress it first: gunzip -k)"
        case .bzip2: "is bzip2-compressed; cloud phones need an uncompressed .tar (decompress it first: bunzip2 -k)"
        case .xz: "is xz-compressed; cloud phones need an uncompressed .tar (decompress it first: unxz -k)"
        case .zstd: "is zstd-compressed; cloud phones need an uncompressed .tar (decompress it first: unzstd)"
        case .lz4: "is lz4-compressed; cloud phones need an uncompressed .tar (decompress it first: unlz4)"
        case .zip: "is a zip file (an APK?), not a tar; build one with: phonepack build FILE.apk -o app.tar"
        case .empty: "is empty, not a tar"
        case .unknown: "is not a tar archive"
        }
    }
}

/// The ustar header checksum: the byte sum of the 512-byte header with the checksum field read as spaces.
enum TarHeaderChecksum {
    static func matches(_ header: [UInt8]) -> Bool {
        guard header.count == 512 else { return false }
        var sum = 0
        for (i, byte) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(byte) }
        let field = header[148..<156].prefix { $0 != 0 && $0 != 32 }
        guard let stored = Int(String(decoding: field, as: UTF8.self), radix: 8) else { return false }
        return stored == sum && sum != 256
    }
}
