import Foundation
import PhonePackTestSupport
import Testing

@Suite("upload - and download -: transfers from and to pipes (issue 16)", .ownThread)
struct PipeTests {
    /// `cat SOURCE | phonepack ARGS`, through bash only for the pipe (every path a positional argument; no
    /// BASH_ENV, whose start-up noise would land in the pipe).
    func piped(from source: String, _ arguments: [String], environment: [String: String]) throws -> ToolOutput {
        try Tool.run(
            "/bin/bash", ["-c", "cat \"$1\" | \"$2\" \"${@:3}\"", "_", source, CLI.binary] + arguments,
            environment: environment.merging(["BASH_ENV": ""]) { _, new in new })
    }

    @Test(
        "standard input goes up in parts and comes back on standard output byte for byte, through dropped connections",
        arguments: ["obs", "oss"])
    func roundTrip(store: String) throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--fault-rate", "0.2", "--fault-kinds", "reset,503", "--seed", "11"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let content = try writeRandomFile(tmp.file("src"), size: 1_500_000)
        let url = "\(store)://b1/pipe/src.bin"
        let up = try piped(
            from: tmp.file("src"), ["upload", "-", url, "--part-size", "100K", "--json"], environment: env)
        #expect(up.status == Exit.success.rawValue, "\(up.output)")
        let summary = try CLI.parseJSON(up.stdout)
        #expect(summary["source"] as? String == "standard input" && summary["bytes"] as? Int == 1_500_000)
        #expect(emulator.storedBytes(store: store, key: "pipe/src.bin") == content)
        #expect(emulator.storedBytes(store: store, key: "pipe/src.bin.sha256") != nil, "no KEY.sha256 beside it")
        // Standard output is the pipe the test reads: the object and nothing else.
        let down = try CLI.run(["download", url, "-", "--json"], environment: env)
        #expect(down.status == Exit.success.rawValue, "\(down.stderr)")
        #expect(Data(down.stdoutBytes) == content, "the bytes on stdout differ")
        let report = try CLI.parseJSON(down.stderr)
        #expect(report["destination"] as? String == "standard output", "\(down.stderr)")
        // An empty object comes back as nothing at all.
        try Data().write(to: URL(fileURLWithPath: tmp.file("empty")))
        let empty = try CLI.run(["upload", tmp.file("empty"), "\(store)://b1/pipe/empty"], environment: env)
        #expect(empty.status == Exit.success.rawValue, "\(empty.output)")
        let none = try CLI.run(["download", "\(store)://b1/pipe/empty", "-"], environment: env)
        #expect(none.status == Exit.success.rawValue && none.stdoutBytes.isEmpty, "\(none.output)")
    }

    @Test("build -o - | verify -: the same bytes as a built file, the report on standard error; garbage fails verify")
    func buildAndVerifyPipes() throws {
        let tmp = try TemporaryDirectory()
        let app = try CLI.makeApp(in: tmp.file("app"))
        try expectRun(["build", app, "-o", tmp.file("file.tar"), "--mtime", "0"])
        let piped = try CLI.run(["build", app, "-o", "-", "--mtime", "0"])
        #expect(piped.status == 0 && piped.stderr.hasPrefix("built standard output: "), "\(piped.stderr)")
        #expect(
            Data(piped.stdoutBytes) == FileManager.default.contents(atPath: tmp.file("file.tar")),
            "build -o - differs from build -o FILE")
        #expect(!FileManager.default.fileExists(atPath: "-") && !FileManager.default.fileExists(atPath: "-.sha256"))
        let verified = try Tool.run(
            "/bin/bash",
            ["-c", "\"$1\" build \"$2\" -o - --mtime 0 2>/dev/null | \"$1\" verify - --json", "_", CLI.binary, app],
            environment: ["BASH_ENV": ""])
        let report = try CLI.parseJSON(verified.stdout)
        #expect(verified.status == 0 && report["passed"] as? Bool == true, "\(verified.output)")
        #expect(report["file"] as? String == "standard input")
        let garbage = try Tool.run(
            "/bin/bash", ["-c", "echo not a tar | \"$1\" verify -", "_", CLI.binary], environment: ["BASH_ENV": ""])
        #expect(garbage.status == Exit.checkFailed.rawValue && garbage.stdout.contains("FAIL  tar-format"))
    }

    @Test("a store that serves other bytes than it stored: download - exits 1 and says not to use them")
    func lyingStore() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("src"), size: 50_000)
        #expect(try CLI.run(["upload", tmp.file("src"), "obs://b1/x.bin"], environment: env).status == 0)
        // Same size, other bytes, behind the server's back.
        let stored = emulator.data + "/obs/b1/.objects/" + EmulatorProcess.sha256Hex("x.bin")
        try randomBytes(50_000).write(to: URL(fileURLWithPath: stored))
        let down = try CLI.run(["download", "obs://b1/x.bin", "-"], environment: env)
        #expect(down.status == Exit.checkFailed.rawValue, "\(down.output)")
        #expect(down.stderr.contains("do not use them"), "\(down.stderr)")
        let bad = try CLI.run(["upload", "-", "obs://b1/folder/"], environment: env)
        #expect(bad.status == Exit.usage.rawValue && bad.stderr.contains("standard input has no name"), "\(bad.stderr)")
    }
}

