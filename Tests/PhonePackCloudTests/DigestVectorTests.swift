import Foundation
import PhonePackCore
import Testing

@Suite("Digests against the vendors' vectors")
struct DigestVectorTests {
    static let crcVectors = Vector.load("alibaba-vectors", algorithm: "CRC-64/XZ parameters (OSS crc64ecma)")
    static let md5Vectors =
        Vector.load("alibaba-vectors", algorithm: "Content-MD5 (base64 of raw 16-byte MD5)")
        + Vector.load("huawei-vectors", algorithm: "Content-MD5 (RFC 1864) and single-PUT ETag")

    /// Two vectors describe binary data instead of giving it.
    static func data(_ v: Vector) -> [UInt8] {
        if v.name.contains("1 MiB") { return [UInt8](repeating: 0, count: 1 << 20) }
        if v.name.contains("0x00..0xFF") { return (0...255).map { UInt8($0) } }
        return Array((v.string("data_utf8") ?? v.string("body_utf8") ?? "").utf8)
    }

    @Test("all loaded")
    func counts() {
        #expect(Self.crcVectors.count == 7)
        #expect(Self.md5Vectors.count == 4)
    }

    @Test("CRC-64/XZ, whole and streamed in odd chunks", arguments: crcVectors)
    func crc64(_ v: Vector) {
        let bytes = Self.data(v)
        #expect(bytes.count == Int(v.string("length")!))
        let value = CRC64.checksum(bytes)
        #expect(String(value) == v.expect("crc64_decimal_header_value"))
        #expect("0x" + String(value, radix: 16, uppercase: true).leftPadded(16) == v.expect("crc64_hex"))
        var streamed = CRC64()
        var start = 0
        for size in [1, 7, 8, 9, 100, 4096] where start < bytes.count {
            streamed.update(bytes[start..<min(bytes.count, start + size)])
            start += size
        }
        if start < bytes.count { streamed.update(bytes[start...]) }
        #expect(streamed.value == value)
        #expect(Digest.contentMD5(bytes) == v.expect("content_md5_base64"))
    }

    @Test("CRC-64 combine and continuing")
    func combine() throws {
        let v = try #require(Vector.load("alibaba-vectors", algorithm: "CRC-64 combine").first)
        let first = CRC64.checksum(Array(v.string("part1")!.utf8))
        let second = CRC64.checksum(Array(v.string("part2")!.utf8))
        #expect(first == UInt64(v.string("crc_part1")!.dropFirst(2), radix: 16))
        #expect(second == UInt64(v.string("crc_part2")!.dropFirst(2), radix: 16))
        let whole = CRC64.combine(first, second, secondLength: Int64(v.string("len_part2")!)!)
        #expect(String(whole) == v.expect("crc_whole_decimal"))
        var continued = CRC64(continuing: first)
        continued.update(Array(v.string("part2")!.utf8))
        #expect(continued.value == whole)
        // Combining many random splits of random data gives the CRC of the whole.
        var generator = SystemRandomNumberGenerator()
        let data = (0..<10_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let cut = Int.random(in: 0...data.count, using: &generator)
        #expect(
            CRC64.combine(
                CRC64.checksum(data[..<cut]), CRC64.checksum(data[cut...]), secondLength: Int64(data.count - cut))
                == CRC64.checksum(data))
    }

    @Test("Content-MD5", arguments: md5Vectors)
    func contentMD5(_ v: Vector) {
        #expect(Digest.contentMD5(Self.data(v)) == v.expect("content_md5"))
    }

    @Test("multipart ETag = MD5 of the part MD5s, -N")
    func multipartETag() throws {
        let v = try #require(
            Vector.load("huawei-vectors", algorithm: "OBS merged-object ETag = MD5(M1||M2||...||MN)-N").first)
        let parts = [
            [UInt8](repeating: 0x41, count: 102_400), [UInt8](repeating: 0x42, count: 102_400),
            [UInt8](repeating: 0x43, count: 10),
        ].map { Digest.hash(.md5, $0) }
        #expect(parts.map(\.hexString) == (v.inputs["part_md5_hex"] as? [any Sendable])?.map { "\($0)" })
        #expect(Digest.multipartETag(partMD5s: parts) == v.expect("etag"))
    }

    @Test("HMAC known answers (RFC 4231 case 2, RFC 2202 case 2)")
    func hmac() {
        #expect(
            HMAC.authenticate(.sha256, key: Array("Jefe".utf8), message: "what do ya want for nothing?").hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            HMAC.authenticate(.sha1, key: Array("Jefe".utf8), message: "what do ya want for nothing?").hexString
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
