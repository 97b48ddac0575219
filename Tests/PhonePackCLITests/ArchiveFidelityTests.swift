import Foundation
import PhonePackTestSupport
import Testing

/// Runs a command under Python and reports its CPU time, peak memory and output size, so a test can bound them.
/// CPU time, not wall time: tests run side by side, and a busy machine must not turn a bound into a failure.
/// `timeout` (wall time) is what catches a hang.
struct Measured {
    var status: Int32
    var seconds: Double
    var maxRSSMiB: Double
    var stdoutBytes: Int
    var stderr: String

    static func run(_ arguments: [String], timeout: Double = 240) throws -> Measured {
        let script = """
            import json, resource, subprocess, sys
            try:
                p = subprocess.run(sys.argv[2:], capture_output=True, timeout=float(sys.argv[1]))
                status, out, err = p.returncode, len(p.stdout), p.stderr.decode('utf-8', 'replace')[-2000:]
            except subprocess.TimeoutExpired:
                status, out, err = -9, 0, 'timed out'
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            print(json.dumps([status, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out, err]))
            """
        let result = try Tool.run("python3", ["-c", script, String(timeout), CLI.binary] + arguments)
        let values = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Any])
        return Measured(
            status: Int32(values[0] as? Int ?? -1), seconds: values[1] as? Double ?? 0,
            maxRSSMiB: values[2] as? Double ?? 0, stdoutBytes: values[3] as? Int ?? 0,
            stderr: values[4] as? String ?? "")
    }
}

extension Measured {
    /// Runs `phonepack arguments` and expects it to end (a clear exit 0–2, no crash) within the bounds.
    static func expectBounded(
        _ arguments: [String], seconds: Double, rssMiB: Double, outputBytes: Int = 100 << 20, succeeds: Bool = false
    ) throws {
        let run = try Measured.run(arguments)
        #expect(
            succeeds ? run.status == Exit.success.rawValue : (0...2).contains(run.status), "\(arguments): \(run.stderr)"
        )
        #expect(run.seconds < seconds, "\(arguments) took \(run.seconds) s of CPU")
        #expect(run.stdoutBytes < outputBytes, "\(arguments) printed \(run.stdoutBytes) bytes")
        #expect(run.maxRSSMiB < rssMiB, "\(arguments) peaked at \(run.maxRSSMiB) MiB")
    }
}

@Suite("Archives come out exactly as they went in (issue 12)", .ownThread)
struct ArchiveFidelityTests {

    @Test(
        "one tree (NFD/NFC twins, Latin-1, case pairs, sparse, FIFO, links to links, long name, odd modes, nanosecond times, xattrs, owners) through GNU tar, bsdtar and Python tarfile, and real Debian data tars: listings equal tarfile's, extraction equals GNU tar's, no diff anywhere",
        .requires(tools: "tar", "bsdtar", "dpkg-deb"))
    func corpus() throws {
        let tmp = try TemporaryDirectory()
        let result = try Tool.run(
            "python3",
            [
                CLI.repositoryRoot + "/Tests/Scripts/fidelity_corpus.py", CLI.binary, tmp.file("w"),
                CLI.repositoryRoot + "/Tests/PhonePackCLITests/Fixtures/debian",
            ])
        #expect(result.status == Exit.success.rawValue, "\(result.stdout)\(result.stderr)")
        let report = try CLI.parseJSON(result.stdout)
        let archives = report["archives"] as? [String] ?? []
        #expect(archives.filter { !$0.hasPrefix("deb-") }.count == 10, "\(result.stdout)")
        #expect(archives.filter { $0.hasPrefix("deb-") }.count >= 3, "\(result.stdout)")
        #expect((report["failures"] as? [String]) == [], "\(result.stdout)")
    }

