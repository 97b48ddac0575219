import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack upload, download and uploads against the emulator and rclone", .ownThread)
struct TransferCommandTests {
    /// Part requests (PUT with partNumber) the emulator has answered with 200.
    func storedPartRequests(_ emulator: EmulatorProcess) throws -> Int {
        try emulator.requests().filter {
            $0["method"] as? String == "PUT" && ($0["query"] as? [String] ?? []).contains("partNumber")
                && $0["status"] as? Int == 200
        }.count
    }

    @Test(
        "with 20 % injected faults every size arrives byte-identical, on OBS and OSS, with each signature",
        arguments: [
            ("obs", "obs"), ("obs", "v4"), ("oss", "oss4"), ("oss", "oss1"),
        ])
    func faultyRoundTrips(store: String, signature: String) throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--fault-rate", "0.2", "--seed", "11"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        // 0 bytes, 1 byte, exactly one part, one part and a byte, many parts.
        for (name, size) in [("empty", 0), ("one", 1), ("exact", 102_400), ("over", 102_401), ("many", 1_300_000)] {
            let content = try writeRandomFile(tmp.file(name), size: size)
            let url = "\(store)://b1/dir/\(name).bin"
            let up = try CLI.run(
                ["upload", tmp.file(name), url, "--part-size", "100K", "-j", "3", "--signature", signature, "--json"],
                environment: env)
            #expect(up.status == Exit.success.rawValue, "\(name): \(up.stderr)")
            #expect(
                emulator.storedBytes(store: store, key: "dir/\(name).bin") == content, "\(name) differs on the server")
            let summary = try CLI.parseJSON(up.stdout)
            #expect(summary["parts"] as? Int == max(1, (size + 102_399) / 102_400))
            let down = try CLI.run(
                ["download", url, tmp.file("back-\(name)"), "--part-size", "100K", "--signature", signature],
                environment: env)
            #expect(down.status == Exit.success.rawValue, "\(name): \(down.stderr)")
            #expect(FileManager.default.contents(atPath: tmp.file("back-\(name)")) == content)
        }
        let faults = try emulator.requests().filter { ($0["fault"] as? String).map { $0 != "slow" } ?? false }
        #expect(faults.count >= 3, "the emulator should have injected faults")
        #expect(try tmp.listing().filter { $0.contains("partial") || $0.hasSuffix(".part") }.isEmpty)
    }

    @Test("an upload killed with -9 resumes: only the missing parts are sent; a changed file starts over")
    func resumeAfterKill() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let content = try writeRandomFile(tmp.file("app.tar"), size: 2_048_000)
        let arguments = ["upload", tmp.file("app.tar"), "obs://b1/app.tar", "--part-size", "100K", "-j", "2"]

        let process = try CLI.start(arguments + ["--limit-rate", "400K"], environment: env)
        try waitUntil(seconds: 60) { try storedPartRequests(emulator) >= 4 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let beforeResume = try storedPartRequests(emulator)
        #expect(beforeResume >= 4 && beforeResume < 20, "killed after \(beforeResume) parts")
        #expect(emulator.storedBytes(store: "obs", key: "app.tar") == nil)

        let pending = try CLI.run(["uploads", "ls", "obs://b1/", "--json"], environment: env)
        #expect(pending.stdout.contains("app.tar"))

        let resumed = try CLI.run(arguments + ["--json"], environment: env)
        #expect(resumed.status == Exit.success.rawValue, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming upload"))
        let summary = try CLI.parseJSON(resumed.stdout)
        let reused = try #require(summary["resumedParts"] as? Int)
        // Parts stored while the client was being killed may not have reached its journal; they are sent again.
        #expect(reused >= beforeResume - 2 && reused >= 2)
        // The second run sent exactly the parts that were missing.
        #expect(try storedPartRequests(emulator) - beforeResume == 20 - reused)
        #expect(emulator.storedBytes(store: "obs", key: "app.tar") == content)
        #expect(try CLI.run(["uploads", "ls", "obs://b1/"], environment: env).stdout.contains("no unfinished uploads"))

        // Interrupt again, change the file, and the next run says so and starts over.
        let partsBefore = try storedPartRequests(emulator)
        let second = try CLI.start(
            ["upload", tmp.file("app.tar"), "obs://b1/app2.tar", "--part-size", "100K", "--limit-rate", "200K"],
            environment: env)
        try waitUntil(seconds: 60) { try storedPartRequests(emulator) >= partsBefore + 2 }
        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        let changed = try writeRandomFile(tmp.file("app.tar"), size: 2_048_000)
        let restarted = try CLI.run(
            ["upload", tmp.file("app.tar"), "obs://b1/app2.tar", "--part-size", "100K"], environment: env)
        #expect(restarted.status == Exit.success.rawValue, "\(restarted.stderr)")
        #expect(restarted.stderr.contains("changed since the interrupted upload; starting over"))
        #expect(emulator.storedBytes(store: "obs", key: "app2.tar") == changed)
        // The abandoned upload was aborted, not left to cost storage.
        #expect(try CLI.run(["uploads", "ls", "obs://b1/"], environment: env).stdout.contains("no unfinished uploads"))
    }

    @Test("a download killed with -9 resumes from its partial file and is checked before it gets its name")
    func downloadResume() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let content = try writeRandomFile(tmp.file("src"), size: 1_500_000)
        #expect(
            try CLI.run(["upload", tmp.file("src"), "oss://b1/x.bin"], environment: env).status == Exit.success.rawValue
        )
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)

        let process = try CLI.start(
            [
                "download", "oss://b1/x.bin", tmp.file("out/x.bin"), "--part-size", "100K", "-j", "1", "--limit-rate",
                "300K",
            ],
            environment: env)
        // Killed once two ranges are in the journal (after its header line).
        waitUntil { journalLines(in: tmp.file("state")) >= 3 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: tmp.file("out/x.bin")), "no complete-looking file after a kill")
        #expect(FileManager.default.fileExists(atPath: tmp.file("out/.x.bin.phonepack-partial")))

        let resumed = try CLI.run(
            ["download", "oss://b1/x.bin", tmp.file("out"), "--part-size", "100K", "--json"], environment: env)
        #expect(resumed.status == Exit.success.rawValue, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming download"))
        let summary = try CLI.parseJSON(resumed.stdout)
        #expect((summary["resumedParts"] as? Int ?? 0) > 0)
        #expect(summary["crc64"] as? String != nil)
        #expect(FileManager.default.contents(atPath: tmp.file("out/x.bin")) == content)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("out")) == ["x.bin"])
    }

    @Test("wrong secret: exit 3, one line, no retry storm, no secret; missing bucket and object are named")
    func refusals() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("f"), size: 300_000)

        env["OBS_SECRET_ACCESS_KEY"] = "wrong-secret-DO-NOT-PRINT"
        let denied = try CLI.run(
            ["upload", tmp.file("f"), "obs://b1/f", "--part-size", "100K", "-v"], environment: env)
        #expect(denied.status == Exit.service.rawValue)
        #expect(denied.stderr.contains("SignatureDoesNotMatch"))
        #expect(denied.stderr.split(separator: "\n").filter { $0.contains("error:") }.count == 1)
        #expect(
            !denied.output.contains("wrong-secret-DO-NOT-PRINT") && !denied.output.contains(EmulatorProcess.secretKey))
        #expect(try emulator.requests().count <= 2, "a refused signature must not be retried")

        env = emulator.environment(stateDirectory: tmp.file("state"))
        let noBucket = try CLI.run(["upload", tmp.file("f"), "obs://nobucket/f"], environment: env)
        #expect(noBucket.status == Exit.service.rawValue)
        #expect(noBucket.stderr.contains("NoSuchBucket"))

        let noObject = try CLI.run(["download", "oss://b1/missing.tar", tmp.file("m.tar")], environment: env)
        #expect(noObject.status == Exit.service.rawValue)
        #expect(noObject.stderr.contains("NoSuchKey") && noObject.stderr.contains("missing.tar"))
        #expect(!FileManager.default.fileExists(atPath: tmp.file("m.tar")))

        let badPart = try CLI.run(["upload", tmp.file("f"), "obs://b1/f", "--part-size", "10K"], environment: env)
        #expect(badPart.status == Exit.usage.rawValue)
        #expect(badPart.stderr.contains("--part-size"))
    }

    @Test("the emulator refuses a wrong Content-MD5 and too-small parts, and stores nothing")
    func emulatorChecks() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--min-part-size", "204800"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("body", "hello")
        let url = try CLI.run(
            ["presign", "obs://b1/md5.txt", "--method", "PUT", "--signature", "v4"], environment: env
        )
        .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let put = try Tool.run(
            "curl", ["-s", "-T", tmp.file("body"), "-H", "Content-MD5: AAAAAAAAAAAAAAAAAAAAAA==", url])
        #expect(put.stdout.contains("<Code>BadDigest</Code>"))
        #expect(try CLI.run(["stat", "obs://b1/md5.txt"], environment: env).status == Exit.service.rawValue)

        _ = try writeRandomFile(tmp.file("f"), size: 300_000)
        let small = try CLI.run(["upload", tmp.file("f"), "oss://b1/f", "--part-size", "100K"], environment: env)
        #expect(small.status == Exit.service.rawValue)
        #expect(small.stderr.contains("EntityTooSmall"))
        #expect(emulator.storedBytes(store: "oss", key: "f") == nil)
    }

    @Test("a seed replays the same faults")
    func deterministicFaults() throws {
        var sequences: [[String]] = []
        for _ in 0..<2 {
            let tmp = try TemporaryDirectory()
            let emulator = try EmulatorProcess(data: tmp.file("data"), ["--fault-rate", "0.3", "--seed", "99"])
            let env = emulator.environment(stateDirectory: tmp.file("state"))
            _ = try writeRandomFile(tmp.file("f"), size: 1_000_000)
            #expect(
                try CLI.run(
                    ["upload", tmp.file("f"), "obs://b1/f", "--part-size", "100K", "-j", "1"], environment: env
                ).status == Exit.success.rawValue)
            sequences.append(try emulator.requests().map { ($0["fault"] as? String) ?? "-" })
        }
        #expect(sequences[0] == sequences[1])
        #expect(sequences[0].contains { $0 != "-" })
    }

    @Test(
        "disk full: the download is refused before anything is written",
        .requiresRoot)
    func diskFull() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("f"), size: 2_000_000)
        #expect(try CLI.run(["upload", tmp.file("f"), "obs://b1/f"], environment: env).status == Exit.success.rawValue)
        try FileManager.default.createDirectory(atPath: tmp.file("small"), withIntermediateDirectories: true)
        try Tool.check("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tmp.file("small")])
        defer { _ = try? Tool.run("umount", [tmp.file("small")]) }
        let result = try CLI.run(["download", "obs://b1/f", tmp.file("small/f")], environment: env)
        #expect(result.status == Exit.usage.rawValue)
        #expect(result.stderr.contains("free"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("small")).isEmpty)
    }

    @Test("s3:// multipart upload and download against rclone serve s3", .requires(tools: "rclone"))
    func rcloneRoundTrip() throws {
        let tmp = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp.file("s3/bucket1"), withIntermediateDirectories: true)
        let server = try LocalServer(rcloneRoot: tmp.file("s3"), accessKey: "AKRCLONE", secretKey: "rclone-secret")
        let env = [
            "AWS_ACCESS_KEY_ID": "AKRCLONE", "AWS_SECRET_ACCESS_KEY": "rclone-secret",
            "PHONEPACK_S3_ENDPOINT": "http://127.0.0.1:\(server.port)", "PHONEPACK_STATE_DIR": tmp.file("state"),
            "PHONEPACK_CONFIG": tmp.file("none.toml"),
        ]
        let content = try writeRandomFile(tmp.file("f"), size: 12_000_000)
        let up = try CLI.run(
            ["upload", tmp.file("f"), "s3://bucket1/apps/f.tar", "--part-size", "5M", "--json"], environment: env)
        #expect(up.status == Exit.success.rawValue, "\(up.stderr)")
        #expect(try CLI.parseJSON(up.stdout)["parts"] as? Int == 3)
        #expect(FileManager.default.contents(atPath: tmp.file("s3/bucket1/apps/f.tar")) == content)
        let down = try CLI.run(["download", "s3://bucket1/apps/f.tar", tmp.file("back")], environment: env)
        #expect(down.status == Exit.success.rawValue, "\(down.stderr)")
        #expect(FileManager.default.contents(atPath: tmp.file("back")) == content)
    }

    @Test("build -o obs://… streams the tar into a multipart upload through faults, identical to a local build")
    func streamingBuild() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--fault-rate", "0.15", "--seed", "5"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try CLI.makeApp(in: tmp.file("app"))
        _ = try writeRandomFile(tmp.file("app/data/files/big.bin"), size: 9_500_000)
        try FileManager.default.createDirectory(atPath: tmp.file("work"), withIntermediateDirectories: true)
        let remote = try CLI.run(
            ["build", tmp.file("app"), "-o", "obs://b1/apps/app.tar", "--mtime", "2026-01-01", "-j", "2", "--json"],
            environment: env, in: tmp.file("work"))
        #expect(remote.status == Exit.success.rawValue, "\(remote.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("work")).isEmpty, "no temporary file")
        let local = try CLI.run(["build", tmp.file("app"), "-o", tmp.file("app.tar"), "--mtime", "2026-01-01"])
        #expect(local.status == Exit.success.rawValue)
        let expected = try #require(FileManager.default.contents(atPath: tmp.file("app.tar")))
        #expect(emulator.storedBytes(store: "obs", key: "apps/app.tar") == expected)
        let sha256 = try #require(try CLI.parseJSON(remote.stdout)["sha256"] as? String)
        let sidecar = emulator.storedBytes(store: "obs", key: "apps/app.tar.sha256").map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(sidecar == "\(sha256)  app.tar\n")
        #expect(try emulator.requests().contains { ($0["query"] as? [String] ?? []).contains("partNumber") })

        // download finds the SHA-256 beside the object and checks it.
        let down = try CLI.run(["download", "obs://b1/apps/app.tar", tmp.file("back.tar"), "--json"], environment: env)
        #expect(down.status == Exit.success.rawValue, "\(down.stderr)")
        #expect(try CLI.parseJSON(down.stdout)["sha256"] as? String == sha256)
    }
}
