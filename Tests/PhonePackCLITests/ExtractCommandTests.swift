import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack extract, cat, diff and inspect --summary on real exports", .ownThread)
struct ExtractCommandTests {
    let pkg = "com.example.phonepack.demo"

    /// An Android-like tree with the owners, modes, labels and links a phone export has, packed by `tool`.
    func androidExport(_ tmp: TemporaryDirectory, tool: String) throws -> String {
        let tree = tmp.file("tree")
        if !FileManager.default.fileExists(atPath: tree) {
            let app = "\(tree)/data/app/\(pkg)-1"
            let data = "\(tree)/data/data/\(pkg)"
            try FileManager.default.createDirectory(atPath: app + "/lib/arm", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: CLI.repositoryRoot + "/samples/demo-app/base.apk", toPath: app + "/base.apk")
            try tmp.write("tree/data/app/\(pkg)-1/lib/arm/libdemo.so", "ELF\n")
            try tmp.write(
                "tree/data/data/\(pkg)/shared_prefs/prefs.xml", "<map><int name=\"level\" value=\"7\"/></map>\n")
            try FileManager.default.createDirectory(atPath: data + "/cache", withIntermediateDirectories: true)
            try tmp.write("tree/data/data/\(pkg)/cache/img.bin", String(repeating: "i", count: 5000))
            try FileManager.default.createSymbolicLink(
                atPath: data + "/lib", withDestinationPath: "/data/app/\(pkg)-1/lib/arm")
            try tmp.write("tree/data/media/0/Android/data/\(pkg)/files/save.dat", "save\n")
            try Tool.check("chown", ["-R", "1000:1000", app])
            try Tool.check("chown", ["-R", "-h", "10057:10057", data])
            try Tool.check("chown", ["10057:20057", data + "/cache"])
            try Tool.check("chmod", ["0700", data])
            try Tool.check("chmod", ["02771", data + "/cache"])
            try Tool.check("chown", ["-R", "1023:1023", "\(tree)/data/media"])
            let label =
                "import os,sys\nfor p in sys.argv[2:]: os.setxattr(p, 'security.selinux', sys.argv[1].encode() + b'\\0')"
            try Tool.check(
                "python3",
                ["-c", label, "u:object_r:app_data_file:s0:c57,c256,c512,c768", data, data + "/shared_prefs/prefs.xml"])
        }
        let out = tmp.file("\(tool).tar")
        switch tool {
        case "gnu":
            try Tool.check(
                "tar",
                ["--xattrs", "--xattrs-include=*", "--format=posix", "--numeric-owner", "-cf", out, "-C", tree, "data"])
        default:
            try Tool.check("bsdtar", ["--xattrs", "--numeric-owner", "-cf", out, "-C", tree, "data"])
        }
        return out
    }