    @Test("each spelling of café is its own file: cat and extract keep them apart, byte for byte")
    func twins() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("twins.tar")
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                for name, data in [('caf\\u00e9.txt', b'composed\\n'), ('cafe\\u0301.txt', b'decomposed\\n')]:
                    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
            """, tar)
        #expect(try CLI.run(["cat", tar, "caf\u{e9}.txt"]).stdout == "composed\n")
        #expect(try CLI.run(["cat", tar, "cafe\u{301}.txt"]).stdout == "decomposed\n")
        let extracted = try CLI.run(["extract", tar, "-C", tmp.file("out")])
        #expect(extracted.status == Exit.success.rawValue, "\(extracted.output)")
        let names = try Tool.check(
            "python3",
            [
                "-c",
                "import os,sys; d=os.fsencode(sys.argv[1]); print([(n, open(os.path.join(d, n),'rb').read()) for n in sorted(os.listdir(d))])",
                tmp.file("out"),
            ])
        #expect(
            names.trimmingCharacters(in: .whitespacesAndNewlines)
                == "[(b'cafe\\xcc\\x81.txt', b'decomposed\\n'), (b'caf\\xc3\\xa9.txt', b'composed\\n')]")
    }

    @Test("names that hold the private-use scalars phonepack uses for raw bytes are written byte for byte")
    func escapeScalarsInNames() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("pua.tar")
        // U+10FF2F and U+10FFAF: were they taken as escapes, one would become '/' and climb out with '..'.
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                for name in ['x\\U0010FF2F..\\U0010FF2F..\\U0010FF2Fescaped', 'y\\U0010FFAF', b'z\\xe9'.decode('latin-1')]:
                    i = tarfile.TarInfo(name); i.size = 1; t.addfile(i, io.BytesIO(b'p'))
            """, tar)
        try FileManager.default.createDirectory(atPath: tmp.file("box"), withIntermediateDirectories: true)
        let result = try CLI.run(["extract", tar, "-C", tmp.file("box/out")])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        let names = try CLI.python(
            "import os,sys; print(sorted(os.listdir(os.fsencode(sys.argv[1]))))", tmp.file("box/out"))
        #expect(
            names.trimmingCharacters(in: .whitespacesAndNewlines)
                == "[b'x\\xf4\\x8f\\xbc\\xaf..\\xf4\\x8f\\xbc\\xaf..\\xf4\\x8f\\xbc\\xafescaped', b'y\\xf4\\x8f\\xbe\\xaf', b'z\\xc3\\xa9']"
        )
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("box")) == ["out"])
        #expect(try CLI.run(["diff", tar, tmp.file("box/out")]).status == Exit.success.rawValue)
    }

    @Test("a sparse file: extract keeps its holes within the limits; cat of it and of a hard link to it is the file")
    func sparse() throws {
        let tmp = try TemporaryDirectory()
        try CLI.python(
            """
            import os, sys
            os.makedirs(sys.argv[1])
            with open(sys.argv[1] + '/disk.img', 'wb') as f:
                f.truncate(20 << 20); f.seek(5 << 20); f.write(b'island'); f.seek((20 << 20) - 3); f.write(b'end')
            os.link(sys.argv[1] + '/disk.img', sys.argv[1] + '/same.img')
            """, tmp.file("tree"))
        let tar = tmp.file("sparse.tar")
        try Tool.check("tar", ["-S", "--format=posix", "-cf", tar, "-C", tmp.file("tree"), "disk.img", "same.img"])
        let original = try #require(FileManager.default.contents(atPath: tmp.file("tree/disk.img")))
        for name in ["disk.img", "same.img"] {
            let cat = try Tool.run(
                "/bin/sh", ["-c", "\"$0\" cat \"$1\" \"$2\" > \"$3\"", CLI.binary, tar, name, tmp.file("cat-\(name)")])
            #expect(cat.status == Exit.success.rawValue, "\(cat.stderr)")
            #expect(FileManager.default.contents(atPath: tmp.file("cat-\(name)")) == original, "cat \(name)")
        }
        let out = tmp.file("out")
        #expect(try CLI.run(["extract", tar, "-C", out]).status == Exit.success.rawValue)
        #expect(FileManager.default.contents(atPath: out + "/disk.img") == original)
        var st = stat()
        #expect(stat(out + "/disk.img", &st) == 0)
        #expect(Int(st.st_blocks) * 512 < 1 << 20, "the holes were filled: \(st.st_blocks) blocks")
        let limited = try CLI.run(["extract", tar, "-C", tmp.file("limited"), "--max-total-size", "10M"])
        #expect(limited.status == Exit.usage.rawValue, "\(limited.output)")
        #expect(limited.stderr.contains("--max-total-size"))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("limited/disk.img")))
    }

    @Test("names differing only in case are two folders on Linux: extract writes both, verify's unique-names agrees")
    func casePairs() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("tree/data/local/tmp/terminfo/a/ansi", "lower\n")
        try tmp.write("tree/data/local/tmp/terminfo/A/Apple_Terminal", "upper\n")
        let tar = tmp.file("case.tar")
        try Tool.check("tar", ["--format=gnu", "-cf", tar, "-C", tmp.file("tree"), "."])
        let result = try CLI.run(["extract", tar, "-C", tmp.file("out")])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: tmp.file("out/data/local/tmp/terminfo/a/ansi")))
        #expect(FileManager.default.fileExists(atPath: tmp.file("out/data/local/tmp/terminfo/A/Apple_Terminal")))
        let verify = try CLI.parseJSON(
            try CLI.run(["verify", tar, "--profile", "huawei-push-file", "--json"]).stdout)
        let rules = try #require(verify["rules"] as? [[String: Any]])
        for id in ["unique-names", "safe-paths"] {
            #expect(rules.first { $0["id"] as? String == id }?["status"] as? String == "pass", "\(id): \(rules)")
        }
    }

    // MARK: bounded work on hostile trees

    @Test("a 32,000-level name: inspect --tree, --summary and diff finish quickly with bounded output and memory")
    func deepName() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("deep.tar")
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                i = tarfile.TarInfo('a/' * 32000 + 'f'); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
                for n in range(300):
                    i = tarfile.TarInfo(('d%d/' % n) * 100 + 'f'); i.size = 1; t.addfile(i, io.BytesIO(b'y'))
            """, tar)
        for arguments in [["inspect", tar, "--tree"], ["inspect", tar, "--summary"], ["diff", tar, tar]] {
            try Measured.expectBounded(arguments, seconds: 10, rssMiB: 300, outputBytes: 20 << 20)
        }
    }

    @Test("a 10 MiB tar of 20,000 folders: --summary and diff stay linear in time and small in memory")
    func manyFolders() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("wide.tar")
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                for n in range(20000):
                    i = tarfile.TarInfo('data/data/com.x/f%05d/%s/file' % (n, 'x' * 40)); i.size = 1
                    t.addfile(i, io.BytesIO(b'x'))
            """, tar)
        for arguments in [["inspect", tar, "--summary"], ["diff", tar, tar]] {
            try Measured.expectBounded(arguments, seconds: 20, rssMiB: 200, succeeds: true)
        }
    }

    @Test("an APK whose string pool points a million entries at one huge string: inspect stays bounded")
    func stringPoolBomb() throws {
        let tmp = try TemporaryDirectory()
        let apk = tmp.file("bomb.apk")
        try CLI.python(
            """
            import struct, sys, zipfile
            count, units = 1_000_000, 2_000_000
            string = struct.pack('<HH', 0x8000 | (units >> 16), units & 0xFFFF) + b'A\\0' * units + b'\\0\\0'
            header = 28
            pool_size = header + 4 * count + len(string)
            pool = struct.pack('<HHIIIIII', 1, header, pool_size, count, 0, 0, header + 4 * count, 0)
            pool += b'\\0\\0\\0\\0' * count + string
            doc = struct.pack('<HHI', 3, 8, 8 + len(pool)) + pool
            with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('AndroidManifest.xml', doc)
            """, apk)
        try Measured.expectBounded(["inspect", apk], seconds: 15, rssMiB: 400)
    }

    @Test(
        "implied folders count as entries and inodes before anything is written",
        .requiresRoot)
    func impliedFolders() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("implied.tar")
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                for n in range(200):
                    i = tarfile.TarInfo('/'.join('p%d-%d' % (n, k) for k in range(124)) + '/f')
                    i.size = 1; t.addfile(i, io.BytesIO(b'x'))
            """, tar)
        let mount = tmp.file("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try Tool.check("mount", ["-t", "tmpfs", "-o", "size=512m,nr_inodes=5000", "tmpfs", mount])
        defer { _ = try? Tool.run("umount", [mount]) }
        let result = try CLI.run(["extract", tar, "-C", mount + "/out"])
        #expect(result.status == Exit.usage.rawValue, "\(result.output)")
        #expect(result.stderr.contains("inodes"), "\(result.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: mount + "/out"))?.isEmpty ?? true)
    }

    // MARK: crash safety

    @Test("extract killed with -9 leaves no truncated file under its final name, and a rerun finishes the job")
    func killedExtract() throws {
        let tmp = try TemporaryDirectory()
        let big = tmp.file("tree/big.bin")
        try FileManager.default.createDirectory(atPath: tmp.file("tree"), withIntermediateDirectories: true)
        _ = try writeRandomFile(big, size: 256 << 20)
        try tmp.write("tree/small.txt", "small\n")
        let tar = tmp.file("big.tar")
        try Tool.check("tar", ["-cf", tar, "-C", tmp.file("tree"), "small.txt", "big.bin"])
        let out = tmp.file("out")
        let process = try CLI.start(["extract", tar, "-C", out], environment: [:])
        usleep(150_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if let size = try? FileManager.default.attributesOfItem(atPath: out + "/big.bin")[.size] as? Int {
            #expect(size == 256 << 20, "a truncated big.bin (\(size) bytes) has its final name")
        }
        let rerun = try CLI.run(["extract", tar, "-C", out])
        #expect(rerun.status == Exit.success.rawValue, "\(rerun.output)")
        #expect(FileManager.default.contentsEqual(atPath: out + "/big.bin", andPath: big))
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["big.bin", "small.txt"])
    }

    @Test("build refuses input names verify would refuse, and a failed build leaves no manifest")
    func buildNames() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try tmp.write("app/data/bad\nname", "x")
        let result = try CLI.run(["build", app, "-o", tmp.file("app.tar"), "--manifest"])
        #expect(result.status == Exit.usage.rawValue, "\(result.output)")
        #expect(result.stderr.contains("bad\\nname"), "\(result.stderr)")
        #expect(try tmp.listing().filter { $0.hasPrefix("app.tar") }.isEmpty)
    }

    @Test(
        "a build that runs out of space leaves neither tar nor manifest",
        .requiresRoot)
    func buildOutOfSpace() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        _ = try writeRandomFile(tmp.file("app/data/blob.bin"), size: 3 << 20)
        let mount = tmp.file("small")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try Tool.check("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", mount])
        defer { _ = try? Tool.run("umount", [mount]) }
        let result = try CLI.run(["build", app, "-o", mount + "/app.tar", "--manifest"])
        #expect(result.status != Exit.success.rawValue, "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount) == [], "left behind")
    }

    @Test("extract reports the true number of refused entries past the 1,000 it lists")
    func refusedCount() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("many.tar")
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                for n in range(1500):
                    i = tarfile.TarInfo('../up%d' % n); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
            """, tar)
        let text = try CLI.run(["extract", tar, "-C", tmp.file("out")])
        #expect(text.status == Exit.checkFailed.rawValue)
        #expect(text.stderr.contains("1500 entries were refused"), "\(text.stderr)")
        let json = try CLI.parseJSON(try CLI.run(["extract", tar, "-C", tmp.file("out2"), "--json"]).stdout)
        #expect(json["refusedCount"] as? Int == 1500)
        #expect((json["refused"] as? [Any])?.count == 1000)
    }
}
