import PhonePackCore
import Testing

@Suite("Digests")
struct DigestTests {
    @Test("known answers")
    func knownAnswers() {
        #expect(Digest.hash(.sha256, Array("abc".utf8)).hexString
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.hash(.sha256, []).hexString
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

    @Test("the background hasher equals a one-shot digest over any chunking")
    func streamHasher() {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let expected = Digest.hash(.sha256, data)
        for chunk in [1, 4096, 65_537, 300_000] {
            let hasher = StreamHasher(.sha256)
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let end = min(offset + chunk, raw.count)
                    hasher.submit(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
                hasher.waitUntilIdle()
            }
            #expect(hasher.totalBytes == Int64(data.count))
            #expect(hasher.finalize() == expected)
        }
    }

    @Test("hex round trip rejects bad input")
    func hex() {
        #expect([UInt8](hexString: "00ff10Ab") == [0, 255, 16, 171])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
    }
}
