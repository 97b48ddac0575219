import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack verify", .ownThread)
struct VerifyCommandTests {
    let pkg = "com.example.phonepack.demo"

    /// A fresh app tar built by phonepack itself in `tmp` (which the caller keeps alive).
    func builtApp(in tmp: TemporaryDirectory) throws -> String {
        let app = try CLI.makeApp(in: tmp.file("app"))
        let tar = tmp.file("app.tar")
        let result = try CLI.run(["build", app, "-o", tar, "--manifest"])
        #expect(result.status == Exit.success.rawValue)
        return tar
    }

    /// The status word verify printed for a rule, e.g. "FAIL".
    func status(of rule: String, in output: String) -> String? {
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count >= 2, words[1] == rule { return String(words[0]) }
        }
        return nil
    }

    @Test("a tar from build passes every rule, with --manifest, --sha256, --to and --shared-free")
    func passes() throws {
        let tmp = try TemporaryDirectory()
        let tar = try builtApp(in: tmp)
        let sha = String(try String(contentsOfFile: tar + ".sha256", encoding: .utf8).prefix(64))
        let result = try CLI.run([
            "verify", tar, "--manifest", tar + ".manifest.json", "--sha256", sha, "--to",
            "obs://my-cph-bucket/apps/\(pkg)_1.4.2.tar", "--shared-free", "1G",
        ])
        #expect(result.status == Exit.success.rawValue, "\(result.stdout)")
        #expect(result.stdout.hasSuffix("verify: OK\n"))
        for rule in [
            "tar-format", "package-name", "layout", "base-apk", "safe-paths", "file-types", "no-setid", "links",
            "unique-names", "manifest-entries", "shared-free", "destination", "checksum",
        ] {
            #expect(status(of: rule, in: result.stdout) == "PASS", "\(rule)")
        }
        #expect(result.stdout.contains("is \(pkg) 1.4.2 (42)"))
        withExtendedLifetime(tmp) {}
    }

    @Test("--json is one document with every rule and passed flag")
    func json() throws {
        let tmp = try TemporaryDirectory()
        let tar = try builtApp(in: tmp)
        defer { withExtendedLifetime(tmp) {} }
        let result = try CLI.run(["verify", tar, "--json", "--package", "com.example.wrong"])
        #expect(result.status == Exit.checkFailed.rawValue, "\(result.stderr)")
        let json = try CLI.parseJSON(result.stdout)
        #expect(json["passed"] as? Bool == false)
        let rules = try #require(json["rules"] as? [[String: Any]])
        let layout = try #require(rules.first { $0["id"] as? String == "layout" })
        #expect(layout["status"] as? String == "fail")
        #expect((layout["offenderCount"] as? Int ?? 0) >= 10)
        let baseAPK = try #require(rules.first { $0["id"] as? String == "base-apk" })
        #expect((baseAPK["detail"] as? String)?.contains("com.example.wrong") == true)
    }

    @Test(
        "hostile and broken tars fail the right rule, naming the entry",
        arguments: [
            ("traversal", "safe-paths", "../evil.txt: '..' component"),
            ("absolute", "safe-paths", "/etc/evil.conf: absolute path"),
            ("outside-layout", "layout", "data/system/packages.xml: is outside the package's areas"),
            ("device", "file-types", "/null: is a char-device"),
            ("setuid", "no-setid", "files/su: has the setuid bit (mode 4755)"),
            ("symlink-out", "links", "/etc: symlink to /etc points outside"),
            ("hardlink-out", "links", "hard link to etc/passwd which is not an earlier file"),
            // Names are bytes: the link's target is the NFD spelling of an NFC file, another name on the phone.
            ("hardlink-nfd", "links", "which is not an earlier file of this tar"),
            ("duplicate", "unique-names", "/x: appears more than once"),
            ("two-packages", "package-name", "several packages"),
            ("no-apk", "base-apk", "no data/app/com.example.phonepack.demo-*/base.apk"),
        ])
    func hostile(caseName: String, rule: String, message: String) throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("\(caseName).tar")
        try CLI.craft(caseName, tar, [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        let result = try CLI.run(["verify", tar])
        #expect(result.status == Exit.checkFailed.rawValue, "\(result.output)")
        #expect(status(of: rule, in: result.stdout) == "FAIL", "\(result.stdout)")
        #expect(result.stdout.contains(message), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("\n") && result.stdout.contains("verify: FAILED"))
    }

    @Test("legitimate Android oddities pass: setgid cache folders, the lib symlink into data/app")
    func androidOddities() throws {
        let tmp = try TemporaryDirectory()
        for name in ["setgid-dir", "symlink-lib"] {
            try CLI.craft(name, tmp.file("\(name).tar"), [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
            let result = try CLI.run(["verify", tmp.file("\(name).tar")])
            #expect(result.status == Exit.success.rawValue, "\(name): \(result.stdout)")
        }
        try CLI.craft("ancestor-dir", tmp.file("anc.tar"), [pkg, CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        let warned = try CLI.run(["verify", tmp.file("anc.tar")])
        #expect(warned.status == Exit.success.rawValue && status(of: "ancestors", in: warned.stdout) == "WARN")
    }

    @Test("gzip'd, truncated and corrupt tars fail tar-format; a missing or unreadable file is exit 2")
    func brokenFiles() throws {
        let tmp = try TemporaryDirectory()
        let tar = try builtApp(in: tmp)
        try Tool.check("gzip", ["-k", tar])
        var result = try CLI.run(["verify", tar + ".gz"])
        #expect(result.status == Exit.checkFailed.rawValue && result.stdout.contains("is gzip-compressed"))

        let data = try Data(contentsOf: URL(fileURLWithPath: tar))
        try data.prefix(1600).write(to: URL(fileURLWithPath: tmp.file("short.tar")))
        result = try CLI.run(["verify", tmp.file("short.tar")])
        #expect(result.status == Exit.checkFailed.rawValue && status(of: "tar-format", in: result.stdout) == "FAIL")
        #expect(result.stdout.contains("truncated"), "\(result.stdout)")

        var corrupt = data
        corrupt.replaceSubrange(512..<1024, with: [UInt8](repeating: 0x41, count: 512))
        try corrupt.write(to: URL(fileURLWithPath: tmp.file("corrupt.tar")))
        result = try CLI.run(["verify", tmp.file("corrupt.tar")])
        #expect(
            result.status == Exit.checkFailed.rawValue && status(of: "tar-format", in: result.stdout) == "FAIL",
            "\(result.stdout)")

        try expectRun(
            ["verify", tmp.file("missing.tar")], exits: .usage, stdout: "",
            stderr: "phonepack: error: \(tmp.file("missing.tar")): does not exist (open: No such file or directory)\n")
        try expectRun(
            ["verify", "/proc/self/mem"], exits: .usage, stdout: "",
            stderr: "phonepack: error: /proc/self/mem: cannot read (pread: Input/output error)\n")
        try expectRun(
            ["verify", tmp.path], exits: .usage, stdout: "",
            stderr: "phonepack: error: \(tmp.path): is a directory, not a file\n")
    }

    @Test("--shared-free, --to and --sha256 failures")
    func contextRules() throws {
        let tmp = try TemporaryDirectory()
        let tar = try builtApp(in: tmp)
        defer { withExtendedLifetime(tmp) {} }
        let result = try CLI.run([
            "verify", tar, "--shared-free", "1000", "--to", "obs://My_Bucket/apps/my app.tar", "--sha256",
            String(repeating: "0", count: 64),
        ])
        #expect(result.status == Exit.checkFailed.rawValue)
        #expect(status(of: "shared-free", in: result.stdout) == "FAIL")
        #expect(result.stdout.contains("bucket_name My_Bucket: only lowercase letters, digits, '-' and '.'"))
        #expect(result.stdout.contains("object_path apps/my app.tar: only A-Z a-z 0-9 . / - _ + # ="))
        #expect(status(of: "checksum", in: result.stdout) == "FAIL")
        let usage = try expectRun(["verify", tar, "--sha256", "xyz"], exits: .usage, stdout: "")
        #expect(usage.stderr.hasPrefix("phonepack: error: --sha256 must be 64 hex digits\n"))
    }

    @Test("a manifest that does not match: a changed entry is named")
    func manifestMismatch() throws {
        let tmp = try TemporaryDirectory()
        let tar = try builtApp(in: tmp)
        let other = try CLI.makeApp(in: tmp.file("other"), ["--version-name", "9.9.9"])
        #expect(try CLI.run(["build", other, "-o", tmp.file("other.tar")]).status == Exit.success.rawValue)
        let result = try CLI.run(["verify", tmp.file("other.tar"), "--manifest", tar + ".manifest.json"])
        #expect(result.status == Exit.checkFailed.rawValue)
        #expect(status(of: "manifest-entries", in: result.stdout) == "FAIL")
        #expect(result.stdout.contains("data/app/\(pkg)-1/base.apk: "))
    }

    @Test("--manifest compares names as bytes: NFC and NFD twins with different data each match their own entry")
    func manifestTwins() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try tmp.write("app/data/files/caf\u{E9}", "nfc\n")
        try tmp.write("app/data/files/cafe\u{301}", "nfd, longer\n")
        #expect(try CLI.run(["build", app, "-o", tmp.file("t.tar"), "--manifest"]).status == Exit.success.rawValue)
        let result = try CLI.run(["verify", tmp.file("t.tar"), "--manifest", tmp.file("t.tar.manifest.json")])
        #expect(result.status == Exit.success.rawValue, "\(result.stdout)")
        #expect(status(of: "manifest-entries", in: result.stdout) == "PASS", "\(result.stdout)")
    }

    @Test("other profiles: share-file roots, push-file roots warning, Alibaba SendFile of an APK")
    func profiles() throws {
        let tmp = try TemporaryDirectory()
        try CLI.craft("share-files", tmp.file("share.tar"))
        var result = try CLI.run(["verify", tmp.file("share.tar"), "--profile", "huawei-share-file"])
        #expect(result.status == Exit.success.rawValue, "\(result.stdout)")
        try CLI.craft("system-file", tmp.file("system.tar"))
        result = try CLI.run(["verify", tmp.file("system.tar"), "--profile", "huawei-share-file"])
        #expect(result.status == Exit.checkFailed.rawValue && status(of: "roots", in: result.stdout) == "FAIL")
        result = try CLI.run([
            "verify", tmp.file("system.tar"), "--profile", "huawei-push-file", "--to", "obs://bucket-1/push/system.tar",
        ])
        #expect(
            result.status == Exit.success.rawValue && status(of: "roots", in: result.stdout) == "WARN",
            "\(result.stdout)")
        #expect(status(of: "size", in: result.stdout) == "PASS")

        let apk = CLI.repositoryRoot + "/samples/demo-app/base.apk"
        result = try CLI.run([
            "verify", apk, "--profile", "alibaba-sendfile", "--to", "oss://cloudphone-saved-bucket-demo/apps/demo.apk",
        ])
        #expect(result.status == Exit.success.rawValue, "\(result.stdout)")
        #expect(result.stdout.contains("\(pkg) 1.4.2 (42)"))
        result = try CLI.run(["verify", apk, "--profile", "alibaba-sendfile", "--to", "oss://my-builds/demo.apk"])
        #expect(result.status == Exit.checkFailed.rawValue && result.stdout.contains("cloudphone-saved-bucket-*"))
    }
}
