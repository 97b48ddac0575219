import Foundation
import PhonePackTestSupport
import Testing

/// Issue 26: tampered state, unbounded `cat`, names in JSON, secrets on the command line and readable files.
@Suite("Security, second round: tampered records, cat's bound, names in JSON, secrets and file modes", .ownThread)
struct TamperingTests {
    @Test(
        "a release record whose content names another id (../../../escaped-record) is refused and named by status, history, resume and rollback; nothing is written or locked outside the state folder"
    )
    func tamperedRecord() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "0.2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try CLI.makeApp(in: tmp.file("app"))
        try expectRun(
            ["release", tmp.file("app"), "--to", "obs://my-cph-bucket/apps/app.tar", "--servers", "server0001", "-q"],
            environment: env)
        let folder = tmp.file("state/releases")
        let name = try #require(
            try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".json") })
        let id = String(name.dropLast(5))
        let original = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        try original.replacing("\"id\":\"\(id)\"", with: "\"id\":\"../../../escaped-record\"")
            .write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        let refusal = "\(folder)/\(name): says it is release ../../../escaped-record, not \(id)"
        for verb in [["status", id], ["resume", id], ["rollback", id]] {
            let result = try expectRun(["release"] + verb, environment: env, exits: .usage)
            #expect(result.stderr.contains(refusal), "\(verb): \(result.stderr)")
        }
        let history = try expectRun(["release", "history"], environment: env)
        #expect(history.stderr.contains(refusal) && !history.stdout.contains("escaped"), "\(history.output)")
        for leaked in ["escaped-record.json", "escaped-record.lock"] {
            #expect(!FileManager.default.fileExists(atPath: tmp.path + "/" + leaked))
            #expect(!FileManager.default.fileExists(atPath: tmp.file("state/" + leaked)))
        }
    }

    @Test(
        "cat of an entry that claims a terabyte of sparse zeros is refused before a byte is written; --max-size lets a small one through"
    )
    func catBounded() throws {
        let tmp = try TemporaryDirectory()
        try Tool.check("truncate", ["-s", "1T", tmp.file("big")])
        try tmp.write("small", "small\n")
        try Tool.check("tar", ["-cSf", tmp.file("sparse.tar"), "-C", tmp.path, "big", "small"])
        let result = try CLI.run(["cat", tmp.file("sparse.tar"), "big"])
        #expect(result.status == Exit.usage.rawValue && result.stdoutBytes.isEmpty)
        #expect(
            result.stderr
                == "phonepack: error: \(tmp.file("sparse.tar")):big: is 1.0 TiB, more than --max-size 16.0 GiB (a sparse file's holes count); give a larger --max-size to print it\n"
        )
        try expectRun(["cat", tmp.file("sparse.tar"), "small", "--max-size", "6"], stdout: "small\n")
        try expectRun(["cat", tmp.file("sparse.tar"), "small", "--max-size", "5"], exits: .usage)
    }

    @Test(
        "--json gives the real name: an ESC and a BEL as JSON escapes, not as the terminal's \\x1b; U+2028 escaped so a JSON line stays one line; the text keeps its terminal escaping"
    )
    func namesInJSON() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("f", "x")
        let hostile = "p/esc\u{1B}]0;T\u{7}"
        for key in [hostile, "p/line\u{2028}sep"] {
            try expectRun(["upload", tmp.file("f"), "obs://b1/\(key)", "-q"], environment: env)
        }
        let json = try expectRun(["sync", "obs://b1/p/", tmp.file("out"), "--json"], environment: env)
        #expect(!json.stdoutBytes.contains(0x1B) && !json.stdout.contains("\u{2028}"), "raw control bytes in JSON")
        #expect(json.stdout.contains("line\\u2028sep"), "\(json.stdout)")
        let lines = try json.stdout.split(separator: "\n").map { try CLI.parseJSON(String($0)) }
        let refused = lines.first { $0["action"] as? String == "refuse" }
        #expect(refused?["name"] as? String == "esc\u{1B}]0;T\u{7}", "the real name, losslessly: \(json.stdout)")
        let text = try expectRun(["sync", "obs://b1/p/", tmp.file("out2")], environment: env)
        #expect(text.stderr.contains("left alone: esc\\x1b]0;T\\x07 holds a control character"), "\(text.stderr)")
    }

    @Test(
        "a proxy password is refused on the command line and read from standard input; a config file with secrets that others can read is refused with the chmod fix; sync's digest cache is private"
    )
    func secretsAndModes() throws {
        let tmp = try TemporaryDirectory()
        let config = tmp.file("c.toml")
        let env = ["PHONEPACK_CONFIG": config]
        try expectRun(
            ["config", "set", "proxy", "http://me:pr0xy-pw@127.0.0.1:9"], environment: env, exits: .usage,
            stderr:
                "phonepack: error: a proxy URL with a password is a secret: leave it off the command line and type or pipe it on standard input (phonepack config set proxy)\nUsage: phonepack config set <key> [<value>] [--profile <profile>] [--json] [--quiet]\n  See 'phonepack config set --help' for more information.\n"
        )
        let stdin = tmp.file("proxy.txt")
        try "http://me:pr0xy-pw@127.0.0.1:9\n".write(toFile: stdin, atomically: true, encoding: .utf8)
        let set = try Tool.run("sh", ["-c", "\"$0\" config set proxy < \"$1\"", CLI.binary, stdin], environment: env)
        #expect(set.status == 0 && !set.output.contains("pr0xy-pw"), "\(set.output)")
        try expectRun(["config", "get", "proxy"], environment: env, stdout: "http://me:(hidden)@127.0.0.1:9\n")
        chmod(config, 0o644)
        try expectRun(
            ["config", "list"], environment: env, exits: .usage,
            stderr:
                "phonepack: error: \(config): holds secrets and other users can read it (mode 644); phonepack will not use it until you run: chmod 600 \(config)\n"
        )
        chmod(config, 0o600)
        try expectRun(["config", "list", "-q"], environment: env)
        // The digests sync keeps of large files name the user's files: private like the rest of the state.
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let cloud = emulator.environment(stateDirectory: tmp.file("state"))
        try FileManager.default.createDirectory(atPath: tmp.file("src"), withIntermediateDirectories: true)
        _ = try writeRandomFile(tmp.file("src/f"), size: 2 << 20)
        try expectRun(["sync", tmp.file("src"), "obs://b1/s/", "-q"], environment: cloud)
        let cache = try #require(
            try FileManager.default.contentsOfDirectory(atPath: tmp.file("state/sync-hashes")).first)
        let mode = try FileManager.default.attributesOfItem(atPath: tmp.file("state/sync-hashes/" + cache))[
            .posixPermissions]
        #expect(mode as? Int == 0o600)
    }
}
