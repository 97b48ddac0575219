import Foundation
import PhonePackTestSupport
import Testing

/// One cloud as a rollout sees it: how its targets are named, what a release sends, and which logged request is
/// a push.
struct RolloutCloud: Sendable, CustomTestStringConvertible {
    var name: String
    var targetFlag: String
    var prefix: String
    var bucket: String
    var countFlag: String

    static let huawei = RolloutCloud(
        name: "huawei", targetFlag: "--servers", prefix: "server", bucket: "my-cph-bucket", countFlag: "--servers")
    static let alibaba = RolloutCloud(
        name: "alibaba", targetFlag: "--instances", prefix: "acp-", bucket: "cloudphone-saved-bucket-demo",
        countFlag: "--instances")

    var testDescription: String { name }

    func id(_ number: Int) -> String { prefix + String(format: "%04d", number) }
    func ids(_ numbers: ClosedRange<Int>) -> String { numbers.map(id).joined(separator: ",") }

    /// The release arguments for `app` (an app folder; Alibaba sends its base.apk) to `key`.
    func release(_ app: String, key: String, targets: String) -> [String] {
        let isHuawei = name == "huawei"
        return [
            "release", isHuawei ? app : app + "/base.apk", "--to",
            "\(isHuawei ? "obs" : "oss")://\(bucket)/apps/\(key).\(isHuawei ? "tar" : "apk")", targetFlag, targets,
        ]
    }

    /// Push calls in the emulator's log: PushShareApps, or SendFile.
    func pushes(_ emulator: EmulatorProcess) throws -> Int {
        try emulator.requests().filter {
            name == "huawei"
                ? $0["method"] as? String == "POST" && ($0["path"] as? String ?? "").hasSuffix("/share-apps")
                : $0["action"] as? String == "SendFile"
        }.count
    }

    /// Every request that changes something: uploads, pushes, sends.
    func mutating(_ emulator: EmulatorProcess) throws -> [[String: Any]] {
        try emulator.requests().filter {
            let method = $0["method"] as? String ?? ""
            return ["PUT", "POST", "DELETE"].contains(method) && $0["store"] as? String != "iam"
                && !["DescribeAndroidInstances", "DescribeTasks"].contains($0["action"] as? String ?? "")
        }
    }
}

@Suite("Rollouts: pre-flight, waves, halt, resume after kill -9, rollback, outages (issue 15)", .ownThread)
struct RolloutTests {
    func start(_ tmp: TemporaryDirectory, _ cloud: RolloutCloud, _ arguments: [String] = [])
        throws -> (EmulatorProcess, [String: String])
    {
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", cloud.bucket, "--job-seconds", "0.3"] + arguments)
        return (emulator, emulator.environment(stateDirectory: tmp.file("state")))
    }

    /// `release status --json` of `id` (default: the newest).
    func status(_ env: [String: String], _ id: String? = nil) throws -> [String: Any] {
        let result = try CLI.run(["release", "status", "--json"] + (id.map { [$0] } ?? []), environment: env)
        #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
        return try CLI.parseJSON(result.stdout)
    }

    func states(_ record: [String: Any]) -> [String] {
        (record["targets"] as? [[String: Any]] ?? []).map { $0["state"] as? String ?? "" }
    }

