import Foundation
import PhonePackCore
import PhonePackTestSupport
import Testing

@Suite("Tar writer: copied and zero-copy data through the output pipeline", .ownThread)
struct TarWriterTests {
    @Test("sizes around the pipeline's 1 MiB buffers come out whole, in order, hashed, padded to a 10240 record")
    func pipelineBoundaries() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.file("t.tar")
        let sizes = [0, 1, 511, 512, 513, (1 << 20) - 1, 1 << 20, (1 << 20) + 513, 3 << 20]
        let writer = try TarWriter(output: try OpenFile.forUpdating(path))
        var expected: [String] = []
        for (index, size) in sizes.enumerated() {
            let name = "d/f\(index)"
            try writer.writeHeader(
                TarEntryHeader(
                    path: name, kind: .file(size: Int64(size)), permissions: 0o644, uid: 0, gid: 0,
                    mtime: FileTime(seconds: 0))
            )
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            // Even entries go through the copying path, odd ones are read into the pipeline's own buffers.
            if index % 2 == 0 {
                try data.withUnsafeBytes { raw in try writer.writeData(raw) }
            } else {
                var done = 0
                while done < size {
                    let start = done
                    let n = try writer.writeData(upTo: Int64(size - start)) { buffer in
                        let n = min(buffer.count, size - start, 700_000)  // short reads, as a pipe gives
                        data[start..<start + n].withUnsafeBytes { buffer.copyMemory(from: $0) }
                        return n
                    }
                    done += n
                }
            }
            expected.append("\(name) \(size) \(Digest.hash(.sha256, data).hexString)")
        }
        let (digest, size) = try writer.finish()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Int64(bytes.count) == size && size % 10240 == 0, "\(bytes.count) \(size)")
        let whole = try Tool.check("sha256sum", [path]).prefix(64)
        #expect(digest?.hexString == String(whole))
        let listing = try Tool.check(
            "python3",
            [
                "-c",
                """
                import hashlib, sys, tarfile
                with tarfile.open(sys.argv[1]) as t:
                    for m in t.getmembers():
                        print(m.name, m.size, hashlib.sha256(t.extractfile(m).read()).hexdigest())
                """, path,
            ])
        #expect(listing.split(separator: "\n").map(String.init) == expected)
    }
}