    func attributes(_ path: String) -> (mode: UInt32, uid: UInt32, gid: UInt32)? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return (UInt32(st.st_mode & 0o7777), st.st_uid, st.st_gid)
    }

    func selinuxLabel(_ path: String) throws -> String {
        let script =
            "import os,sys\ntry: print(os.getxattr(sys.argv[1], 'security.selinux').rstrip(b'\\0').decode())\nexcept OSError: print('-')"
        return try Tool.check("python3", ["-c", script, path]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(
        "exports by GNU tar and bsdtar: owners, setgid folders and labels only when asked; links kept as links",
        .requiresRoot, arguments: ["gnu", "bsd"])
    func realExports(tool: String) throws {
        let tmp = try TemporaryDirectory()
        let tar = try androidExport(tmp, tool: tool)
        let data = "data/data/\(pkg)"

        let plain = tmp.file("plain")
        var result = try CLI.run(["extract", tar, "-C", plain])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(result.stderr.contains("1 symlinks point outside"))
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: "\(plain)/\(data)/lib")
                == "/data/app/\(pkg)-1/lib/arm")
        #expect(attributes("\(plain)/\(data)/cache")?.mode == 0o771)  // setgid cleared
        #expect(attributes("\(plain)/\(data)/shared_prefs/prefs.xml")?.uid == 0)
        #expect(try selinuxLabel("\(plain)/\(data)") == "-")
        #expect(
            try String(contentsOfFile: "\(plain)/\(data)/shared_prefs/prefs.xml", encoding: .utf8).contains("level"))

        let faithful = tmp.file("faithful")
        result = try CLI.run([
            "extract", tar, "-C", faithful, "--same-owner", "--preserve-permissions", "--xattrs", "--selinux",
        ])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(attributes("\(faithful)/\(data)/cache").map { [$0.mode, $0.uid, $0.gid] } == [0o2771, 10057, 20057])
        #expect(attributes("\(faithful)/\(data)").map { [$0.mode, $0.uid] } == [0o700, 10057])
        #expect(attributes("\(faithful)/data/app/\(pkg)-1/base.apk")?.uid == 1000)
        #expect(attributes("\(faithful)/\(data)/lib")?.uid == 10057)
        #expect(
            try selinuxLabel("\(faithful)/\(data)/shared_prefs/prefs.xml")
                == "u:object_r:app_data_file:s0:c57,c256,c512,c768")

        // The faithful copy matches the archive entry for entry; the plain one differs in owners and modes only.
        result = try CLI.run(["diff", tar, faithful])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        result = try CLI.run(["diff", tar, plain, "--ignore", "owner"])
        #expect(result.status == Exit.checkFailed.rawValue)
        #expect(result.stdout.contains("~ \(data)/cache: mode 2771 → 0771"), "\(result.stdout)")
        #expect(!result.stdout.contains("content"))

        let summary = try CLI.run(["inspect", tar, "--summary"])
        #expect(summary.status == Exit.success.rawValue)
        #expect(summary.stdout.contains("app          \(pkg) 1.4.2 (42)"))
        #expect(summary.stdout.contains("uid 10057, label u:object_r:app_data_file:s0:c57,c256,c512,c768"))
        #expect(summary.stdout.contains("suspicious   0"))
        #expect(summary.stdout.contains("app data     \(pkg) 1.4.2 (42)"), "\(summary.stdout)")

        // Data without an APK (what an export of /data/data alone holds): its app is named, never "apps none".
        try tmp.write("dataonly/data/data/\(pkg)/files/state.txt", "x")
        try Tool.check("tar", ["-cf", tmp.file("dataonly.tar"), "-C", tmp.file("dataonly"), "data"])
        let dataOnly = try CLI.run(["inspect", tmp.file("dataonly.tar"), "--summary"])
        #expect(dataOnly.status == Exit.success.rawValue, "\(dataOnly.output)")
        #expect(
            dataOnly.stdout.contains("app data     \(pkg)") && !dataOnly.stdout.contains("apps         none"),
            "\(dataOnly.stdout)")
    }

    @Test("--include/--exclude take phone paths, exclude wins; --strip-components; bad patterns are usage errors")
    func selection() throws {
        let tmp = try TemporaryDirectory()
        let export = tmp.file("export.tar")
        try CLI.craft("export", export, [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        var result = try CLI.run([
            "extract", export, "-C", tmp.file("sel"), "--include", "/data/data/\(pkg)", "--include",
            "/data/app/\(pkg)-*",
            "--exclude", "/data/data/\(pkg)/cache", "--json",
        ])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        let json = try CLI.parseJSON(result.stdout)
        #expect((json["notSelected"] as? Int ?? 0) == 5)
        let listing = try tmp.listing().filter { $0.hasPrefix("sel/") }
        #expect(listing.contains("sel/data/data/\(pkg)/shared_prefs/prefs.xml"))
        #expect(listing.contains("sel/data/app/\(pkg)-Ab3x==/base.apk"))
        #expect(!listing.contains { $0.contains("com.other.app") || $0.contains("misc") || $0.contains("/cache") })

        result = try CLI.run([
            "extract", export, "-C", tmp.file("strip"), "--strip-components", "3", "--include", "/data/data/\(pkg)",
        ])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(FileManager.default.fileExists(atPath: tmp.file("strip/shared_prefs/prefs.xml")))
        #expect(FileManager.default.fileExists(atPath: tmp.file("strip/shared_prefs/prefs.bak")))

        result = try CLI.run(["extract", export, "-C", tmp.file("bad"), "--include", "data/data/\(pkg)"])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("must be absolute"))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("bad")))
    }

    @Test("existing files are kept unless --overwrite, which replaces them atomically")
    func overwrite() throws {
        let tmp = try TemporaryDirectory()
        let export = tmp.file("export.tar")
        try CLI.craft("export", export, [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        let target = tmp.file("out/data/data/\(pkg)/shared_prefs/prefs.xml")
        #expect(try CLI.run(["extract", export, "-C", tmp.file("out")]).status == Exit.success.rawValue)
        try "edited\n".write(toFile: target, atomically: false, encoding: .utf8)
        var result = try CLI.run(["extract", export, "-C", tmp.file("out")])
        #expect(
            result.status == Exit.success.rawValue
                && result.stdout.contains("prefs.xml: exists in the destination (use --overwrite"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "edited\n")
        result = try CLI.run(["extract", export, "-C", tmp.file("out"), "--overwrite"])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "<map/>\n")
        #expect(try tmp.listing().allSatisfy { !$0.hasSuffix(".part") })
    }

    @Test("limits: --max-total-size and a full disk stop before anything is written")
    func limits() throws {
        let tmp = try TemporaryDirectory()
        let export = tmp.file("export.tar")
        try CLI.craft("export", export, [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        let result = try CLI.run(["extract", export, "-C", tmp.file("small"), "--max-total-size", "1K"])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("over --max-total-size 1024"))
        #expect(result.stderr.contains("nothing was written"))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("small")))
    }

    @Test("a destination too small is refused before writing", .requiresRoot)
    func freeSpace() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("big/data/data/\(pkg)/blob.bin", String(repeating: "x", count: 3 << 20))
        try Tool.check("tar", ["-cf", tmp.file("big.tar"), "-C", tmp.file("big"), "data"])
        let mount = tmp.file("tiny")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try Tool.run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount])
        try #require(mounted.status == Exit.success.rawValue, "cannot mount a tmpfs here: \(mounted.stderr)")
        defer { _ = try? Tool.run("umount", [mount]) }
        let result = try CLI.run(["extract", tmp.file("big.tar"), "-C", mount])
        #expect(
            result.status == Exit.usage.rawValue && result.stderr.contains("only 1.0 MiB is free"), "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: mount).isEmpty)
    }

    @Test("cat prints one entry by archive name or phone path; hard links give their target; errors name the entry")
    func cat() throws {
        let tmp = try TemporaryDirectory()
        let export = tmp.file("export.tar")
        try CLI.craft("export", export, [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        var result = try CLI.run(["cat", export, "/data/data/\(pkg)/shared_prefs/prefs.xml"])
        #expect(result.status == Exit.success.rawValue && result.stdout == "<map/>\n")
        result = try CLI.run(["cat", export, "data/data/\(pkg)/shared_prefs/prefs.bak"])
        #expect(result.stdout == "<map/>\n")
        let raw = try Tool.run(
            "/bin/sh", ["-c", "\(CLI.binary) cat \(export) /data/app/\(pkg)-Ab3x==/base.apk | sha256sum"])
        #expect(
            raw.stdout.prefix(64)
                == (try Tool.check("sha256sum", [CLI.repositoryRoot + "/samples/demo-app/base.apk"]).prefix(64)))
        result = try CLI.run(["cat", export, "data/data/\(pkg)/lib"])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("is a symlink to /data/app/"))
        result = try CLI.run(["cat", export, "data/nothing"])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("data/nothing: no such entry"))
    }

    @Test("diff of two exports: added, removed, changed, and --json")
    func diff() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("a/data/data/\(pkg)/keep.txt", "same\n")
        try tmp.write("a/data/data/\(pkg)/change.txt", "before\n")
        try tmp.write("a/data/data/\(pkg)/gone.txt", "bye\n")
        try tmp.write("b/data/data/\(pkg)/keep.txt", "same\n")
        try tmp.write("b/data/data/\(pkg)/change.txt", "after!\n")
        try tmp.write("b/data/data/\(pkg)/new.txt", "hi\n")
        for side in ["a", "b"] {
            try Tool.check("tar", ["--mtime=@0", "-cf", tmp.file("\(side).tar"), "-C", tmp.file(side), "data"])
        }
        var result = try CLI.run(["diff", tmp.file("a.tar"), tmp.file("b.tar")])
        #expect(result.status == Exit.checkFailed.rawValue)
        #expect(result.stdout.contains("+ data/data/\(pkg)/new.txt"))
        #expect(result.stdout.contains("- data/data/\(pkg)/gone.txt"))
        #expect(result.stdout.contains("~ data/data/\(pkg)/change.txt: content"))
        #expect(!result.stdout.contains("keep.txt"))
        let json = try CLI.parseJSON(try CLI.run(["diff", tmp.file("a.tar"), tmp.file("b.tar"), "--json"]).stdout)
        #expect(json["identical"] as? Bool == false && (json["added"] as? [String])?.count == 1)
        result = try CLI.run(["diff", tmp.file("a.tar"), tmp.file("a.tar")])
        #expect(result.status == Exit.success.rawValue && result.stdout.contains("match"))
    }

    @Test("inspect --summary counts what extract would refuse")
    func suspiciousSummary() throws {
        let tmp = try TemporaryDirectory()
        try CLI.craft("traversal", tmp.file("t.tar"), [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        let result = try CLI.run(["inspect", tmp.file("t.tar"), "--summary", "--json"])
        #expect(result.status == Exit.success.rawValue)
        let export = try #require(try CLI.parseJSON(result.stdout)["export"] as? [String: Any])
        #expect(export["suspiciousCount"] as? Int == 1)
        let notes = try #require(export["suspicious"] as? [[String: Any]])
        #expect(notes.first?["entry"] as? String == "../evil.txt")
    }
}
