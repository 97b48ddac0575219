import Foundation
import PhonePackTestSupport
import Testing

/// Sync between stores, the ways of deciding what to send, symlinks, and files written while they are sent
/// (issue 25).
@Suite("sync between prefixes, --size-only, --update, --ignore-existing, symlinks, files that change", .ownThread)
struct SyncOptionsTests {
    /// `sync --json`'s lines by action, and its summary.
    static func actions(_ result: ToolOutput) throws -> (summary: [String: Any], names: [String: [String]]) {
        let lines = try result.stdout.split(separator: "\n").map { try CLI.parseJSON(String($0)) }
        var names: [String: [String]] = [:]
        for line in lines.dropLast() {
            names[line["action"] as? String ?? "?", default: []].append(line["name"] as? String ?? "?")
        }
        return (lines.last ?? [:], names.mapValues { $0.sorted() })
    }

    @Test(
        "prefix to prefix within a store (the store copies, no GET) and between stores (streamed); a second run sends nothing; --delete removes only under the destination"
    )
    func betweenPrefixes() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        var files: [String: Data] = [:]
        try FileManager.default.createDirectory(atPath: tmp.file("src/d/e"), withIntermediateDirectories: true)
        for name in ["a.bin", "d/b.bin", "d/e/c.bin"] {
            files[name] = try writeRandomFile(tmp.file("src/" + name), size: 20_000)
        }
        files["big.bin"] = try writeRandomFile(tmp.file("src/big.bin"), size: 300_000)
        try expectRun(["sync", tmp.file("src"), "obs://b1/one/", "--part-size", "100K", "-q"], environment: env)
        try expectRun(["upload", tmp.file("src/a.bin"), "obs://b1/two/stale.bin", "-q"], environment: env)
        let before = try emulator.requests().count
        var result = try expectRun(["sync", "obs://b1/one/", "obs://b1/two/", "--delete", "--json"], environment: env)
        var seen = try Self.actions(result)
        #expect(seen.names["copy"] == ["a.bin", "big.bin", "d/b.bin", "d/e/c.bin"], "\(result.stdout)")
        #expect(seen.names["delete"] == ["stale.bin"])
        let during = try emulator.requests().dropFirst(before)
        #expect(!during.contains { $0["method"] as? String == "GET" && ($0["query"] as? [String] ?? []).isEmpty })
        for (name, data) in files { #expect(emulator.storedBytes(store: "obs", key: "two/" + name) == data, "\(name)") }
        #expect(emulator.storedBytes(store: "obs", key: "one/a.bin") != nil, "the source is left as it is")
        result = try expectRun(["sync", "obs://b1/one/", "obs://b1/two/", "--json"], environment: env)
        seen = try Self.actions(result)
        #expect(seen.names["copy"] == nil && seen.summary["skipped"] as? Int == 4, "\(result.stdout)")
        // Between stores the bytes stream through, checked end to end; then nothing to do.
        result = try expectRun(["sync", "obs://b1/one/", "oss://b1/three/", "--json"], environment: env)
        #expect(try Self.actions(result).names["copy"]?.count == 4)
        for (name, data) in files { #expect(emulator.storedBytes(store: "oss", key: "three/" + name) == data) }
        result = try expectRun(["sync", "obs://b1/one/", "oss://b1/three/", "--json"], environment: env)
        #expect(try Self.actions(result).summary["skipped"] as? Int == 4)
    }

    @Test(
        "--size-only compares sizes alone, --ignore-existing leaves what exists, --update leaves what is newer: each without reading the file"
    )
    func decidingWithoutReading() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("src/same-size", "AAAA")
        try tmp.write("src/other-size", "AAAA")
        try tmp.write("src/new", "N")
        try expectRun(["sync", tmp.file("src"), "obs://b1/s/", "-q"], environment: env)
        try tmp.write("src/same-size", "BBBB")
        try tmp.write("src/other-size", "BBBBBB")
        var seen = try Self.actions(
            try expectRun(
                ["sync", tmp.file("src"), "obs://b1/s/", "--size-only", "--json", "--dry-run"], environment: env))
        #expect(seen.names["copy"] == ["other-size"], "a same-size change is not seen with --size-only")
        seen = try Self.actions(
            try expectRun(
                ["sync", tmp.file("src"), "obs://b1/s/", "--ignore-existing", "--json", "--dry-run"], environment: env))
        #expect(seen.names["copy"] == nil && seen.summary["skipped"] as? Int == 3)
        // An object stored after its file was last written is left by --update; a file written later is sent.
        var old = utimbuf(actime: 1_000_000_000, modtime: 1_000_000_000)
        _ = utime(tmp.file("src/same-size"), &old)
        let later = Int(Date().timeIntervalSince1970) + 100
        var new = utimbuf(actime: later, modtime: later)
        _ = utime(tmp.file("src/other-size"), &new)
        seen = try Self.actions(
            try expectRun(
                ["sync", tmp.file("src"), "obs://b1/s/", "--update", "--json", "--dry-run"], environment: env))
        #expect(seen.names["copy"] == ["other-size"], "objects newer than their files are left: \(seen)")
        seen = try Self.actions(try expectRun(["sync", tmp.file("src"), "obs://b1/s/", "--json"], environment: env))
        #expect(seen.names["copy"] == ["other-size", "same-size"])
    }

