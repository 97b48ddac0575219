import Foundation
import PhonePackTestSupport
import Testing

/// A newcomer's mistakes, each answered by one line naming the thing, the cause and the fix (issue 30).
@Suite("A newcomer's first hour: profiles, network errors, release states (issue 30)", .ownThread)
struct NewcomerTests {
    // MARK: Profiles

    @Test("an unknown profile, by flag or by PHONEPACK_PROFILE, exits 2 naming it and the profiles there are")
    func unknownProfile() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let config = try ConfigPrecedenceTests.configFile(tmp, endpoint: server.url)
        let env = ["PHONEPACK_CONFIG": config, "PHONEPACK_STATE_DIR": tmp.file("state")]
        let expected =
            "phonepack: error: profile nosuch: is not in \(config) (profiles: default, staging); add it with: phonepack config set KEY VALUE --profile nosuch\n"
        try expectRun(
            ["stat", "obs://my-bucket/x.tar", "--profile", "nosuch"], environment: env, exits: .usage, stdout: "",
            stderr: expected)
        try expectRun(
            ["stat", "obs://my-bucket/x.tar"], environment: env.merging(["PHONEPACK_PROFILE": "nosuch"]) { $1 },
            exits: .usage, stdout: "", stderr: expected)
        #expect(try server.requests().isEmpty, "a request went out under a profile that does not exist")
    }

    @Test("a named profile lacking a key falls back to [default] key by key; -v names each setting's source")
    func profileFallback() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        // The "keys" profile has credentials only: its endpoint comes from [default].
        let config = tmp.file("config.toml")
        try """
        [default]
        obs_endpoint = "\(server.url)"

        [keys]
        huawei_access_key = "KEYSPROFILEAK"
        huawei_secret_key = "keys-profile-secret"
        """.write(toFile: config, atomically: true, encoding: .utf8)
        chmod(config, 0o600)
        let env = ["PHONEPACK_CONFIG": config, "PHONEPACK_STATE_DIR": tmp.file("state")]
        let result = try expectRun(["stat", "obs://my-bucket/x.tar", "--profile", "keys", "-v"], environment: env)
        #expect(result.stderr.contains("setting obs_endpoint = \(server.url) from profile default"), "\(result.stderr)")
        #expect(result.stderr.contains("using access key KEYSPROFILEAK from profile keys"), "\(result.stderr)")
        #expect(!result.stderr.contains("keys-profile-secret"), "a secret in the log")
    }

    @Test("auth huawei says where the project id came from, truly")
    func projectSource() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        env["HUAWEICLOUD_SDK_PROJECT_ID"] = "0123456789abcdef0123456789abcdef"
        let result = try expectRun(["auth", "huawei", "--region", "cn-north-4"], environment: env)
        #expect(result.stdout.contains("(from HUAWEICLOUD_SDK_PROJECT_ID)"), "\(result.stdout)")
        #expect(!result.stdout.contains("from profile default"), "\(result.stdout)")
    }

    // MARK: Network errors

    @Test("a name that does not resolve is tried once, and the error says which setting put it there")
    func unresolvedName() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        var env = server.environment(tmp)
        env["PHONEPACK_OBS_ENDPOINT"] = "https://nosuch.invalid"
        let (result, seconds) = try timedRun(["stat", "obs://my-bucket/x.tar"], environment: env)
        #expect(result.status == Exit.service.rawValue && seconds < 5, "\(result.output) in \(seconds) s")
        #expect(
            result.stderr
                == "phonepack: error: obs://my-bucket/x.tar: Could not resolve host: my-bucket.nosuch.invalid; this endpoint comes from PHONEPACK_OBS_ENDPOINT (OBS endpoint https://nosuch.invalid) (the name does not resolve: check the endpoint or the network; not retried) (sent to https://my-bucket.nosuch.invalid) (CURLcode 6)\n"
        )
    }

    @Test("a refused connection to this machine is not retried, names the URL as typed and the endpoint's source")
    func refusedLoopback() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let port = try LocalServer.freePort()
        var env = server.environment(tmp)
        env["PHONEPACK_OBS_ENDPOINT"] = "http://127.0.0.1:\(port)"
        let (result, seconds) = try timedRun(["ls", "obs://my-bucket/apps/"], environment: env)
        #expect(result.status == Exit.service.rawValue && seconds < 3, "\(result.output) in \(seconds) s")
        #expect(result.stderr.hasPrefix("phonepack: error: obs://my-bucket/: Failed to connect to 127.0.0.1"))
        #expect(
            result.stderr.hasSuffix(
                "; this endpoint comes from PHONEPACK_OBS_ENDPOINT (OBS endpoint http://127.0.0.1:\(port)) (nothing listens there on this machine: start the server or fix the port) (CURLcode 7)\n"
            ), "\(result.stderr)")
        #expect(!result.stderr.contains("attempts"))
    }

    @Test("a silent server gets a notice while phonepack waits, then an error in words, not curl's")
    func silentServer() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "silent", in: tmp)
        var env = server.environment(tmp)
        env["PHONEPACK_SILENCE_NOTICE"] = "1"
        env["PHONEPACK_STALL_TIMEOUT"] = "2"
        env["PHONEPACK_RETRIES"] = "0"
        let result = try expectRun(["stat", "obs://my-bucket/x.tar"], environment: env, exits: .service)
        let port = server.port
        #expect(
            result.stderr == """
                phonepack: 127.0.0.1:\(port) has sent nothing for 1 s; still waiting (phonepack gives up after 2 s of silence)
                phonepack: error: obs://my-bucket/x.tar: the server sent and took almost nothing for 2 s, so phonepack gave up (raise the limit with PHONEPACK_STALL_TIMEOUT or: phonepack config set stall_timeout SECONDS); this endpoint comes from PHONEPACK_OBS_ENDPOINT (OBS endpoint http://127.0.0.1:\(port)) (CURLcode 28)

                """)
    }

    @Test("clock skew is reported with the measured offset and the fix, even on a HEAD with no body")
    func clockSkew() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "skewed", in: tmp)
        let result = try expectRun(
            ["stat", "obs://my-bucket/x.tar"], environment: server.environment(tmp), exits: .service)
        #expect(
            result.stderr.contains(
                "this machine's clock differs from the server's by 7200 s (fix the time: timedatectl set-ntp true)")
                || result.stderr.contains("by 7199 s"), "\(result.stderr)")
        let download = try expectRun(
            ["download", "obs://my-bucket/x.tar", tmp.file("x.tar")], environment: server.environment(tmp),
            exits: .service)
        #expect(
            download.stderr.contains("clock differs from the server's"),
            "\(download.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp.file("x.tar")))
    }

    @Test("a missing bucket is named as a missing bucket, on stat and on download")
    func missingBucket() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "no-bucket", in: tmp)
        let env = server.environment(tmp)
        for arguments in [
            ["stat", "obs://my-bucket/x.tar"], ["download", "obs://my-bucket/x.tar", tmp.file("x.tar")],
        ] {
            let result = try expectRun(arguments, environment: env, exits: .service)
            #expect(
                result.stderr.contains(
                    "the bucket my-bucket does not exist at this endpoint (check the name, --region and --endpoint; phonepack ls obs:// lists yours) [NoSuchBucket]"
                ), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("no object with that key"))
        }
    }

    // MARK: Releases

    @Test("paused is a state: a notice, exit 0, no error; -q prints nothing at all; waves count from 1")
    func pausedAndQuiet() throws {
        let tmp = try TemporaryDirectory()
        let cloud = RolloutCloud.huawei
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", cloud.bucket, "--job-seconds", "0.2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let app = CLI.repositoryRoot + "/samples/demo-app"
        let paused = try expectRun(
            cloud.release(app, key: "demo", targets: cloud.ids(1...3)) + ["--canary", "1", "--pause", "-q"],
            environment: env, stdout: "")
        #expect(
            paused.stderr.hasPrefix("phonepack: release ")
                && paused.stderr.contains("paused after wave 1 of 2; continue with: phonepack release resume"),
            "\(paused.stderr)")
        #expect(!paused.stderr.contains("error"), "\(paused.stderr)")
        #expect(paused.stderr.split(separator: "\n").count == 1, "\(paused.stderr)")
        let record = try CLI.parseJSON(try expectRun(["release", "status", "--json"], environment: env).stdout)
        #expect((record["targets"] as? [[String: Any]])?.map { $0["wave"] as? Int } == [1, 2, 2])
        let id = try #require(record["id"] as? String)
        try expectRun(["release", "resume", id, "-q"], environment: env, stdout: "", stderr: "")
        try expectRun(
            cloud.release(app, key: "demo2", targets: cloud.ids(1...2)) + ["-q"], environment: env, stdout: "",
            stderr: "")
    }

    @Test("resume --dry-run sends nothing; --skip leaves a target out; --max-failures sets a new budget")
    func resumeOptions() throws {
        let tmp = try TemporaryDirectory()
        let cloud = RolloutCloud.huawei
        let emulator = try EmulatorProcess(
            data: tmp.file("data"),
            ["--bucket", cloud.bucket, "--job-seconds", "0.2", "--servers", "4", "--fail-targets", cloud.id(2)])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let halted = try expectRun(
            cloud.release(CLI.repositoryRoot + "/samples/demo-app", key: "demo", targets: cloud.ids(1...4))
                + ["--waves", "2,100%"],
            environment: env, exits: .checkFailed)
        #expect(halted.stderr.contains("halted: wave 1"), "\(halted.stderr)")
        let id = try #require(
            try CLI.parseJSON(try expectRun(["release", "status", "--json"], environment: env).stdout)["id"] as? String)
        let pushes = try cloud.pushes(emulator)

        let plan = try expectRun(
            ["release", "resume", id, "--dry-run", "--skip", cloud.id(2), "--max-failures", "1"], environment: env)
        #expect(
            plan.stdout.contains(
                "wave 2: send to 2 (\(cloud.id(3)), \(cloud.id(4))), wait for 0; halt above 1 failures"),
            "\(plan.stdout)")
        #expect(try cloud.pushes(emulator) == pushes, "--dry-run sent a push")

        let unknown = try expectRun(["release", "resume", id, "--skip", "server9999"], environment: env, exits: .usage)
        #expect(
            unknown.stderr
                == "phonepack: error: server9999: is not a target of release \(id); see phonepack release status \(id)\n"
        )

        try expectRun(["release", "resume", id, "--skip", cloud.id(2), "--max-failures", "1", "-q"], environment: env)
        let record = try CLI.parseJSON(try expectRun(["release", "status", "--json", id], environment: env).stdout)
        #expect(record["status"] as? String == "completed", "\(record)")
        let states = (record["targets"] as? [[String: Any]])?.map { $0["state"] as? String }
        #expect(states == ["succeeded", "skipped", "succeeded", "succeeded"])
        #expect(try cloud.pushes(emulator) == pushes + 1, "the skipped target was sent again")
    }

    // MARK: First contact

    @Test("a bare phonepack prints the verbs grouped and where to go next; --help still lists each with its line")
    func bareUsage() throws {
        let bare = try expectRun(
            [],
            stdout: """
                Usage: phonepack COMMAND [OPTIONS]   (phonepack help COMMAND: its options and examples)

                  archives  build verify inspect extract cat diff
                            make, check and read app tars and phone exports, offline
                  stores    upload download cp sync ls stat rm presign uploads
                            Huawei OBS, Alibaba OSS, S3: parallel, resumable, checked end to end
                  phones    push jobs pull export restore exec images phones
                            push apps and files, pull data back, run commands, follow jobs
                  releases  release
                            build → verify → upload → push in waves; resume, status, rollback
                  setup     config auth
                            profiles of region, endpoints and credentials; check an identity

                First steps: phonepack build myapp/ -o app.tar && phonepack verify app.tar
                Every command with a line each: phonepack --help

                """, stderr: "")
        // Every verb of --help is in one group, once.
        let help = try expectRun(["--help"]).stdout
        let verbs = help.components(separatedBy: "SUBCOMMANDS:\n").last!.split(separator: "\n").compactMap {
            line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }.filter { $0 != "help" && $0.allSatisfy(\.isLowercase) }
        let grouped = bare.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .flatMap { $0.split(separator: " ").dropFirst().map(String.init) }
        #expect(grouped.sorted() == verbs.sorted() && Set(grouped).count == grouped.count, "\(grouped) vs \(verbs)")
    }

    @Test("what the phones write to a store (an export) is in the store's next listing, even one loaded before")
    func exportsAreListed() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--job-seconds", "0.1", "--bucket", "my-cph-bucket"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let folder = "obs://my-cph-bucket/pulls/"
        try expectRun(["upload", CLI.repositoryRoot + "/README.md", folder + "README.md", "-q"], environment: env)
        // The listing is loaded (and kept) before the phone writes its export.
        try expectRun(["ls", "-r", folder], environment: env)
        try expectRun(
            [
                "pull", "--phones", "phone0001", "--include", "/data/local/tmp", "--to", folder, "-C",
                tmp.file("out"), "-q",
            ], environment: env)
        let listed = try expectRun(["ls", "-r", folder, "--json"], environment: env)
        let keys = try #require(try CLI.parseJSON(listed.stdout)["objects"] as? [[String: Any]]).compactMap {
            $0["key"] as? String
        }
        #expect(keys.count == 2 && keys.contains("pulls/README.md"), "\(keys)")
    }

    @Test("bash completes local files, release ids, profiles and config keys, each read when TAB is pressed")
    func completions() throws {
        let tmp = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp.file("state/releases"), withIntermediateDirectories: true)
        for name in [
            "state/releases/r20261201-140512-ab12.json", "state/releases/r20261202-090000-cd34.json", "app.tar",
            "apps.txt", "base.apk",
        ] {
            try "".write(toFile: tmp.file(name), atomically: true, encoding: .utf8)
        }
        try "[default]\nregion = \"cn-north-4\"\n\n[staging]\nregion = \"cn-east-3\"\n".write(
            toFile: tmp.file("config.toml"), atomically: true, encoding: .utf8)
        let script = try expectRun(["--generate-completion-script", "bash"]).stdout
        try script.write(toFile: tmp.file("phonepack.bash"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: tmp.file("bin"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: tmp.file("bin/phonepack"), withDestinationPath: CLI.binary)
        // What bash does on TAB: COMP_WORDS and COMP_CWORD set, the function called with the word and the one before.
        let driver = """
            source phonepack.bash
            tab() {
                COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                COMPREPLY=(); _phonepack phonepack "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                echo "$* → $(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')"
            }
            tab phonepack inspect ap
            tab phonepack release status ''
            tab phonepack release rollback r20261202
            tab phonepack ls obs://my-cph-bucket/ --profile st
            tab phonepack config set li
            tab phonepack config get huawei_s
            """
        let result = try Tool.run(
            "bash", ["-c", driver],
            environment: [
                "PATH": tmp.file("bin") + ":/usr/bin:/bin", "PHONEPACK_STATE_DIR": tmp.file("state"),
                "PHONEPACK_CONFIG": tmp.file("config.toml"),
            ], in: tmp.path)
        #expect(
            result.stdout == """
                phonepack inspect ap → app.tar apps.txt 
                phonepack release status  → r20261201-140512-ab12 r20261202-090000-cd34 
                phonepack release rollback r20261202 → r20261202-090000-cd34 
                phonepack ls obs://my-cph-bucket/ --profile st → staging 
                phonepack config set li → limit_rate 
                phonepack config get huawei_s → huawei_secret_key huawei_security_token 

                """, "\(result.stderr)")
    }
}
