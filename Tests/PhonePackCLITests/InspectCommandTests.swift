import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack inspect", .ownThread)
struct InspectCommandTests {
    let pkg = "com.example.phonepack.demo"

    @Test("summary, --long, --tree and --json of a built tar")
    func tarViews() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        let tar = tmp.file("app.tar")
        #expect(try CLI.run(["build", app, "-o", tar, "--mtime", "0"]).status == Exit.success.rawValue)

        let summary = try CLI.run(["inspect", tar])
        #expect(summary.status == Exit.success.rawValue)
        #expect(summary.stdout.contains("entries      14: 6 files, 8 folders, 0 symlinks, 0 hard links, 0 special"))
        #expect(summary.stdout.contains("app          \(pkg) 1.4.2 (42), arm64-v8a armeabi-v7a"))
        #expect(summary.stdout.contains("largest files"))

        // --long is GNU tar's own listing, character for character.
        let long = try CLI.run(["inspect", tar, "--long"])
        #expect(long.stdout.contains("drwx------ 10000/10000       0 1970-01-01 00:00 data/data/\(pkg)/"))
        #expect(
            long.stdout == (try Tool.run("tar", ["--numeric-owner", "-tvf", tar], environment: ["TZ": "UTC"])).stdout)

        let tree = try CLI.run(["inspect", tar, "--tree"])
        #expect(tree.stdout.contains("└── data/"))
        #expect(tree.stdout.contains("shared_prefs/"))

        let json = try CLI.parseJSON(try CLI.run(["inspect", tar, "--json"]).stdout)
        let entries = try #require(json["entries"] as? [[String: Any]])
        #expect(entries.count == 14)
        let s = try #require(json["summary"] as? [String: Any])
        #expect(s["files"] as? Int == 6)
        let packages = try #require(s["packages"] as? [[String: Any]])
        #expect(packages.first?["versionCode"] as? Int == 42)
    }

    @Test("an APK shows package, versions, SDKs, ABIs and permissions")
    func apk() throws {
        let result = try CLI.run(["inspect", CLI.repositoryRoot + "/samples/demo-app/base.apk"])
        #expect(result.status == Exit.success.rawValue)
        for line in [
            "package      \(pkg)", "version      1.4.2 (42)", "sdk          min 24, target 33",
            "abis         arm64-v8a armeabi-v7a", "android.permission.ACCESS_NETWORK_STATE",
        ] {
            #expect(result.stdout.contains(line), "\(line)")
        }
    }

    @Test("tars made by GNU tar and bsdtar, with symlinks and owners, are listed like tar tv")
    func otherTools() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("tree/data/data/\(pkg)/files/a.txt", "hello\n")
        try FileManager.default.createSymbolicLink(
            atPath: tmp.file("tree/data/data/\(pkg)/lib"), withDestinationPath: "/data/app/\(pkg)-1/lib/arm")
        // setuid, setgid and sticky bits, over an x and not: s/S/t/T as tar writes them.
        for (name, mode) in [("suid", 0o4755), ("sgid", 0o2644), ("sticky", 0o1777), ("bits", 0o7000)] {
            try tmp.write("tree/data/data/\(pkg)/files/\(name)", "")
            try FileManager.default.setAttributes(
                [.posixPermissions: mode], ofItemAtPath: tmp.file("tree/data/data/\(pkg)/files/\(name)"))
        }
        try Tool.check(
            "tar",
            [
                "--owner=10057", "--group=10057", "--numeric-owner", "-cf", tmp.file("gnu.tar"), "-C", tmp.file("tree"),
                "data",
            ])
        try Tool.check(
            "bsdtar", ["--uid", "10057", "--gid", "10057", "-cf", tmp.file("bsd.tar"), "-C", tmp.file("tree"), "data"])
        for name in ["gnu.tar", "bsd.tar"] {
            let result = try CLI.run(["inspect", tmp.file(name), "--long"])
            #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
            let gnu = try Tool.run("tar", ["--numeric-owner", "-tvf", tmp.file(name)], environment: ["TZ": "UTC"])
            #expect(result.stdout == gnu.stdout, "\(name): --long differs from tar -tv")
            #expect(
                result.stdout.contains("10057/10057") && result.stdout.contains("lib -> /data/app/\(pkg)-1/lib/arm"))
            // --long is the listing alone, as tar tv prints it; the summary is the plain inspect.
            #expect(!result.stdout.contains("symlinks"), "\(result.stdout)")
            #expect(try CLI.run(["inspect", tmp.file(name)]).stdout.contains("1 symlinks"))
        }
    }

    @Test("a corrupt or compressed file is an input error (exit 2) with one line")
    func broken() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("junk.tar", String(repeating: "junk", count: 300))
        var result = try CLI.run(["inspect", tmp.file("junk.tar")])
        #expect(
            result.status == Exit.usage.rawValue
                && result.stderr == "phonepack: error: \(tmp.file("junk.tar")): is not a tar archive\n")
        try tmp.write("x/a.txt", "a")
        try Tool.check("tar", ["-czf", tmp.file("x.tgz"), "-C", tmp.path, "x"])
        result = try CLI.run(["inspect", tmp.file("x.tgz")])
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("is gzip-compressed"))
    }
}