    @Test(
        "symlinks in the folder are named and left out (exit 0); --follow-symlinks reads the files and folders they point to, even outside; a loop is refused"
    )
    func symlinks() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("src/real", "real")
        try tmp.write("outside/secret", "outside")
        try tmp.write("outside/dir/inner", "inner")
        let links = ["src/to-file": "../outside/secret", "src/to-dir": "../outside/dir", "src/loop": "."]
        for (link, target) in links {
            try FileManager.default.createSymbolicLink(atPath: tmp.file(link), withDestinationPath: target)
        }
        try Tool.check("mkfifo", [tmp.file("src/fifo")])
        var result = try expectRun(["upload", "-r", tmp.file("src"), "obs://b1/l/", "--json"], environment: env)
        let seen = try Self.actions(result)
        #expect(seen.names["copy"] == ["real"])
        #expect(seen.names["leave-out"] == ["fifo", "loop", "to-dir", "to-file"], "\(result.stdout)")
        #expect(seen.summary["leftOut"] as? Int == 4)
        #expect(emulator.storedBytes(store: "obs", key: "l/to-file") == nil, "a symlink was followed unasked")
        result = try expectRun(
            ["upload", "-r", tmp.file("src"), "obs://b1/m/", "--follow-symlinks"], environment: env,
            stderr:
                "phonepack: warning: left out: fifo is a fifo\nphonepack: warning: left out: loop is a symlink loop\n")
        #expect(emulator.storedBytes(store: "obs", key: "m/to-file") == Data("outside".utf8))
        #expect(emulator.storedBytes(store: "obs", key: "m/to-dir/inner") == Data("inner".utf8))
        try expectRun(
            ["sync", tmp.file("src"), "obs://b1/n/", "-q"], environment: env,
            stderr:
                "phonepack: warning: left out: fifo is a fifo\nphonepack: warning: left out: loop is a symlink (--follow-symlinks reads what it points to)\nphonepack: warning: left out: to-dir is a symlink (--follow-symlinks reads what it points to)\nphonepack: warning: left out: to-file is a symlink (--follow-symlinks reads what it points to)\n"
        )
    }

    @Test(
        "a file rewritten while it is uploaded (in parts, at a limited rate): upload fails and keeps nothing; sync sends it again and the object matches the last content and its own SHA-256"
    )
    func rewrittenDuringUpload() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let size = 4 << 20
        try FileManager.default.createDirectory(atPath: tmp.file("src"), withIntermediateDirectories: true)
        _ = try writeRandomFile(tmp.file("src/big.bin"), size: size)
        // Rewrites the file in place (same size, same inode) once, a second after it is started.
        let rewrite = """
            import os, sys, time
            time.sleep(1.0)
            with open(sys.argv[1], "r+b") as f:
                f.write(os.urandom(\(size)))
            """
        let flags = ["--part-size", "1M", "-j", "1", "--limit-rate", "1M"]
        // Before: the parts were each right, the SHA-256 metadata of the old content, exit 0.
        let sidecar = try Tool.check("sha256sum", [tmp.file("src/big.bin")]).prefix(64)
        var writer = try Tool.start("python3", ["-c", rewrite, tmp.file("src/big.bin")])
        try expectRun(
            ["upload", tmp.file("src/big.bin"), "obs://b1/u/big.bin", "--sha256", String(sidecar)] + flags,
            environment: env, exits: .checkFailed)
        writer.waitUntilExit()
        #expect(
            emulator.storedBytes(store: "obs", key: "u/big.bin") == nil, "an object that is neither version was kept")
        writer = try Tool.start("python3", ["-c", rewrite, tmp.file("src/big.bin")])
        let result = try expectRun(["sync", tmp.file("src"), "obs://b1/s/"] + flags, environment: env)
        writer.waitUntilExit()
        #expect(result.stderr.contains("big.bin changed while it was sent; sending it again"), "\(result.stderr)")
        let final = try Data(contentsOf: URL(fileURLWithPath: tmp.file("src/big.bin")))
        #expect(emulator.storedBytes(store: "obs", key: "s/big.bin") == final)
        // phonepack's own download checks the object against its SHA-256 metadata.
        try expectRun(["download", "obs://b1/s/big.bin", tmp.file("back.bin"), "-q"], environment: env)
    }
}
