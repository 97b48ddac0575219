import Foundation
import PhonePackCore
import Testing

@Suite("Eight-lane MD5", .serialized)
struct MultiMD5Tests {
    @Test("every instruction-set path agrees with OpenSSL on ranges of every shape", arguments: [0, 1, 2] as [Int32])
    func agreesWithOpenSSL(level: Int32) throws {
        let used = MultiMD5.limitLevel(level)
        defer { MultiMD5.limitLevel(2) }
        #expect(used <= level)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("multimd5-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let file = try OpenFile.forReading(path)
        // Equal parts and a short last one, an empty range, lengths around block and chunk edges, more than eight.
        var ranges: [(offset: Int64, length: Int64)] = (0..<9).map { (Int64($0) * 300_000, 300_000) }
        ranges += [(2_700_000, 123_457), (5, 0), (7, 1), (11, 63), (13, 64), (17, 65), (0, 65_536), (1, 131_071)]
        let digests = try MultiMD5.digests(file: file, ranges: ranges, chunk: 65_536)
        for (range, digest) in zip(ranges, digests) {
            let expected = Digest.hash(.md5, bytes[Int(range.offset)..<Int(range.offset + range.length)])
            #expect(digest == expected, "range \(range)")
        }
    }
}
