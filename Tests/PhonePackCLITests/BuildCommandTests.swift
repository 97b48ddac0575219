import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack build", .ownThread)
struct BuildCommandTests {
    let pkg = "com.example.phonepack.demo"

    @Test("builds the shared-app layout that GNU tar, bsdtar and Python read with the expected owners and modes")
    func layoutReadByOtherTools() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        let tar = tmp.file("app.tar")
        let result = try CLI.run(["build", app, "-o", tar, "--mtime", "2024-03-15T09:30:00Z"])
        #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
        #expect(result.stdout.contains("built \(tar): \(pkg) 1.4.2 (42)"))

        let gnu = try Tool.check("tar", ["--numeric-owner", "-tvf", tar])
        #expect(gnu.contains("-rw-r--r-- 1000/1000") && gnu.contains("data/app/\(pkg)-1/base.apk"))
        #expect(gnu.contains("drwx------ 10000/10000") && gnu.contains("data/data/\(pkg)/"))
        #expect(gnu.contains("-rw-rw---- 10000/10000") && gnu.contains("data/data/\(pkg)/shared_prefs/settings.xml"))
        #expect(gnu.contains("drwxrwx--x 1023/1079") && gnu.contains("data/media/obb/\(pkg)/"))
        #expect(gnu.contains("2024-03-15 09:30"))
        let bsd = try Tool.check("bsdtar", ["-tvf", tar])
        #expect(bsd.split(separator: "\n").count == 14)

        // Python's tarfile: exact owners, modes and mtime of every entry, no user names, sorted order.
        let script = """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    print(m.name, oct(m.mode), m.uid, m.gid, m.mtime, repr(m.uname), m.type.decode() if m.type else '0')
            """
        let listing = try Tool.check("python3", ["-c", script, tar]).split(separator: "\n").map(String.init)
        #expect(listing.first == "data/app/\(pkg)-1 0o755 1000 1000 1710495000 '' 5")
        #expect(listing.contains("data/app/\(pkg)-1/base.apk 0o644 1000 1000 1710495000 '' 0"))
        #expect(listing.contains("data/data/\(pkg) 0o700 10000 10000 1710495000 '' 5"))
        #expect(listing.contains("data/media/0/Android/data/\(pkg)/files/assets.pak 0o660 1023 1023 1710495000 '' 0"))
        let names = listing.map { String($0.split(separator: " ")[0]) }
        #expect(names == names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })

