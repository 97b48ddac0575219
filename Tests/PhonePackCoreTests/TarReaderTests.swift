import Foundation
import PhonePackCore
import PhonePackTestSupport
import Testing

@Suite("Tar reader", .ownThread)
struct TarReaderTests {
    func python(_ script: String, _ args: [String]) throws -> String {
        try Tool.check("python3", ["-c", script] + args)
    }

    func temporaryFile(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
    }

    /// A tar made by Python with long names (pax), GNU long names and a symlink, listed with data offsets.
    func makeTar(format: String) throws -> (path: String, expected: [String]) {
        let path = temporaryFile("t.tar")
        let script = """
            import io, sys, tarfile
            fmt = {'pax': tarfile.PAX_FORMAT, 'gnu': tarfile.GNU_FORMAT}[sys.argv[2]]
            with tarfile.open(sys.argv[1], 'w', format=fmt) as t:
                for i, size in enumerate([0, 1, 511, 512, 513, 70000]):
                    name = 'dir/' + ('long-' * 30 if i % 2 else '') + f'f{i}'
                    ti = tarfile.TarInfo(name); ti.size = size; ti.mode = 0o640; ti.uid = 10057
                    t.addfile(ti, io.BytesIO(bytes([i]) * size))
                ti = tarfile.TarInfo('dir/link'); ti.type = tarfile.SYMTYPE; ti.linkname = '/data/app/x'
                t.addfile(ti)
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    print(m.name, m.size, m.offset_data)
            """
        let listing = try python(script, [path, format])
        return (path, listing.split(separator: "\n").map(String.init))
    }

    @Test("names, sizes and data offsets agree with Python's tarfile", arguments: ["pax", "gnu"])
    func offsets(format: String) throws {
        let (path, expected) = try makeTar(format: format)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try OpenFile.forReading(path)
        let reader = try TarReader(file: file)
        var seen: [String] = []
        while let entry = try reader.next() {
            seen.append("\(entry.path) \(entry.size) \(entry.dataOffset)")
            if entry.kind == .symlink { #expect(entry.linkTarget == "/data/app/x") }
            if entry.kind == .file { #expect(entry.uid == 10057 && entry.permissions == 0o640) }
        }
        _ = try reader.finish()
        #expect(seen == expected)
    }

    @Test("hashing while reading gives sha256sum's answer and every data block is intact")
    func hashing() throws {
        let (path, _) = try makeTar(format: "pax")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try TarReader(file: try OpenFile.forReading(path), hashing: true)
        while let entry = try reader.next() {
            var bytes: [UInt8] = []
            try reader.forEachDataBlock { bytes += $0 }
            #expect(Int64(bytes.count) == entry.size)
        }
        let (digest, size) = try reader.finish()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(digest == Digest.hash(.sha256, Array(data)))
        #expect(size == Int64(data.count))
    }

    @Test("a truncated tar, a damaged header and data after the end marker are errors")
    func damaged() throws {
        let (path, _) = try makeTar(format: "pax")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        func readAll(_ bytes: Data) throws {
            let broken = temporaryFile("broken.tar")
            try bytes.write(to: URL(fileURLWithPath: broken))
            defer { try? FileManager.default.removeItem(atPath: broken) }
            let reader = try TarReader(file: try OpenFile.forReading(broken), hashing: true)
            while try reader.next() != nil { try reader.forEachDataBlock { _ in } }
            _ = try reader.finish()
        }
        #expect { try readAll(data.prefix(40_000)) } throws: { error in
            (error as? PhonePackError)?.code == .corruptArchive
        }
        let linkHeader = try python(
            "import sys, tarfile; print(tarfile.open(sys.argv[1]).getmember('dir/link').offset)", [path])
        var corrupted = data
        corrupted[Int(linkHeader.trimmingCharacters(in: .whitespacesAndNewlines))! + 148] ^= 0x11  // checksum field
        #expect(throws: PhonePackError.self) { try readAll(corrupted) }
        var hidden = data
        hidden.replaceSubrange((data.count - 512)..<(data.count - 500), with: Array("hidden data!".utf8))
        #expect { try readAll(hidden) } throws: { error in
            (error as? PhonePackError)?.message.contains("after the end-of-archive marker") == true
        }
        try readAll(data)
    }
}
