import Foundation
import Glibc
import PhonePackCore
import PhonePackTestSupport
import Testing

/// Hostile APKs for the signature parser: random bit flips and truncations of a signed APK, and structures that
/// lie (sizes larger than the file, overlapping sections, length prefixes of 4 GiB, a signing block of 2^63
/// bytes). Each must give a verdict or a clear error: never a crash, never unbounded memory.
@Suite("APK signature parser against hostile input (issue 27)", .ownThread)
struct APKSignatureFuzzTests {
    static let signedAPK = CLI.repositoryRoot + "/samples/demo-app/base.apk"

    /// A small deterministic generator (SplitMix64): the same mutations on every run.
    struct Mix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }
    }

    /// Verifies `bytes` as an APK, in this process: a crash here fails the whole run.
    func check(_ bytes: [UInt8], _ tmp: TemporaryDirectory) throws -> APKSignatureReport? {
        let path = tmp.file("fuzz.apk")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try OpenFile.forReading(path)
        let report = APKSignatureVerifier.verify(
            file: file, length: Int64(bytes.count), minSdk: 21, targetSdk: 33, workers: 2)
        if let failure = report.failure {
            #expect(!failure.message.isEmpty && !failure.message.contains("\n"))
        }
        _ = try? APKInfo.read(from: file, signatures: true)
        return report
    }

    static func maxRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    @Test("400 random bit flips and 100 truncations: a verdict each, no crash; the untouched APK verifies")
    func random() throws {
        let tmp = try TemporaryDirectory()
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Self.signedAPK)))
        #expect(try check(original, tmp)?.verified == true)
        var random = Mix(state: 27)
        var verified = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            if try check(bytes, tmp)?.verified == true { verified += 1 }
        }
        for _ in 0..<100 {
            let bytes = Array(original.prefix(Int.random(in: 0..<original.count, using: &random)))
            #expect(try check(bytes, tmp)?.verified != true)
        }
        // A flip that lands in what no signature covers (the signing block's padding) may still verify; most
        // flips must not.
        #expect(verified < 40, "\(verified) of 400 flipped APKs verified")
    }

    @Test("lying structures: sizes past the file, 4 GiB length prefixes, a 2^63-byte block, a deep pile of pairs")
    func lies() throws {
        let tmp = try TemporaryDirectory()
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: Self.signedAPK)))
        let signature: [UInt8] = [0x50, 0x4b, 5, 6]
        var found: Int?
        for at in (0...(original.count - 22)).reversed() where Array(original[at..<(at + 4)]) == signature {
            found = at
            break
        }
        let eocd = try #require(found)
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(original[at + $1]) << (8 * $1) } }
        func put32(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
            for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
        }
        func put64(_ bytes: inout [UInt8], _ at: Int, _ value: UInt64) {
            for i in 0..<8 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        }
        let cdOffset = u32(eocd + 16)
        let blockSize = (0..<8).reduce(0) { $0 | Int(original[cdOffset - 24 + $1]) << (8 * $1) }
        let blockStart = cdOffset - 8 - blockSize
        let before = Self.maxRSS()
        var cases: [[UInt8]] = []
        for value: UInt32 in [0xffff_ffff, 0x7fff_ffff, UInt32(original.count), 0] {
            var cdSize = original
            put32(&cdSize, eocd + 12, value)
            var cdAt = original
            put32(&cdAt, eocd + 16, value)
            cases += [cdSize, cdAt]
        }
        for value: UInt64 in [UInt64.max, 1 << 63, UInt64(original.count) * 2, 0, 23] {
            var footer = original
            put64(&footer, cdOffset - 24, value)
            var header = original
            put64(&header, blockStart, value)
            cases += [footer, header]
        }
        // The first ID-value pair claims more than the block; then its nested length prefixes claim 4 GiB.
        var pair = original
        put64(&pair, blockStart + 8, UInt64.max)
        cases.append(pair)
        for offset in stride(from: blockStart + 20, to: min(blockStart + 400, cdOffset - 24), by: 4) {
            var nested = original
            put32(&nested, offset, 0xffff_fff0)
            cases.append(nested)
        }
        // A block of thousands of empty pairs, and one pair repeated: parsed in bounded time and memory.
        var pile = Array(original[..<blockStart])
        var pairs: [UInt8] = []
        for _ in 0..<50_000 { pairs += le64(4) + [0, 0, 0, 0] }
        pile += le64(UInt64(pairs.count + 24)) + pairs + le64(UInt64(pairs.count + 24)) + Array("APK Sig Block 42".utf8)
        let shift = pile.count - cdOffset
        pile += original[cdOffset...]
        put32(&pile, eocd + shift + 16, UInt32(cdOffset + shift))
        cases.append(pile)
        for bytes in cases {
            let report = try check(bytes, tmp)
            #expect(report?.verified != true)
        }
        #expect(Self.maxRSS() - before < 256 << 20, "memory grew by \(Self.maxRSS() - before) bytes")
    }

    func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) } }
}
