import Foundation
import PhonePackTestSupport
import Testing

@Suite(
    "One output contract: JSON errors, --json on rm/presign/config, header rows, -q, plain progress (issue 17)",
    .ownThread)
struct OutputContractTests {
    /// stderr's one JSON line, decoded.
    static func errorObject(_ result: ToolOutput) throws -> [String: Any] {
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        let object = try CLI.parseJSON(result.stderr)
        return try #require(object["error"] as? [String: Any], "\(result.stderr)")
    }

    @Test("under --json a failure is one JSON object on stderr, with the code and exit code a script tests")
    func jsonErrors() throws {
        let tmp = try TemporaryDirectory()
        let missing = try CLI.run(["verify", tmp.file("nope.tar"), "--json"])
        #expect(missing.status == Exit.usage.rawValue && missing.stdout.isEmpty)
        let error = try Self.errorObject(missing)
        #expect(error["code"] as? String == "notFound" && error["exitCode"] as? Int == 2)
        #expect(error["path"] as? String == tmp.file("nope.tar"))

        let usage = try CLI.run(["stat", "--json"])
        let parsed = try Self.errorObject(usage)
        #expect(usage.status == Exit.usage.rawValue && parsed["code"] as? String == "usage")
        #expect((parsed["message"] as? String)?.contains("<url>") == true)

        // Without --json the same failure is the usual one line.
        let plain = try CLI.run(["verify", tmp.file("nope.tar")])
        #expect(plain.stderr.hasPrefix("phonepack: error: \(tmp.file("nope.tar")): "))
    }

