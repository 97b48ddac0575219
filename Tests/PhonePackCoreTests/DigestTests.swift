import Foundation
import Testing

@testable import PhonePackCore

@Suite("Digests")
struct DigestTests {
    @Test("known answers")
    func knownAnswers() {
        #expect(
            Digest.hash(.sha256, Array("abc".utf8)).hexString
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            Digest.hash(.sha256, []).hexString
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hash(.md5, Array("0123456789".utf8)).hexString == "781e5e245d69b566979b86e28d23f2c7")
        #expect(Digest.hash(.sha1, Array("abc".utf8)).hexString == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test("finalize starts a new message")
    func reuse() {
        var digest = Digest(.sha256)
        digest.update(Array("abc".utf8))
        let first = digest.finalize()
        digest.update(Array("abc".utf8))
        #expect(digest.finalize() == first)
    }

    @Test("read-ahead and output pipelines hash and copy every byte, for sizes around their buffer size")
    func pipelines() throws {
        var generator = SystemRandomNumberGenerator()
        for size in [0, 1, 4095, 4096, 4097, 3 * 4096 + 5, 40_000] {
            let data = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let expected = Digest.hash(.sha256, data)
            let source = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
            let copy = source + ".copy"
            defer {
                try? FileManager.default.removeItem(atPath: source); try? FileManager.default.removeItem(atPath: copy)
            }
            try AtomicOutputFile.write(data, to: source)

            // Read ahead with small buffers so the ring wraps many times.
            let readAhead = ReadAhead(
                file: try OpenFile.forReading(source), hashing: true, bufferSize: 4096, bufferCount: 3)
            var seen: [UInt8] = []
            while true {
                let chunk = try readAhead.next()
                if chunk.isEmpty { break }
                seen += chunk
            }
            #expect(seen == data)
            #expect(try readAhead.finish() == expected)

            // The output pipeline writes and hashes in 1000-byte blocks.
            let output = try AtomicOutputFile(destination: copy)
            let pipeline = OutputPipeline(
                output: FileStreamOutput(output.file), hashing: true, bufferSize: 1000, bufferCount: 2)
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                var offset = 0
                while offset < raw.count {
                    let end = min(offset + 1000, raw.count)
                    try pipeline.submit(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
            #expect(try pipeline.finish() == expected)
            try output.commit()
            #expect(try OpenFile.forReading(copy).readToEnd() == data)
        }
    }

    @Test("a read-ahead abandoned half way stops its thread")
    func cancel() throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: source) }
        try AtomicOutputFile.write([UInt8](repeating: 7, count: 100_000), to: source)
        let readAhead = ReadAhead(
            file: try OpenFile.forReading(source), hashing: true, bufferSize: 1024, bufferCount: 2)
        #expect(try readAhead.next().count == 1024)
        readAhead.cancel()
        readAhead.cancel()
    }

    @Test("hex round trip rejects bad input")
    func hex() {
        #expect([UInt8](hexString: "00ff10Ab") == [0, 255, 16, 171])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }
}

@Suite("CRC-32, IEEE and Castagnoli")
struct CRC32Tests {
    @Test("the standard check values of \"123456789\", and S3's base64 form")
    func checkValues() {
        var ieee = CRC32(.ieee)
        ieee.update(Array("123456789".utf8))
        #expect(ieee.value == 0xCBF4_3926)
        var castagnoli = CRC32(.castagnoli)
        castagnoli.update(Array("1234".utf8))
        castagnoli.update(Array("56789".utf8))
        #expect(castagnoli.value == 0xE306_9283)
        #expect(CRC32(.ieee).base64 == "AAAAAA==")
    }
}
