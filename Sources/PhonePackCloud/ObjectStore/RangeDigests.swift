import PhonePackCore

/// The digests asked for of a byte range of a file, in one `pread` pass.
struct RangeDigests {
    var md5: [UInt8]?
    var sha256: [UInt8]?
    var crc64: UInt64?

    static func compute(
        file: OpenFile, offset: Int64, length: Int64, md5: Bool, sha256: Bool = false, crc64: Bool
    ) throws(PhonePackError) -> RangeDigests {
        var md5Digest = md5 ? Digest(.md5) : nil
        var shaDigest = sha256 ? Digest(.sha256) : nil
        var crc: CRC64? = crc64 ? CRC64() : nil
        try file.forEachBlock(offset: offset, length: length) { block in
            md5Digest?.update(block)
            shaDigest?.update(block)
            crc?.update(block)
        }
        return RangeDigests(md5: md5Digest?.finalize(), sha256: shaDigest?.finalize(), crc64: crc?.value)
    }
}