    @Test(
        "pre-flight names every unknown id, exits 2, and sends no mutating request",
        arguments: [
            RolloutCloud.huawei, .alibaba,
        ])
    func preflight(cloud: RolloutCloud) throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try start(tmp, cloud)
        let app = CLI.repositoryRoot + "/samples/demo-app"
        let unknown = try CLI.run(
            cloud.release(app, key: "demo", targets: "\(cloud.id(1)),\(cloud.id(99)),\(cloud.id(98))"),
            environment: env)
        #expect(unknown.status == Exit.usage.rawValue, "\(unknown.output)")
        #expect(
            unknown.stderr.contains(
                "2 \(cloud.name == "huawei" ? "server" : "instance") ids are not in the cloud's listing: \(cloud.id(99)), \(cloud.id(98)); nothing was sent"
            ),
            "\(unknown.stderr)")
        // The phone verbs check their ids the same way.
        let phoneVerbs: [[String]] =
            cloud.name == "huawei"
            ? [
                ["exec", "huawei", "--phones", "phone0001,phone0099", "--", "ls"],
                [
                    "export", "huawei", "--phones", "phone0099", "--include", "/data/data/a.b", "--to",
                    "obs://\(cloud.bucket)/e/",
                ],
                ["restore", "huawei", "--phones", "phone0099", "--from", "obs://\(cloud.bucket)/e/x.tar"],
                [
                    "push", "huawei", "--tar", "obs://\(cloud.bucket)/a.tar", "--package", "a.b", "--servers",
                    "server0099",
                ],
            ]
            : [
                ["exec", "alibaba", "--instances", "acp-0001,acp-0099", "--", "ls"],
                ["push", "alibaba", "--file", "oss://\(cloud.bucket)/a.apk", "--instances", "acp-0099"],
            ]
        for verb in phoneVerbs {
            let result = try CLI.run(verb, environment: env)
            #expect(result.status == Exit.usage.rawValue, "\(verb): \(result.output)")
            #expect(result.stderr.contains("0099; nothing was sent"), "\(verb): \(result.stderr)")
        }
        #expect(try cloud.mutating(emulator).isEmpty, "mutating requests after a failed pre-flight")
        #expect(
            !FileManager.default.fileExists(atPath: tmp.file("state/releases")), "a record for a release never started")
    }

    @Test(
        "a failing canary halts a 3-wave release after wave 1: one push, the rest pending, exit 1",
        arguments: [
            RolloutCloud.huawei, .alibaba,
        ])
    func failingCanary(cloud: RolloutCloud) throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try start(tmp, cloud, [cloud.countFlag, "6", "--fail-targets", cloud.id(1)])
        let release = try CLI.run(
            cloud.release(CLI.repositoryRoot + "/samples/demo-app", key: "demo", targets: cloud.ids(1...6))
                + ["--waves", "1,50%,100%", "--only-failures"],
            environment: env)
        #expect(release.status == Exit.checkFailed.rawValue, "\(release.output)")
        // --only-failures: the failed canary's row, no pending rows; the summary still counts everything.
        #expect(
            release.stdout.contains("\(cloud.id(1))  1     failed") && !release.stdout.contains(cloud.id(2)),
            "\(release.stdout)")
        #expect(
            release.stderr.contains("halted: wave 1: 1 of 1 failed (--max-failures 0 allows 0)"), "\(release.stderr)")
        #expect(release.stdout.contains("release: 6 targets: 5 pending, 1 failed"), "\(release.stdout)")
        #expect(try cloud.pushes(emulator) == 1, "only the canary was pushed")
        let record = try status(env)
        #expect(record["status"] as? String == "halted")
        #expect(states(record) == ["failed"] + Array(repeating: "pending", count: 5))
        let failed = (record["targets"] as? [[String: Any]])?.first
        #expect(failed?["errorCode"] as? String == "EMULATOR.InjectedFailure")
    }

    @Test("--html on a release and on release status: every target a square by state, the failure with its error")
    func htmlGrid() throws {
        let tmp = try TemporaryDirectory()
        let cloud = RolloutCloud.huawei
        let (emulator, env) = try start(tmp, cloud, [cloud.countFlag, "12", "--fail-targets", cloud.id(2)])
        defer { withExtendedLifetime(emulator) {} }
        let page = tmp.file("release.html")
        let release = try CLI.run(
            cloud.release(CLI.repositoryRoot + "/samples/demo-app", key: "demo", targets: cloud.ids(1...12))
                + ["--waves", "2,100%", "--max-failures", "1", "--html", page],
            environment: env)
        #expect(release.stderr.contains("wrote \(page)"), "\(release.output)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        func squares(_ state: String) -> Int { html.components(separatedBy: "data-state=\"\(state)\"").count - 1 }
        #expect(html.contains("data-targets=\"12\""))
        #expect(squares("failed") == 1 && squares("succeeded") == 11, "\(html)")
        #expect(html.contains("<tr class=\"bad\"><td>\(cloud.id(2))</td><td>failed</td>"))
        #expect(html.contains("EMULATOR.InjectedFailure") && html.contains("wave 2"))
        // The state as a banner, each wave against its failure budget, what to run next, how long it took.
        #expect(html.contains("<div class=\"banner\" id=\"state\" data-state=\"completed\""), "\(html)")
        #expect(html.contains(">wave 1: 2 targets, 1 succeeded, 1 failed of 1 allowed</div>"), "\(html)")
        #expect(html.contains(">wave 2: 10 targets, 10 succeeded, 0 failed of 1 allowed</div>"), "\(html)")
        #expect(html.contains("<div class=\"next\" id=\"next\">Next: <code>phonepack release rollback "))
        #expect(html.contains(" s so far"))

        let status = tmp.file("status.html")
        #expect(try CLI.run(["release", "status", "--html", status, "-q"], environment: env).status == 0)
        #expect(try String(contentsOfFile: status, encoding: .utf8) == html, "the record gives the same page")
        guard let browser = try Browser(tmp) else { return }
        let (dom, complaints) = try browser.load(status)
        #expect(complaints.isEmpty && dom.contains("data-targets=\"12\""), "\(complaints)")
        let png = try browser.screenshot(status, to: tmp.file("grid.png"), height: 700)
        #expect(png.count > 5_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        try Browser.keep(png, as: "release-status-html.png")
    }

    @Test(
        "resume after kill -9 mid-wave sends exactly the missing pushes and waits for the rest",
        arguments: [
            RolloutCloud.huawei, .alibaba,
        ])
    func resumeAfterKill(cloud: RolloutCloud) throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", cloud.bucket, "--job-seconds", "3", cloud.countFlag, "3"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        // Three waves of one target: every push call is one target, so calls count targets.
        let process = try CLI.start(
            cloud.release(CLI.repositoryRoot + "/samples/demo-app", key: "demo", targets: cloud.ids(1...3))
                + ["--waves", "1,2,3"],
            environment: env)
        // Killed once wave 2's job is recorded and before it ends (each job runs 3 s).
        let recorded = waitUntil(seconds: 60) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: tmp.file("state/releases")),
                let name = names.first(where: { $0.hasSuffix(".json") }),
                let data = FileManager.default.contents(atPath: tmp.file("state/releases/" + name)),
                let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return false }
            let targets = record["targets"] as? [[String: Any]] ?? []
            return targets.count == 3 && targets[1]["jobID"] != nil
        }
        #expect(recorded, "wave 2 was never recorded as sent")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try cloud.pushes(emulator) == 2)
        let id = try #require(try status(env)["id"] as? String)
        let resumed = try CLI.run(["release", "resume", id], environment: env)
        #expect(resumed.status == Exit.success.rawValue, "\(resumed.output)")
        #expect(resumed.stdout.contains("release: 3 targets: 3 succeeded"), "\(resumed.stdout)")
        #expect(try cloud.pushes(emulator) == 3, "wave 2 was sent again, or wave 3 not at all")
        #expect(try status(env, id)["status"] as? String == "completed")
        // A completed release has nothing left to send.
        let again = try CLI.run(["release", "resume", id], environment: env)
        #expect(again.status == Exit.success.rawValue && again.stdout.contains("nothing to do"), "\(again.output)")
        #expect(try cloud.pushes(emulator) == 3)
    }

    @Test(
        "rollback releases the previous good version again, to the same targets",
        arguments: [
            RolloutCloud.huawei, .alibaba,
        ])
    func rollback(cloud: RolloutCloud) throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try start(tmp, cloud)
        for version in ["1.0", "2.0"] {
            let app = try CLI.makeApp(in: tmp.file("app-\(version)"), ["--version-name", version])
            try Data("version=\(version)\n".utf8).write(to: URL(fileURLWithPath: app + "/data/files/state.txt"))
            let release = try CLI.run(
                cloud.release(app, key: "demo-\(version)", targets: cloud.ids(1...2)) + ["--mtime", "2024-03-15"],
                environment: env)
            #expect(release.status == Exit.success.rawValue, "\(release.output)")
        }
        let current = try #require(try status(env)["id"] as? String)
        // --dry-run: the plan, and not one request that changes anything.
        let sent = try cloud.mutating(emulator).count
        let plan = try expectRun(["release", "rollback", current, "--dry-run"], environment: env)
        #expect(plan.stdout.contains("roll back release \(current) to r"), "\(plan.stdout)")
        #expect(plan.stdout.contains("demo-1.0.\(cloud.name == "huawei" ? "tar" : "apk")"), "\(plan.stdout)")
        #expect(try cloud.mutating(emulator).count == sent, "rollback --dry-run sent something")
        let rollback = try CLI.run(["release", "rollback", current, "--json"], environment: env)
        #expect(rollback.status == Exit.success.rawValue, "\(rollback.output)")
        let record = try CLI.parseJSON(rollback.stdout)
        #expect(record["rollbackOf"] as? String == current)
        let delivery = record["delivery"] as? [String: Any]
        #expect(
            (delivery?["object"] as? String)?.hasSuffix("apps/demo-1.0.\(cloud.name == "huawei" ? "tar" : "apk")")
                == true)
        #expect(states(record) == ["succeeded", "succeeded"])
        #expect((record["targets"] as? [[String: Any]])?.map { $0["target"] as? String } == [cloud.id(1), cloud.id(2)])
        if cloud.name == "huawei" {
            // What the phones hold now is version 1.0's data again.
            let phones = try CLI.run(
                [
                    "exec", "huawei", "--phones", "phone0001,phone0002", "--", "cat",
                    "/data/data/com.example.phonepack.demo/files/state.txt",
                ],
                environment: env)
            #expect(phones.stdout.components(separatedBy: "version=1.0").count == 3, "\(phones.output)")
        } else {
            #expect(try cloud.pushes(emulator) == 3)
        }
        let history = try CLI.run(["release", "history"], environment: env)
        #expect(history.stdout.contains("(rollback of \(current))"), "\(history.stdout)")
    }

    @Test(
        "an API outage mid-rollout halts with exit 3, keeps the record, and resume finishes the job",
        arguments: [
            RolloutCloud.huawei, .alibaba,
        ])
    func outage(cloud: RolloutCloud) throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try start(tmp, cloud)
        let paused = try CLI.run(
            cloud.release(CLI.repositoryRoot + "/samples/demo-app", key: "demo", targets: cloud.ids(1...3))
                + ["--canary", "1", "--pause"],
            environment: env)
        #expect(paused.status == Exit.success.rawValue, "\(paused.output)")
        #expect(paused.stderr.contains("paused after wave 1 of 2; continue with: phonepack release resume"))
        let id = try #require(try status(env)["id"] as? String)
        // While another process holds the release's lock (as a running phonepack does), nobody else may run it.
        let lock = open(tmp.file("state/releases/\(id).lock"), O_RDWR | O_CREAT, 0o600)
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
        let second = try CLI.run(["release", "resume", id], environment: env)
        #expect(second.status == Exit.usage.rawValue, "\(second.output)")
        #expect(second.stderr.contains("another phonepack is running this release now"), "\(second.stderr)")
        #expect(!second.output.contains("resuming"), "announced before taking the lock: \(second.output)")
        close(lock)
        // The phone API goes away (a closed port); the object store still answers.
        var down = env
        let variable = cloud.name == "huawei" ? "PHONEPACK_CPH_ENDPOINT" : "PHONEPACK_EDS_AIC_ENDPOINT"
        down[variable] = "http://127.0.0.1:\(try LocalServer.freePort())"
        let outage = try CLI.run(["release", "resume", id], environment: down)
        #expect(outage.status == Exit.service.rawValue, "\(outage.output)")
        #expect(outage.stderr.contains("the API could not be reached"), "\(outage.stderr)")
        let record = try status(env, id)
        #expect(record["status"] as? String == "halted")
        #expect(states(record) == ["succeeded", "rejected", "rejected"])
        let resumed = try CLI.run(["release", "resume", id], environment: env)
        #expect(resumed.status == Exit.success.rawValue, "\(resumed.output)")
        #expect(states(try status(env, id)) == ["succeeded", "succeeded", "succeeded"])
        #expect(try cloud.pushes(emulator) == 2)
    }

    @Test(
        "phones apps: which version of a package is on which phone or instance, with counts per version",
        arguments: [
            RolloutCloud.huawei, .alibaba,
        ])
    func inventory(cloud: RolloutCloud) throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try start(tmp, cloud)
        defer { withExtendedLifetime(emulator) {} }
        let package = "com.example.phonepack.demo"
        for (code, target) in [(7, 1), (8, 2), (8, 3)] {
            let app = try CLI.makeApp(in: tmp.file("app-\(code)-\(target)"), ["--version-code", String(code)])
            let release = try CLI.run(
                cloud.release(app, key: "demo-\(code)", targets: cloud.id(target)) + ["--mtime", "2024-03-15"],
                environment: env)
            #expect(release.status == Exit.success.rawValue, "\(release.output)")
        }
        let flag = cloud.name == "huawei" ? ["--cloud", "huawei"] : ["--cloud", "alibaba"]
        let result = try CLI.run(["phones", "apps", "--package", package, "--json"] + flag, environment: env)
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        let inventory = try CLI.parseJSON(result.stdout)
        let target = { (number: Int) in cloud.name == "huawei" ? String(format: "phone%04d", number) : cloud.id(number)
        }
        let apps = (inventory["apps"] as? [[String: Any]] ?? []).map {
            "\($0["target"] as? String ?? "") \($0["package"] as? String ?? "") \($0["versionCode"] as? Int ?? -1)"
        }
        #expect(
            apps == [1: 7, 2: 8, 3: 8].sorted { $0.key < $1.key }.map { "\(target($0.key)) \(package) \($0.value)" })
        let versions = (inventory["versions"] as? [[String: Any]] ?? []).map {
            "\($0["versionCode"] as? Int ?? -1):\($0["targets"] as? Int ?? -1)"
        }
        #expect(versions == ["8:2", "7:1"])
        let text = try CLI.run(["phones", "apps", "--package", package] + flag, environment: env)
        #expect(text.stdout.contains("apps: 3 targets, 0 without an answer"), "\(text.stdout)")
        let bad = try CLI.run(["phones", "apps", "--package", "not a package"] + flag, environment: env)
        #expect(bad.status == Exit.usage.rawValue, "\(bad.output)")
    }

    @Test("--dry-run on every verb that changes something prints its requests and sends none of them")
    func dryRuns() throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try start(tmp, .huawei, ["--bucket", "cloudphone-saved-bucket-demo"])
        let app = CLI.repositoryRoot + "/samples/demo-app"
        let verbs: [[String]] = [
            RolloutCloud.huawei.release(app, key: "demo", targets: "server0001,server0002")
                + ["--canary", "1", "--jobs", "3", "--limit-rate", "10M"],
            RolloutCloud.alibaba.release(app, key: "demo", targets: "acp-0001,acp-0002"),
            [
                "push", "huawei", "--tar", "obs://my-cph-bucket/apps/demo.tar", "--package",
                "com.example.phonepack.demo",
                "--servers", "server0001",
            ],
            ["push", "alibaba", "--file", "oss://cloudphone-saved-bucket-demo/a.apk", "--instances", "acp-0001"],
            [
                "export", "huawei", "--phones", "phone0001", "--include", "/data/data/x.y", "--to",
                "obs://my-cph-bucket/e/",
            ],
            ["restore", "huawei", "--phones", "phone0001", "--from", "obs://my-cph-bucket/e/phone0001.tar"],
            ["exec", "huawei", "--phones", "phone0001", "--", "ls", "/"],
            ["exec", "alibaba", "--instances", "acp-0001", "--", "ls", "/"],
            ["exec", "koophone", "--instances", "kp0001", "--", "ls", "/"],
            ["rm", "obs://my-cph-bucket/apps/demo.tar"],
            ["uploads", "abort", "obs://my-cph-bucket/apps/", "--all"],
        ]
        for verb in verbs {
            // Before `--`: after it, words are the phone's command.
            var arguments = verb
            arguments.insert("--dry-run", at: verb.firstIndex(of: "--") ?? verb.count)
            let result = try CLI.run(arguments, environment: env)
            #expect(result.status == Exit.success.rawValue, "\(verb): \(result.output)")
            #expect(
                result.stdout.contains("dry run: ") && result.stdout.contains("nothing sent"),
                "\(verb): \(result.stdout)")
        }
        // --jobs and --limit-rate on every verb that moves bytes, checked by the parser.
        for verb in [
            ["release", app, "--to", "obs://my-cph-bucket/a.tar", "--servers", "server0001"],
            [
                "pull", "--phones", "phone0001", "--include", "/data/data/a.b", "--to", "obs://my-cph-bucket/e/", "-C",
                tmp.file("p"),
            ],
            ["build", app, "-o", "obs://my-cph-bucket/b.tar"],
        ] {
            let slow = try CLI.run(verb + ["--limit-rate", "1K"], environment: env)
            #expect(
                slow.status == Exit.usage.rawValue && slow.stderr.contains("--limit-rate must be at least"),
                "\(verb): \(slow.output)")
        }
        let mutating = try RolloutCloud.huawei.mutating(emulator)
        #expect(mutating.isEmpty, "\(mutating)")
    }
}
