import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack sync: by content, both ways, --delete only under the prefix (issue 16)", .ownThread)
struct SyncTests {
    /// `sync --json` output: one object per action, then the summary; names sorted per action.
    struct Output {
        var summary: [String: Any]
        var copied: [String] = []
        var deleted: [String] = []
        var refused: [String] = []

        init(_ result: ToolOutput) throws {
            #expect(result.status == Exit.success.rawValue, "\(result.output)")
            let lines = try result.stdout.split(separator: "\n").map { try CLI.parseJSON(String($0)) }
            summary = lines.last ?? [:]
            for line in lines.dropLast() {
                let name = line["name"] as? String ?? "?"
                switch line["action"] as? String {
                case "copy": copied.append(name)
                case "delete": deleted.append(name)
                default: refused.append(name)
                }
            }
            copied.sort()
            deleted.sort()
            #expect(summary["copied"] as? Int == copied.count && summary["deleted"] as? Int == deleted.count)
        }
    }

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
        let first = try Output(try sync([]))
        #expect(first.copied == ["a/b/big", "f1", "f2", "f3"], "\(first.summary)")
        let second = try Output(try sync([]))
        #expect(second.copied == [] && second.summary["skipped"] as? Int == 4, "\(second.summary)")
        try Data("changed".utf8).write(to: URL(fileURLWithPath: tmp.file("src/f2")))
        try FileManager.default.removeItem(atPath: tmp.file("src/f3"))
        let before = try emulator.requests().count
        let dry = try Output(try sync(["--delete", "--dry-run"]))
        #expect(dry.copied == ["f2"] && dry.deleted == ["f3"], "\(dry.summary)")
        #expect(
            try emulator.requests().dropFirst(before).allSatisfy { ["GET", "HEAD"].contains($0["method"] as? String) })
        let third = try Output(try sync(["--delete"]))
        #expect(third.copied == ["f2"] && third.deleted == ["f3"], "\(third.summary)")
        #expect(emulator.storedBytes(store: "obs", key: "syncx/keep") != nil, "--delete went outside the prefix")
        #expect(emulator.storedBytes(store: "obs", key: "sync/skip.log") == nil, "an excluded file was sent")
        // Down into an empty folder, then nothing to do.
        let down = try Output(try CLI.run(["sync", "obs://b1/sync/", tmp.file("dst"), "--json"], environment: env))
        #expect(down.copied == ["a/b/big", "f1", "f2"], "\(down.summary)")
        for name in ["a/b/big", "f1", "f2"] {
            #expect(
                FileManager.default.contentsEqual(atPath: tmp.file("src/\(name)"), andPath: tmp.file("dst/\(name)")))
        }
        let again = try Output(try CLI.run(["sync", "obs://b1/sync/", tmp.file("dst"), "--json"], environment: env))
        #expect(again.summary["skipped"] as? Int == 3 && again.copied == [], "\(again.summary)")
    }

    @Test("keys that would leave the folder are refused, and a planted symlink is not written through")
    func hostileKeys() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("f", "x")
        // `/` + U+0301 is one Character that is not "/" but the kernel cuts there: split by Characters,
        // `../\u{301}evil` held no `..` and `link/\u{301}x` had no folder to check.
        for key in ["s/../../evil", "s/ok", "s/del\u{7F}x", "s/link/x", "s/../\u{301}evil", "s/link/\u{301}x"] {
            #expect(try CLI.run(["upload", tmp.file("f"), "obs://b1/\(key)"], environment: env).status == 0)
        }
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tmp.file("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: tmp.file("out/link"), withDestinationPath: tmp.file("elsewhere"))
        let result = try CLI.run(["sync", "obs://b1/s/", tmp.file("out")], environment: env)
        #expect(result.status != Exit.success.rawValue, "writing through out/link should fail: \(result.output)")
        #expect(
            result.stderr.contains("is not a folder (a symlink or a file); nothing is written or read through it"),
            "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("elsewhere")).isEmpty)
        #expect(
            !FileManager.default.fileExists(atPath: tmp.file("evil"))
                && !FileManager.default.fileExists(atPath: tmp.path + "/../evil")
                && access(tmp.file("\u{301}evil"), F_OK) != 0)
        #expect(!result.stderr.contains("\u{7F}"), "a raw control character reached the terminal")
    }

    @Test(
        "names are bytes: NFC and NFD twins stay two objects and two files; key order is byte order, so a re-sync with --delete does nothing"
    )
    func bytesAndOrder() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        // "a" is a folder: its files sort as "a/…", after "a-b" and "a.txt" and before "a0", as a store lists them.
        let names = ["caf\u{E9}", "cafe\u{301}", "a-b", "a.txt", "a/x", "a/y/z", "a0", "b"]
        for (index, name) in names.enumerated() { try tmp.write("src/" + name, "content \(index)") }
        let up = try Output(try CLI.run(["sync", tmp.file("src"), "obs://b1/t/", "--json"], environment: env))
        #expect(up.copied.count == names.count, "\(up.copied)")
        let again = try Output(
            try CLI.run(["sync", tmp.file("src"), "obs://b1/t/", "--delete", "--json"], environment: env))
        #expect(again.copied == [] && again.deleted == [] && again.summary["skipped"] as? Int == names.count)
        let down = try Output(try CLI.run(["sync", "obs://b1/t/", tmp.file("dst"), "--json"], environment: env))
        #expect(down.copied.count == names.count)
        for (index, name) in names.enumerated() {
            #expect(
                (try? String(contentsOfFile: tmp.file("dst/" + name), encoding: .utf8)) == "content \(index)",
                "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        let downAgain = try Output(
            try CLI.run(["sync", "obs://b1/t/", tmp.file("dst"), "--delete", "--json"], environment: env))
        #expect(downAgain.copied == [] && downAgain.deleted == [])
    }

    @Test("a sync killed with -9 and run again leaves the destination identical to the source")
    func killed() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--min-part-size", "102400"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        var contents: [String: Data] = [:]
        try FileManager.default.createDirectory(atPath: tmp.file("src/small"), withIntermediateDirectories: true)
        for index in 0..<40 {
            contents["small/f\(index)"] = try writeRandomFile(tmp.file("src/small/f\(index)"), size: 3000)
        }
        for index in 0..<3 { contents["big\(index)"] = try writeRandomFile(tmp.file("src/big\(index)"), size: 900_000) }
        let arguments = ["sync", tmp.file("src"), "obs://b1/k/", "--part-size", "100K", "-j", "2"]
        let process = try CLI.start(arguments + ["--limit-rate", "300K"], environment: env)
        try waitUntil(seconds: 60) { try emulator.requests().filter { $0["method"] as? String == "PUT" }.count >= 20 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let rerun = try CLI.run(arguments + ["--json"], environment: env)
        let output = try Output(rerun)
        #expect(output.copied.count < contents.count, "the rerun sent everything again: \(output.copied)")
        for (name, data) in contents {
            #expect(emulator.storedBytes(store: "obs", key: "k/" + name) == data, "\(name) differs")
        }
        let listing = try CLI.run(["ls", "-r", "obs://b1/k/"], environment: env)
        #expect(listing.stdout.split(separator: "\n").count == contents.count, "\(listing.stdout)")
    }

    @Test("a listing out of key order stops the sync with an error naming it")
    func unsortedListing() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "unsorted", in: tmp)
        let result = try CLI.run(["sync", "obs://b1/s/", tmp.file("out")], environment: server.environment(tmp))
        #expect(result.status == Exit.service.rawValue, "\(result.output)")
        #expect(result.stderr.contains("not in key order"), "\(result.stderr)")
    }

    @Test("upload -r, download -r and wildcard downloads keep paths; no match, a file for -r and - for many are errors")
    func recursive() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--min-part-size", "102400"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let files = ["logs/2024-01/app.log", "logs/2024-02/app.log", "logs/2024-02/other.txt", "x/y", "big"]
        for name in files.dropLast() { try tmp.write("t/" + name, "content of " + name) }
        _ = try writeRandomFile(tmp.file("t/big"), size: 300_000)
        let up = try CLI.run(["upload", "-r", tmp.file("t"), "obs://b1/up/", "--part-size", "100K"], environment: env)
        #expect(up.status == 0 && up.stdout.hasSuffix("uploaded 5 files (293.1 KiB) to obs://b1/up/\n"), "\(up.output)")
        for name in files {
            #expect(
                emulator.storedBytes(store: "obs", key: "up/" + name)
                    == FileManager.default.contents(atPath: tmp.file("t/" + name)), "\(name)")
        }
        let matched = try CLI.run(["download", "obs://b1/up/logs/2024-*/app.log", tmp.file("out")], environment: env)
        #expect(matched.status == 0, "\(matched.output)")
        #expect(try TemporaryDirectory.files(below: tmp.file("out")) == ["2024-01/app.log", "2024-02/app.log"])
        let all = try CLI.run(["download", "-r", "obs://b1/up/", tmp.file("all"), "--json"], environment: env)
        #expect(try Output(all).copied == files.sorted())
        for name in files {
            #expect(FileManager.default.contentsEqual(atPath: tmp.file("t/" + name), andPath: tmp.file("all/" + name)))
        }
        try expectRun(
            ["download", "obs://b1/up/nothing*", tmp.file("none")], environment: env, exits: .usage,
            stderr: "phonepack: error: obs://b1/up/nothing*: no object matches\n")
        #expect(try CLI.run(["upload", "-r", tmp.file("t/x/y"), "obs://b1/z/"], environment: env).status == 2)
        #expect(try CLI.run(["download", "-r", "obs://b1/up/", "-"], environment: env).status == 2)
    }

    @Test(
        "large files' digests are remembered while size, mtime, ctime and inode hold; a same-size rewrite with the old mtime is still sent"
    )
    func digestCache() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try FileManager.default.createDirectory(atPath: tmp.file("src"), withIntermediateDirectories: true)
        let original = try writeRandomFile(tmp.file("src/big.bin"), size: 3 << 20)
        let sync = { try Output(try CLI.run(["sync", tmp.file("src"), "obs://b1/c/", "--json"], environment: env)) }
        #expect(try sync().copied == ["big.bin"])
        #expect(try sync().copied == [])
        let cacheFiles = try TemporaryDirectory.files(below: tmp.file("state/sync-hashes"))
        #expect(cacheFiles.count == 1, "\(cacheFiles)")
        // A sync that compared by a recorded digest keeps it for the next one (it once dropped it, so every other
        // re-sync read the file again).
        let cached = try String(contentsOfFile: tmp.file("state/sync-hashes/" + cacheFiles[0]), encoding: .utf8)
        #expect(cached.split(separator: "\n").count == 1, "\(cached)")
        #expect(try sync().copied == [])
        // Same size, new bytes, the old mtime put back: only the ctime (and the content) tell.
        let mtime =
            try FileManager.default.attributesOfItem(atPath: tmp.file("src/big.bin"))[.modificationDate] as! Date
        let changed = try randomBytes(3 << 20)
        try changed.write(to: URL(fileURLWithPath: tmp.file("src/big.bin")))
        try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: tmp.file("src/big.bin"))
        #expect(try sync().copied == ["big.bin"], "a rewrite behind an unchanged mtime was missed")
        #expect(emulator.storedBytes(store: "obs", key: "c/big.bin") == changed && changed != original)
    }
}