        // Extracting with GNU tar and bsdtar gives back the input bytes.
        for (tool, args) in [("tar", ["-xf", tar, "-C"]), ("bsdtar", ["-xf", tar, "-C"])] {
            let dest = tmp.file("x-\(tool)")
            try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
            try Tool.check(tool, args + [dest])
            let original = try String(contentsOfFile: app + "/data/shared_prefs/settings.xml", encoding: .utf8)
            let copy = try String(
                contentsOfFile: dest + "/data/data/\(pkg)/shared_prefs/settings.xml", encoding: .utf8)
            #expect(copy == original)
            #expect(
                FileManager.default.contentsEqual(
                    atPath: app + "/base.apk", andPath: dest + "/data/app/\(pkg)-1/base.apk"))
        }
    }

    @Test("writes OUTPUT.sha256 that sha256sum -c accepts, and the same input twice gives the same bytes")
    func reproducibleWithChecksum() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try FileManager.default.createDirectory(atPath: tmp.file("b"), withIntermediateDirectories: true)
        let first = try CLI.run(
            ["build", app, "-o", tmp.file("a.tar")], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        // Touch an input: with SOURCE_DATE_EPOCH fixed, file times must not matter.
        try Tool.check("touch", ["-d", "2030-01-01", app + "/data/files/state.txt"])
        let second = try CLI.run(
            ["build", app, "-o", tmp.file("b/a.tar"), "--json"], environment: ["SOURCE_DATE_EPOCH": "1700000000"])
        #expect(first.status == Exit.success.rawValue && second.status == Exit.success.rawValue)
        let a = try Data(contentsOf: URL(fileURLWithPath: tmp.file("a.tar")))
        let b = try Data(contentsOf: URL(fileURLWithPath: tmp.file("b/a.tar")))
        #expect(a == b)
        let json = try CLI.parseJSON(second.stdout)
        let checksum = try String(contentsOfFile: tmp.file("a.tar.sha256"), encoding: .utf8)
        #expect(checksum == "\(json["sha256"] as? String ?? "?")  a.tar\n")
        try Tool.check("sha256sum", ["-c", "a.tar.sha256"], in: tmp.path)
        #expect(try Tool.check("sha256sum", [tmp.file("a.tar")]).hasPrefix(json["sha256"] as? String ?? "?"))
        // Without a fixed time the newest input decides: the touched file moves every entry's time.
        let third = try CLI.run(["build", app, "-o", tmp.file("c.tar"), "--json"])
        #expect(try CLI.parseJSON(third.stdout)["sha256"] as? String != json["sha256"] as? String)
        #expect(try Tool.check("tar", ["-tvf", tmp.file("c.tar")]).contains("2030-01-01"))
    }

    @Test("--manifest lists every entry with owner, mode and SHA-256")
    func manifest() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        let result = try CLI.run(["build", app, "-o", tmp.file("m.tar"), "--manifest"])
        #expect(result.status == Exit.success.rawValue)
        let manifest = try CLI.parseJSON(try String(contentsOfFile: tmp.file("m.tar.manifest.json"), encoding: .utf8))
        let entries = try #require(manifest["entries"] as? [[String: Any]])
        #expect(entries.count == 14)
        let state = try #require(entries.first { ($0["path"] as? String)?.hasSuffix("files/state.txt") == true })
        let expected = try Tool.check("sha256sum", [app + "/data/files/state.txt"]).prefix(64)
        #expect(state["sha256"] as? String == String(expected))
        #expect(state["mode"] as? String == "0660" && state["uid"] as? Int == 10000)
        #expect(manifest["format"] as? String == "phonepack-manifest/2")
        let package = try #require(manifest["apk"] as? [String: Any])
        #expect(package["package"] as? String == pkg && package["versionCode"] as? Int == 42)
        #expect(package["abis"] as? [String] == ["arm64-v8a", "armeabi-v7a"])
        let archive = try #require(manifest["archive"] as? [String: Any])
        let size = try FileManager.default.attributesOfItem(atPath: tmp.file("m.tar"))[.size] as? Int
        #expect(archive["size"] as? Int == size)

        // A manifest of the first format (the APK under "package", its name as "packageName") still verifies.
        try CLI.python(
            """
            import json, sys
            m = json.load(open(sys.argv[1]))
            apk = m.pop("apk")
            apk["packageName"] = apk.pop("package")
            m["package"], m["format"] = apk, "phonepack-manifest/1"
            json.dump(m, open(sys.argv[2], "w"))
            """, tmp.file("m.tar.manifest.json"), tmp.file("old.json"))
        try expectRun(["verify", tmp.file("m.tar"), "--manifest", tmp.file("old.json"), "-q"])
    }

    @Test("APK files directly: base plus split, split named split_<name>.apk; --owner and --mode apply")
    func apksAndSplits() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try CLI.makeApp(in: tmp.file("split"), ["--split", "config.arm64_v8a"])
        let result = try CLI.run([
            "build", app + "/base.apk", tmp.file("split/split_config.arm64_v8a.apk"), "-o", tmp.file("s.tar"),
            "--owner", "app=1000:1012", "--mode", "app=0750:0640",
        ])
        #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
        let listing = try Tool.check("tar", ["--numeric-owner", "-tvf", tmp.file("s.tar")])
        #expect(
            listing.contains("-rw-r----- 1000/1012") && listing.contains("data/app/\(pkg)-1/split_config.arm64_v8a.apk")
        )
        #expect(listing.contains("drwxr-x--- 1000/1012"))
        #expect(!listing.contains("data/data/"))
    }

    @Test("--package that does not match the manifest is an input error naming both")
    func packageMismatch() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        let result = try CLI.run(["build", app, "-o", tmp.file("x.tar"), "--package", "com.example.other"])
        #expect(result.status == Exit.usage.rawValue)
        #expect(result.stderr.contains("com.example.phonepack.demo") && result.stderr.contains("com.example.other"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(try tmp.listing().allSatisfy { !$0.hasSuffix(".tar") && !$0.contains(".part") })
    }

    @Test("bad inputs: missing folder, no APK, stray file, not-an-APK, unreadable APK, non-tar output name")
    func badInputs() throws {
        let tmp = try TemporaryDirectory()
        var result = try CLI.run(["build", tmp.file("nope"), "-o", tmp.file("x.tar")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("nope: does not exist"))

        try tmp.write("empty/data/f.txt", "x")
        result = try CLI.run(["build", tmp.file("empty"), "-o", tmp.file("x.tar")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("holds no .apk file"))

        let app = try CLI.makeApp(in: tmp.file("app"))
        try tmp.write("app/notes.txt", "hello")
        result = try CLI.run(["build", app, "-o", tmp.file("x.tar")])
        #expect(
            result.status == Exit.usage.rawValue && result.stderr.contains("notes.txt: is not part of the app layout"))
        try FileManager.default.removeItem(atPath: app + "/notes.txt")

        try tmp.write("fake.apk", "this is not a zip")
        result = try CLI.run(["build", tmp.file("fake.apk"), "-o", tmp.file("x.tar")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("fake.apk: is not a valid APK"))

        // An APK that cannot be read (reading /proc/self/mem at offset 0 fails with EIO, even for root).
        try FileManager.default.createSymbolicLink(
            atPath: tmp.file("unreadable.apk"), withDestinationPath: "/proc/self/mem")
        result = try CLI.run(["build", tmp.file("unreadable.apk"), "-o", tmp.file("x.tar")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("unreadable.apk"))

        result = try CLI.run(["build", app, "-o", tmp.file("x.tar.gz")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("uncompressed .tar"))

        result = try CLI.run(["build", app, "-o", tmp.file("missing-dir/x.tar")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("does not exist"))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("x.tar")))
    }

    @Test("a FIFO in the app data is refused and no partial tar is left")
    func specialFileRefused() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try Tool.check("mkfifo", [app + "/data/files/pipe"])
        let result = try CLI.run(["build", app, "-o", tmp.file("x.tar")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("pipe: is a device, FIFO or socket"))
        #expect(try tmp.listing().filter { $0.hasSuffix(".tar") || $0.hasSuffix(".part") }.isEmpty)
    }

    @Test("a symlink out of the package areas is refused; one into data/app is kept")
    func symlinks() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try FileManager.default.createSymbolicLink(
            atPath: app + "/data/lib", withDestinationPath: "/data/app/\(pkg)-1/lib/arm64")
        var result = try CLI.run(["build", app, "-o", tmp.file("ok.tar")])
        #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
        #expect(try Tool.check("tar", ["-tvf", tmp.file("ok.tar")]).contains("lib -> /data/app/\(pkg)-1/lib/arm64"))
        try FileManager.default.createSymbolicLink(atPath: app + "/data/etc", withDestinationPath: "../../../../etc")
        result = try CLI.run(["build", app, "-o", tmp.file("bad.tar")])
        #expect(
            result.status == Exit.usage.rawValue
                && result.stderr.contains("data/data/\(pkg)/etc: is a symlink to ../../../../etc"))
    }

    @Test("--from an export keeps only the package, with owners, modes, SELinux labels and links as exported")
    func fromExport() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        let export = tmp.file("export.tar")
        try CLI.craft("export", export, [pkg, app + "/base.apk"])
        let result = try CLI.run(["build", "--from", export, "-o", tmp.file("repacked.tar"), "--json"])
        #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
        let json = try CLI.parseJSON(result.stdout)
        #expect(json["droppedEntries"] as? Int == 3)
        let script = """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    print(m.name, oct(m.mode), m.uid, m.gid, m.pax_headers.get('SCHILY.xattr.security.selinux', '-'), m.linkname or '-')
            """
        let listing = try Tool.check("python3", ["-c", script, tmp.file("repacked.tar")])
        #expect(!listing.contains("com.other.app") && !listing.contains("misc/wifi"))
        #expect(
            listing.contains(
                "data/data/\(pkg)/cache 0o2771 10057 20057 u:object_r:app_data_file:s0:c57,c256,c512,c768 -"))
        #expect(listing.contains("data/app/\(pkg)-Ab3x==/base.apk 0o644 1000 1000 u:object_r:apk_data_file:s0 -"))
        #expect(listing.contains("data/data/\(pkg)/lib 0o777 1000 1000 - /data/app/\(pkg)-Ab3x==/lib/arm"))
        // The hard link sorts before its target, so it is written as a copy of the data, with the target's label
        // (one inode on the phone: the link entry carries no xattrs of its own).
        #expect(
            listing.contains(
                "data/data/\(pkg)/shared_prefs/prefs.bak 0o660 10057 10057 u:object_r:app_data_file:s0:c57,c256,c512,c768 -"
            ))
        let verify = try CLI.run(["verify", tmp.file("repacked.tar")])
        #expect(verify.status == Exit.success.rawValue, "\(verify.stdout)")

        let wrong = try CLI.run(["build", "--from", export, "-o", tmp.file("w.tar"), "--package", "com.other.app"])
        #expect(
            wrong.status == Exit.usage.rawValue && wrong.stderr.contains("has no data/app/com.other.app-*/base.apk"))
    }

    @Test("Ctrl-C during a build exits 130, leaves no tar and no temporary file, and says what is kept")
    func interrupted() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        // A 16 GiB sparse OBB: instant to make, many seconds to pack, so the interrupt lands mid-write even when a
        // loaded machine delivers it late (with 2 GiB a slow run once finished the tar first).
        let obb = app + "/obb/main.42.obb"
        _ = FileManager.default.createFile(atPath: obb, contents: nil)
        #expect(truncate(obb, 16 << 30) == 0)
        // Through a shell that becomes phonepack (exec), only to keep its standard error in a file.
        let process = try Tool.start(
            "bash",
            [
                "-c", "exec \"$0\" build \"$1\" -o \"$2\" 2>\"$3\"", CLI.binary, app, tmp.file("big.tar"),
                tmp.file("stderr.txt"),
            ])
        // Wait until the temporary file exists, so the interrupt lands mid-write.
        try waitUntil { try tmp.listing().contains { $0.hasSuffix(".part") } }
        process.signal(SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let left = try tmp.listing().filter { $0.hasSuffix(".tar") || $0.hasSuffix(".part") || $0.hasSuffix(".sha256") }
        #expect(left.isEmpty, "\(left) left after the interrupt")
        // Not "partial output removed": an upload's parts and a release's record are kept for the next run.
        let said = try String(contentsOfFile: tmp.file("stderr.txt"), encoding: .utf8)
        #expect(
            said.hasSuffix(
                "phonepack: error: interrupted: files being written were removed; what transfers and releases had stored is kept, and running the same command again resumes from it\n"
            ), "\(said)")
    }

    @Test("a mistyped verb gets a suggestion; an error after parsing shows that verb's usage, not the root's")
    func verbsAndUsage() throws {
        try expectRun(
            ["uplod", "a", "b"], exits: .usage,
            stderr:
                "phonepack: error: 'uplod' is not a phonepack command; did you mean 'upload'? (phonepack --help lists them)\n"
        )
        let tmp = try TemporaryDirectory()
        try expectRun(
            ["upload", "-r", tmp.file("missing"), "obs://b1/x/"], exits: .usage,
            stderr: """
                phonepack: error: -r takes a folder: \(tmp.file("missing")) is not one
                Usage: phonepack upload [<options>] <file> <url>
                  See 'phonepack upload --help' for more information.

                """)
        // Too far from every verb: the parser's own message stands.
        let far = try expectRun(["xyzzy"], exits: .usage)
        #expect(!far.stderr.contains("did you mean"), "\(far.stderr)")
    }

    @Test("--help explains the input layout")
    func help() throws {
        let result = try CLI.run(["build", "--help"])
        #expect(result.status == Exit.success.rawValue)
        #expect(result.stdout.contains("external/  -> data/media/0/Android/data/<pkg>/"))
        #expect(result.stdout.contains("SOURCE_DATE_EPOCH"))
        let usage = try CLI.run(["build", "--bogus"])
        #expect(usage.status == Exit.usage.rawValue && usage.stderr.hasPrefix("phonepack: error: "))
    }
}
