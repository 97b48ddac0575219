import Foundation
import PhonePackTestSupport
import Testing

@Suite("phonepack push huawei, jobs wait and release against the emulated CPH", .ownThread)
struct PushCommandTests {
    static let package = "com.example.phonepack.demo"

    /// CPH requests the emulator answered, by path suffix.
    func cphRequests(_ emulator: EmulatorProcess, _ suffix: String) throws -> [[String: Any]] {
        try emulator.requests().filter {
            $0["store"] as? String == "cph" && ($0["path"] as? String ?? "").hasSuffix(suffix)
        }
    }

    /// A release against an emulator that injects faults: a run a fault stopped says where, and the rerun
    /// finishes the job.
    func releaseThroughFaults(_ arguments: [String], _ env: [String: String]) throws -> CLI.Result {
        let first = try CLI.run(arguments, environment: env)
        guard first.status != Exit.success.rawValue else { return first }
        #expect(first.stderr.contains("release stopped at") || first.stderr.contains("failed"), "\(first.output)")
        return try CLI.run(arguments, environment: env)
    }

    @Test("release builds, verifies, uploads, pushes and waits; a rerun skips the upload")
    func release() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "0.5"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let arguments = [
            "release", CLI.repositoryRoot + "/samples/demo-app", "--to", "obs://my-cph-bucket/apps/demo.tar",
            "--servers", "server0001,server0002,server0003", "--mtime", "2024-03-15",
        ]
        // Both streams into one pipe, as a CI log reads them: each stage line comes when it happens, before the
        // wait's progress, not at exit.
        let first = try Tool.run(
            "/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>&1", CLI.binary] + arguments, environment: env)
        #expect(first.status == Exit.success.rawValue, "\(first.output)")
        #expect(first.stdout.contains("release: 3 targets: 3 succeeded"))
        let stages = ["release: built", "release: verified", "release: uploaded", "jobs: "].map {
            first.stdout.range(of: $0)?.lowerBound
        }
        #expect(stages.allSatisfy { $0 != nil } && stages.map { $0! } == stages.map { $0! }.sorted(), "\(first.stdout)")
        #expect(emulator.storedBytes(store: "obs", bucket: "my-cph-bucket", key: "apps/demo.tar") != nil)
        let puts = try emulator.requests().filter { $0["method"] as? String == "PUT" }.count

        let second = try CLI.run(arguments + ["--json"], environment: env)
        #expect(second.status == Exit.success.rawValue, "\(second.output)")
        let report = try CLI.parseJSON(second.stdout)
        #expect(report["uploaded"] as? Bool == false)
        #expect(try emulator.requests().filter { $0["method"] as? String == "PUT" }.count == puts, "no second upload")
        #expect((report["targets"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "succeeded" } == true)
    }

    @Test("1,000 servers take exactly 10 pushes, and every one is waited for")
    func fleet() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--servers", "1000", "--job-seconds", "1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        #expect(
            try CLI.run(
                ["build", CLI.repositoryRoot + "/samples/demo-app", "-o", "obs://my-cph-bucket/apps/demo.tar"],
                environment: env
            ).status == Exit.success.rawValue)
        try tmp.write("servers.txt", (1...1000).map { String(format: "server%04d", $0) }.joined(separator: "\n") + "\n")
        let result = try CLI.run(
            [
                "push", "huawei", "--tar", "obs://my-cph-bucket/apps/demo.tar", "--package", Self.package, "--servers",
                "@" + tmp.file("servers.txt"), "--json",
            ],
            environment: env)
        #expect(result.status == Exit.success.rawValue, "\(result.stderr)")
        let outcomes = try #require(try CLI.parseJSON(result.stdout)["targets"] as? [[String: Any]])
        #expect(outcomes.count == 1000)
        #expect(outcomes.allSatisfy { $0["state"] as? String == "succeeded" })
        #expect(try cphRequests(emulator, "share-apps").count == 10)
        // ListJobs: 10 pages of 100 jobs per round; a 1-second job needs at most a few rounds.
        #expect(try cphRequests(emulator, "cloud-phone/jobs").count <= 40)
    }

    @Test(
        "each invalid field is refused before any request is sent",
        arguments: [
            (["--package", "Com.bad."], "package_name"),
            (["--package", "nodot"], "package_name"),
            (["--tar", "obs://B_ad/apps/demo.tar"], "bucket_name"),
            (["--tar", "obs://my-cph-bucket/apps/my app.tar"], "object_path"),
            (["--tar", "obs://my-cph-bucket/apps/demo.zip"], "object_path"),
            (["--servers", "server0001,bad/id"], "server_ids"),
            (["--batch-size", "101"], "--batch-size"),
        ])
    func clientSideRejection(change: [String], field: String) throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "my-cph-bucket"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        var options = [
            "--tar": "obs://my-cph-bucket/apps/demo.tar", "--package": Self.package, "--servers": "server0001",
        ]
        options[change[0]] = change[1]
        let result = try CLI.run(["push", "huawei"] + options.flatMap { [$0.key, $0.value] }, environment: env)
        #expect(result.status == Exit.usage.rawValue, "\(result.output)")
        #expect(result.stderr.contains(field), "\(result.stderr)")
        #expect(try emulator.requests().isEmpty, "nothing may reach the service")
    }

    @Test("a tar that breaks the layout fails its jobs; unknown servers are rejected with the vendor code")
    func failures() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "0.3"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        // A plain tar of the app folder: not the shared-app layout.
        try Tool.check("tar", ["-cf", tmp.file("plain.tar"), "-C", CLI.repositoryRoot + "/samples/demo-app", "."])
        #expect(
            try CLI.run(["upload", tmp.file("plain.tar"), "obs://my-cph-bucket/apps/plain.tar"], environment: env)
                .status == Exit.success.rawValue)
        let result = try CLI.run(
            [
                "push", "huawei", "--tar", "obs://my-cph-bucket/apps/plain.tar", "--package", Self.package, "--servers",
                "server0001,server0002,server9999", "--no-preflight",
            ],
            environment: env)
        #expect(result.status == Exit.checkFailed.rawValue)
        #expect(result.stdout.contains("server0001  failed"))
        #expect(result.stdout.contains("EMULATOR.LayoutRejected"))
        #expect(result.stdout.contains("server9999  rejected") && result.stdout.contains("CPS.0016"))
        #expect(result.stderr.contains("3 of 3 failed"))
    }

    @Test("push --no-wait returns request ids; jobs wait follows them to the end")
    func noWaitThenJobsWait() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        #expect(
            try CLI.run(
                ["build", CLI.repositoryRoot + "/samples/demo-app", "-o", "obs://my-cph-bucket/apps/demo.tar"],
                environment: env
            ).status == Exit.success.rawValue)
        let pushed = try CLI.run(
            [
                "push", "huawei", "--tar", "obs://my-cph-bucket/apps/demo.tar", "--package", Self.package, "--servers",
                "server0001,server0002", "--no-wait", "--json",
            ],
            environment: env)
        let outcomes = try #require(try CLI.parseJSON(pushed.stdout)["targets"] as? [[String: Any]])
        #expect(outcomes.allSatisfy { $0["state"] as? String == "submitted" })
        #expect(pushed.status == Exit.success.rawValue, "creating the jobs is what --no-wait asks for")
        let requestID = try #require(outcomes.first?["requestID"] as? String)
        let waited = try CLI.run(["jobs", "wait", requestID], environment: env)
        #expect(waited.status == Exit.success.rawValue, "\(waited.output)")
        #expect(waited.stdout.contains("jobs: 2 targets: 2 succeeded"))
        let jobID = try #require(outcomes.first?["jobID"] as? String)
        let byJob = try CLI.run(["jobs", "wait", "--job-ids", jobID], environment: env)
        #expect(
            byJob.status == Exit.success.rawValue && byJob.stdout.contains("jobs: 1 target: 1 succeeded"),
            "\(byJob.output)")
    }

    @Test("with 20 % injected faults a release still completes, or stops cleanly and completes on the rerun")
    func faultyRelease() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"),
            ["--bucket", "my-cph-bucket", "--job-seconds", "0.3", "--fault-rate", "0.2", "--seed", "3"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let arguments = [
            "release", CLI.repositoryRoot + "/samples/demo-app", "--to", "obs://my-cph-bucket/apps/demo.tar",
            "--servers", "server0001,server0002,server0003",
        ]
        let result = try releaseThroughFaults(arguments, env)
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(result.stdout.contains("3 succeeded"))
    }

    @Test(
        "release sends a multi-part tar as it builds (issue 14): identical to a local build, through faults, no temporary left"
    )
    func releaseAsBuilt() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"),
            ["--bucket", "my-cph-bucket", "--job-seconds", "0.3", "--fault-rate", "0.1", "--seed", "7"])
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        env["TMPDIR"] = tmp.file("tmp")
        try FileManager.default.createDirectory(atPath: tmp.file("tmp"), withIntermediateDirectories: true)
        try CLI.makeApp(in: tmp.file("app"))
        _ = try writeRandomFile(tmp.file("app/data/files/big.bin"), size: 30_000_000)
        let arguments = [
            "release", tmp.file("app"), "--to", "obs://my-cph-bucket/apps/app.tar", "--servers", "server0001",
            "--mtime", "2026-01-01", "-j", "3", "--json",
        ]
        let result = try releaseThroughFaults(arguments, env)
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("tmp")).isEmpty, "work folder removed")

        let local = try CLI.run([
            "build", tmp.file("app"), "-o", tmp.file("app.tar"), "--mtime", "2026-01-01", "--json",
        ])
        #expect(local.status == Exit.success.rawValue)
        let sha256 = try #require(try CLI.parseJSON(local.stdout)["sha256"] as? String)
        let expected = try #require(FileManager.default.contents(atPath: tmp.file("app.tar")))
        #expect(emulator.storedBytes(store: "obs", bucket: "my-cph-bucket", key: "apps/app.tar") == expected)
        let sidecar = emulator.storedBytes(store: "obs", bucket: "my-cph-bucket", key: "apps/app.tar.sha256")
        #expect(sidecar.map { String(decoding: $0, as: UTF8.self) } == "\(sha256)  app.tar\n")
        let parts = try emulator.requests().filter {
            $0["method"] as? String == "PUT" && ($0["query"] as? [String] ?? []).contains("partNumber")
        }
        #expect(parts.count >= 4, "a 30 MB tar goes in 8 MiB parts")
        let pending = try CLI.run(["uploads", "ls", "obs://my-cph-bucket", "--json"], environment: env)
        #expect(try (CLI.parseJSON(pending.stdout)["uploads"] as? [Any])?.isEmpty == true, "\(pending.output)")

        // The rerun builds, finds the same SHA-256 stored, and sends no part.
        let again = try CLI.run(arguments, environment: env)
        #expect(again.status == Exit.success.rawValue, "\(again.output)")
        #expect(try CLI.parseJSON(again.stdout)["uploaded"] as? Bool == false)
        #expect(
            try emulator.requests().filter {
                $0["method"] as? String == "PUT" && ($0["query"] as? [String] ?? []).contains("partNumber")
            }.count == parts.count)
    }

    @Test("a part the store refuses stops release at upload: the multipart upload is aborted, nothing is stored")
    func releasePartRefused() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "part-403", in: tmp)
        var env = server.environment(tmp)
        env["TMPDIR"] = tmp.file("tmp")
        try FileManager.default.createDirectory(atPath: tmp.file("tmp"), withIntermediateDirectories: true)
        try CLI.makeApp(in: tmp.file("app"))
        _ = try writeRandomFile(tmp.file("app/data/files/big.bin"), size: 30_000_000)
        let result = try CLI.run(
            [
                "release", tmp.file("app"), "--to", "obs://my-bucket/apps/app.tar", "--servers", "server0001",
                "--no-preflight",
            ],
            environment: env)
        #expect(result.status == Exit.service.rawValue, "\(result.output)")
        #expect(result.stderr.contains("release stopped at upload"), "\(result.output)")
        #expect(result.stderr.contains("nothing is stored"), "\(result.output)")
        let requests = try server.requests()
        #expect(
            requests.contains {
                $0["method"] as? String == "DELETE" && ($0["path"] as? String ?? "").contains("uploadId=UP-1")
            })
        #expect(
            !requests.contains {
                $0["method"] as? String == "POST" && ($0["path"] as? String ?? "").contains("uploadId=")
            },
            "never completed")
        #expect(
            !requests.contains { ($0["path"] as? String ?? "").contains(".sha256") && $0["method"] as? String == "PUT" }
        )
        #expect(!requests.contains { ($0["path"] as? String ?? "").contains("share-apps") }, "nothing pushed")

        // A destination CPH cannot read from is refused before anything is built or sent.
        let before = try server.requests().count
        let bad = try CLI.run(
            ["release", tmp.file("app"), "--to", "obs://b/apps/app.tar", "--servers", "server0001", "--no-preflight"],
            environment: env)
        #expect(bad.status == Exit.usage.rawValue, "\(bad.output)")
        #expect(bad.stderr.contains("bucket_name b: length must be 3..63; nothing was built or sent"), "\(bad.output)")
        #expect(try server.requests().count == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("tmp")).isEmpty, "work folder removed")
    }
}