    @Test("rm, presign and config answer --json; uploads ls and phones print header rows")
    func jsonVerbsAndHeaders() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("a.bin"), size: 1000)
        for key in ["x/a.bin", "x/b.bin"] {
            #expect(try CLI.run(["upload", tmp.file("a.bin"), "obs://b1/\(key)"], environment: env).status == 0)
        }
        let dry = try CLI.run(["rm", "obs://b1/x/*.bin", "--dry-run", "--json"], environment: env)
        let planned = try CLI.parseJSON(dry.stdout)
        #expect(planned["dryRun"] as? Bool == true)
        #expect(planned["deleted"] as? [String] == ["obs://b1/x/a.bin", "obs://b1/x/b.bin"])
        let removed = try CLI.parseJSON(try CLI.run(["rm", "obs://b1/x/a.bin", "--json"], environment: env).stdout)
        #expect(removed["deleted"] as? [String] == ["obs://b1/x/a.bin"] && removed["dryRun"] as? Bool == false)

        let signed = try CLI.parseJSON(
            try CLI.run(["presign", "obs://b1/x/b.bin", "--expires", "600", "--json"], environment: env).stdout)
        #expect(signed["method"] as? String == "GET" && signed["expiresIn"] as? Int == 600)
        #expect((signed["url"] as? String)?.hasPrefix(emulator.endpoints["obs"]! + "/b1/x/b.bin?") == true)
        #expect((signed["expiresAt"] as? String)?.hasSuffix("Z") == true)

        let config = tmp.file("config.toml")
        try """
        [default]
        region = "cn-north-4"
        huawei_secret_key = "s3cr3t-value"
        proxy = "http://me:pr0xy-pw@127.0.0.1:9"

        """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let profile = try CLI.run(["config", "list", "--json"], environment: ["PHONEPACK_CONFIG": config])
        let values = try CLI.parseJSON(profile.stdout)["values"] as? [String: String]
        #expect(
            values == [
                "region": "cn-north-4", "huawei_secret_key": "(set, hidden)",
                "proxy": "http://me:(hidden)@127.0.0.1:9",
            ])
        #expect(!profile.stdout.contains("s3cr3t"))
        // A proxy's password is masked in text too, where get and list show it.
        for command in [["config", "list"], ["config", "get", "proxy"]] {
            let shown = try CLI.run(command, environment: ["PHONEPACK_CONFIG": config])
            #expect(shown.stdout.contains("http://me:(hidden)@127.0.0.1:9") && !shown.output.contains("pr0xy-pw"))
        }
        let got = try CLI.parseJSON(
            try CLI.run(["config", "get", "region", "--json"], environment: ["PHONEPACK_CONFIG": config]).stdout)
        #expect(got["values"] as? [String: String] == ["region": "cn-north-4"])

        // Unfinished uploads are listed under a header (one started by the AWS CLI, which nobody here wrote).
        let none = try CLI.run(["uploads", "ls", "obs://b1/"], environment: env)
        #expect(none.stdout == "no unfinished uploads under obs://b1/\n")
        let aws = try Tool.run(
            "aws",
            [
                "--endpoint-url", emulator.endpoints["obs"]!, "s3api", "create-multipart-upload", "--bucket", "b1",
                "--key", "u/k",
            ],
            environment: [
                "AWS_ACCESS_KEY_ID": EmulatorProcess.accessKey, "AWS_SECRET_ACCESS_KEY": EmulatorProcess.secretKey,
                "AWS_DEFAULT_REGION": "us-east-1",
            ])
        #expect(aws.status == 0, "\(aws.stderr)")
        let listed = try CLI.run(["uploads", "ls", "obs://b1/"], environment: env).stdout.split(separator: "\n")
        #expect(listed.count == 2 && listed[0].hasPrefix("INITIATED  ") && listed[1].hasSuffix("  u/k"), "\(listed)")
        let servers = try CLI.run(["phones", "huawei-servers"], environment: env)
        #expect(
            servers.stdout == """
                SERVER      STATE    NAME
                server0001  running  emulated-server0001
                server0002  running  emulated-server0002
                server0003  running  emulated-server0003

                """, "\(servers.stdout)")
        let phones = try CLI.run(["phones", "huawei", "--server", "server0002"], environment: env)
        #expect(
            phones.stdout == """
                PHONE      SERVER      STATE    NAME
                phone0002  server0002  running  emulated-phone0002

                """, "\(phones.stdout)")
    }

    @Test("-q leaves stderr empty; in a pipe --progress is plain lines every few seconds, never \\r frames")
    func quietAndProgress() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("big.bin"), size: 1_600_000)
        #expect(try CLI.run(["upload", tmp.file("big.bin"), "obs://b1/big.bin"], environment: env).status == 0)

        let quiet = try CLI.run(["download", "obs://b1/big.bin", tmp.file("q.bin"), "-q"], environment: env)
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")

        // About 8 s at 200 KiB/s: at least one progress line, each a whole line.
        let slow = try CLI.run(
            ["download", "obs://b1/big.bin", tmp.file("p.bin"), "--limit-rate", "200K", "-j", "2", "--progress"],
            environment: env)
        #expect(slow.status == 0, "\(slow.stderr)")
        #expect(!slow.stderr.contains("\r"))
        let lines = slow.stderr.split(separator: "\n").filter { $0.hasPrefix("phonepack: progress: ") }
        #expect(lines.count >= 2, "\(slow.stderr)")
        #expect(lines.last?.hasPrefix("phonepack: progress: 100% ") == true, "\(slow.stderr)")
    }

    @Test("colour only on a terminal and never with NO_COLOR: verify's FAIL is red on a pty, plain in a pipe")
    func colour() throws {
        let tmp = try TemporaryDirectory()
        let empty = tmp.file("empty.tar")
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        let piped = try CLI.run(["verify", empty])
        #expect(piped.stdout.contains("  FAIL  tar-format") && !piped.stdout.contains("\u{1B}"), "\(piped.stdout)")
        // The same command on a pseudo-terminal, as a person runs it.
        let coloured = try Tool.run(
            "python3", [CLI.script("on_terminal.py"), CLI.binary, "verify", empty],
            environment: ["NO_COLOR": "", "TERM": "xterm"])
        #expect(coloured.stdout.contains("\u{1B}[31mFAIL\u{1B}[0m  tar-format"), "\(coloured.stdout)")
        let plain = try Tool.run(
            "python3", [CLI.script("on_terminal.py"), CLI.binary, "verify", empty],
            environment: ["NO_COLOR": "1", "TERM": "xterm"])
        #expect(plain.stdout.contains("FAIL  tar-format") && !plain.stdout.contains("\u{1B}["), "\(plain.stdout)")
    }

    @Test("a fleet table's failed rows are red on a terminal, plain in a pipe")
    func fleetColour() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--job-seconds", "0.2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let command = ["exec", "huawei", "--phones", "phone0001,phone0002", "--", "false"]
        let piped = try CLI.run(command, environment: env)
        #expect(piped.status == Exit.checkFailed.rawValue && !piped.stdout.contains("\u{1B}"), "\(piped.output)")
        #expect(piped.stdout.contains("phone0001  failed     job"), "\(piped.stdout)")
        let coloured = try Tool.run(
            "python3", [CLI.script("on_terminal.py"), CLI.binary] + command,
            environment: env.merging(["NO_COLOR": "", "TERM": "xterm"]) { $1 })
        // Only the state word is painted; the columns stay where they were.
        #expect(coloured.stdout.contains("phone0001  \u{1B}[31mfailed\u{1B}[0m     job"), "\(coloured.stdout)")
        #expect(!coloured.stdout.contains("TARGET\u{1B}") && !coloured.stdout.contains("\u{1B}[31mphone"))
    }
}
