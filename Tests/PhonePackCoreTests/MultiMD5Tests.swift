import Foundation
import PhonePackCore
import PhonePackTestSupport
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
        // Debug builds run the lanes slowly: small chunks keep every shape (ranges over many chunks, edges) cheap.
        let chunk = 4_096
        let bytes = try writeRandomFile(path, size: 240_000)
        let file = try OpenFile.forReading(path)
        // Equal parts and a short last one, an empty range, lengths around block and chunk edges, more than eight.
        var ranges: [(offset: Int64, length: Int64)] = (0..<9).map { (Int64($0) * 24_000, 24_000) }
        ranges += [(216_000, 12_347), (5, 0), (7, 1), (11, 63), (13, 64), (17, 65), (0, 4_096), (1, 8_191)]
        let digests = try MultiMD5.digests(file: file, ranges: ranges, chunk: chunk)
        for (range, digest) in zip(ranges, digests) {
            let expected = Digest.hash(.md5, bytes[Int(range.offset)..<Int(range.offset + range.length)])
            #expect(digest == expected, "range \(range)")
        }
    }
}