@Suite("phonepack cp: server-side within a store, streamed between stores (issue 16)", .ownThread)
struct CopyTests {
    @Test(
        "within OBS the store copies (no body sent), in UploadPartCopy ranges above one part; OBS → OSS streams in parts; a lying source stores nothing"
    )
    func copies() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "b2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let content = try writeRandomFile(tmp.file("src"), size: 1_200_000)
        #expect(try CLI.run(["upload", tmp.file("src"), "obs://b1/a/src.bin"], environment: env).status == 0)
        let before = try emulator.requests().count
        let inside = try CLI.run(["cp", "obs://b1/a/src.bin", "obs://b2/copy/"], environment: env)
        #expect(
            inside.status == 0 && inside.stdout.contains("copied obs://b1/a/src.bin → obs://b2/copy/src.bin"),
            "\(inside.output)")
        #expect(emulator.storedBytes(store: "obs", bucket: "b2", key: "copy/src.bin") == content)
        let sent = try emulator.requests().dropFirst(before).filter { $0["method"] as? String == "PUT" }
        #expect(sent.count == 1 && (sent.first?["query"] as? [String]) == [], "one CopyObject PUT: \(sent)")
        // Larger than one CopyObject (here: than --part-size): the store copies 100 KiB ranges (UploadPartCopy).
        let partsBefore = try emulator.requests().count
        let inParts = try CLI.run(
            ["cp", "obs://b1/a/src.bin", "obs://b2/parts.bin", "--part-size", "100K", "--json"], environment: env)
        #expect(inParts.status == 0, "\(inParts.output)")
        #expect(try CLI.parseJSON(inParts.stdout)["parts"] as? Int == 12, "\(inParts.stdout)")
        #expect(emulator.storedBytes(store: "obs", bucket: "b2", key: "parts.bin") == content)
        let partCopies = try emulator.requests().dropFirst(partsBefore).filter {
            ($0["query"] as? [String] ?? []).contains("partNumber")
        }
        #expect(partCopies.count == 12, "\(partCopies.count) UploadPartCopy requests")
        let across = try CLI.run(
            ["cp", "obs://b1/a/src.bin", "oss://b1/x.bin", "--part-size", "100K"], environment: env)
        #expect(across.status == 0, "\(across.output)")
        #expect(emulator.storedBytes(store: "oss", key: "x.bin") == content)
        // The source's bytes change behind its back: the copy is aborted, nothing under the new key.
        try randomBytes(1_200_000).write(
            to: URL(fileURLWithPath: emulator.data + "/obs/b1/.objects/" + EmulatorProcess.sha256Hex("a/src.bin")))
        let lied = try CLI.run(["cp", "obs://b1/a/src.bin", "oss://b1/y.bin", "--part-size", "100K"], environment: env)
        #expect(
            lied.status == Exit.checkFailed.rawValue && lied.stderr.contains("nothing was stored"), "\(lied.output)")
        #expect(emulator.storedBytes(store: "oss", key: "y.bin") == nil)
        let pending = try CLI.run(["uploads", "ls", "oss://b1/"], environment: env)
        #expect(
            pending.stdout.contains("no unfinished uploads"),
            "the aborted copy left a multipart upload: \(pending.stdout)")
    }
}
