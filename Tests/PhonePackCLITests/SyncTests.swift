import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack sync: by content, both ways, --delete only under the prefix (issue 16)", .ownThread)
struct SyncTests {
    @Test("up, unchanged, one change and one removal, down; excludes; --dry-run sends nothing")
    func roundTrip() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--min-part-size", "102400"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try FileManager.default.createDirectory(atPath: tmp.file("src/a/b"), withIntermediateDirectories: true)
        for name in ["f1", "f2", "f3", "skip.log"] { _ = try writeRandomFile(tmp.file("src/\(name)"), size: 5000) }
        _ = try writeRandomFile(tmp.file("src/a/b/big"), size: 1_000_000)  // multipart: ETag not an MD5
        try FileManager.default.createSymbolicLink(atPath: tmp.file("src/link"), withDestinationPath: "/etc/passwd")
        // An object beside the prefix, which --delete must never touch.
        #expect(try CLI.run(["upload", tmp.file("src/f1"), "obs://b1/syncx/keep"], environment: env).status == 0)
        let sync = { (extra: [String]) in
            try CLI.run(
                ["sync", tmp.file("src"), "obs://b1/sync", "--exclude", "*.log", "--part-size", "100K", "--json"]
                    + extra, environment: env)
        }
        let first = try CLI.parseJSON(try sync([]).stdout)
        #expect((first["copied"] as? [String])?.sorted() == ["a/b/big", "f1", "f2", "f3"], "\(first)")
        let second = try CLI.parseJSON(try sync([]).stdout)
        #expect((second["copied"] as? [String]) == [] && second["skipped"] as? Int == 4, "\(second)")
        try Data("changed".utf8).write(to: URL(fileURLWithPath: tmp.file("src/f2")))
        try FileManager.default.removeItem(atPath: tmp.file("src/f3"))
        let before = try emulator.requests().count
        let dry = try CLI.parseJSON(try sync(["--delete", "--dry-run"]).stdout)
        #expect(dry["copied"] as? [String] == ["f2"] && dry["deleted"] as? [String] == ["f3"], "\(dry)")
        #expect(
            try emulator.requests().dropFirst(before).allSatisfy { ["GET", "HEAD"].contains($0["method"] as? String) })
        let third = try CLI.parseJSON(try sync(["--delete"]).stdout)
        #expect(third["copied"] as? [String] == ["f2"] && third["deleted"] as? [String] == ["f3"], "\(third)")
        #expect(emulator.storedBytes(store: "obs", key: "syncx/keep") != nil, "--delete went outside the prefix")
        #expect(emulator.storedBytes(store: "obs", key: "sync/skip.log") == nil, "an excluded file was sent")
        // Down into an empty folder, then nothing to do.
        let down = try CLI.parseJSON(
            try CLI.run(["sync", "obs://b1/sync/", tmp.file("dst"), "--json"], environment: env).stdout)
        #expect((down["copied"] as? [String])?.sorted() == ["a/b/big", "f1", "f2"], "\(down)")
        for name in ["a/b/big", "f1", "f2"] {
            #expect(
                FileManager.default.contentsEqual(atPath: tmp.file("src/\(name)"), andPath: tmp.file("dst/\(name)")))
        }
        let again = try CLI.parseJSON(
            try CLI.run(["sync", "obs://b1/sync/", tmp.file("dst"), "--json"], environment: env).stdout)
        #expect(again["skipped"] as? Int == 3 && (again["copied"] as? [String]) == [], "\(again)")
    }

    @Test("keys that would leave the folder are refused, and a planted symlink is not written through")
    func hostileKeys() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("f", "x")
        for key in ["s/../../evil", "s/ok", "s/del\u{7F}x", "s/link/x"] {
            #expect(try CLI.run(["upload", tmp.file("f"), "obs://b1/\(key)"], environment: env).status == 0)
        }
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmp.file("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: tmp.file("out/link"), withDestinationPath: tmp.file("elsewhere"))
        let result = try CLI.run(["sync", "obs://b1/s/", tmp.file("out")], environment: env)
        #expect(result.status != Exit.success.rawValue, "writing through out/link should fail: \(result.output)")
        #expect(result.stderr.contains("refusing to write"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("elsewhere")).isEmpty)
        #expect(
            !FileManager.default.fileExists(atPath: tmp.file("evil"))
                && !FileManager.default.fileExists(atPath: tmp.path + "/../evil"))
        #expect(!result.stderr.contains("\u{7F}"), "a raw control character reached the terminal")
    }
}
