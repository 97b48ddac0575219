import Foundation
import PhonePackTestSupport
import Testing

/// A new version of a tar uploads only what changed: the rest is copied by the store from the previous object
/// (UploadPartCopy), each copied part's MD5 checked against the local bytes; the object is the local tar byte for
/// byte, as the vendors' own SDKs read it back.
@Suite(
    "Delta uploads: only what changed is sent (issue 29)", .ownThread,
    .requires(tools: "apksigner", "zipalign", "aapt"))
struct DeltaUploadTests {
    let pkg = "com.example.phonepack.demo"

    /// Two versions of an app folder: v1 with an OBB of random bytes and 60 data files, v2 with a new APK and
    /// five changed files.
    func versions(_ tmp: TemporaryDirectory, obb: Int = 6 << 20) throws -> (v1: String, v2: String) {
        let v1 = try CLI.makeApp(in: tmp.file("v1"), ["--version-code", "42"])
        _ = try writeRandomFile(v1 + "/obb/main.42.\(pkg).obb", size: obb)
        for index in 0..<60 { _ = try writeRandomFile(v1 + "/data/files/f\(index).bin", size: 3000) }
        let v2 = tmp.file("v2")
        try FileManager.default.copyItem(atPath: v1, toPath: v2)
        try CLI.makeApp(in: tmp.file("apk43"), ["--version-code", "43"])
        try FileManager.default.removeItem(atPath: v2 + "/base.apk")
        try FileManager.default.copyItem(atPath: tmp.file("apk43/base.apk"), toPath: v2 + "/base.apk")
        for index in 0..<5 { _ = try writeRandomFile(v2 + "/data/files/f\(index).bin", size: 3000) }
        return (v1, v2)
    }

    /// SHA-256 of `key` as boto3 (SigV4, on the OBS port), esdk-obs-python and oss2 download it.
    func readBack(_ emulator: EmulatorProcess, store: String, bucket: String, key: String) throws -> [String] {
        let script = """
            import hashlib, sys
            store, endpoint, ak, sk, bucket, key = sys.argv[1:7]
            if store == "obs":
                import boto3
                from botocore.config import Config
                from obs import ObsClient
                s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
                print(hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest())
                obs = ObsClient(access_key_id=ak, secret_access_key=sk, server=endpoint, path_style=True)
                r = obs.getObject(bucket, key, loadStreamInMemory=True)
                print(hashlib.sha256(r.body.buffer).hexdigest())
            else:
                import oss2
                b = oss2.Bucket(oss2.AuthV4(ak, sk), endpoint, bucket, region="cn-hangzhou")
                print(hashlib.sha256(b.get_object(key).read()).hexdigest())
            """
        return try Tool.check(
            "python3",
            [
                "-c", script, store, emulator.endpoints[store] ?? "", EmulatorProcess.accessKey,
                EmulatorProcess.secretKey, bucket, key,
            ]
        ).split(separator: "\n").map(String.init)
    }

    func sha256(_ path: String) throws -> String {
        String(try Tool.check("sha256sum", [path]).prefix(64))
    }

    @Test("release of v2 after v1 sends the new APK and changed files only; the object is v2's local build")
    func release() throws {
        let tmp = try TemporaryDirectory()
        let (v1, v2) = try versions(tmp)
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "0.2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        func release(_ app: String, _ key: String, _ extra: [String] = []) throws -> ToolOutput {
            try CLI.run(
                [
                    "release", app, "--to", "obs://my-cph-bucket/apps/\(key)", "--servers", "server0001",
                    "--mtime", "2024-03-15",
                ] + extra, environment: env)
        }
        let first = try release(v1, "app-42.tar")
        #expect(first.status == Exit.success.rawValue, "\(first.output)")
        #expect(emulator.storedBytes(store: "obs", bucket: "my-cph-bucket", key: "apps/app-42.tar.layout.json") != nil)
        let second = try release(v2, "app-43.tar")
        #expect(second.status == Exit.success.rawValue, "\(second.output)")
        #expect(second.output.contains("copied from app-42.tar"), "\(second.output)")
        let record = try CLI.parseJSON(try CLI.run(["release", "status", "--json"], environment: env).stdout)
        let delivery = try #require(record["delivery"] as? [String: Any])
        let size = try #require(delivery["size"] as? Int)
        let sent = try #require(delivery["sentBytes"] as? Int)
        #expect((delivery["copiedBytes"] as? Int ?? 0) > 6 << 20)
        #expect(sent * 20 < size, "sent \(sent) of \(size) bytes")
        #expect(delivery["deltaBase"] as? String == "obs://my-cph-bucket/apps/app-42.tar")
        try expectRun(["build", v2, "-o", tmp.file("local.tar"), "--mtime", "2024-03-15"])
        let stored = try #require(emulator.storedBytes(store: "obs", bucket: "my-cph-bucket", key: "apps/app-43.tar"))
        #expect(stored == (try Data(contentsOf: URL(fileURLWithPath: tmp.file("local.tar")))))
        #expect(
            try readBack(emulator, store: "obs", bucket: "my-cph-bucket", key: "apps/app-43.tar")
                == Array(repeating: try sha256(tmp.file("local.tar")), count: 2))
        // --no-delta sends it whole.
        let whole = try release(v2, "app-43b.tar", ["--no-delta", "--json"])
        #expect(whole.status == Exit.success.rawValue)
        let wholeDelivery = try CLI.parseJSON(whole.stdout)["delivery"] as? [String: Any]
        #expect(wholeDelivery?["sentBytes"] as? Int == size && wholeDelivery?["deltaBase"] == nil)
    }

    @Test(
        "upload --base on OBS and OSS: a delta the official SDKs read back; a base replaced since is not used (oss2 wants a bucket name of 3 characters or more)",
        arguments: ["obs", "oss"])
    func upload(store: String) throws {
        let tmp = try TemporaryDirectory()
        let (v1, v2) = try versions(tmp)
        try expectRun(["build", v1, "-o", tmp.file("v1.tar"), "--mtime", "2024-03-15"])
        try expectRun(["build", v2, "-o", tmp.file("v2.tar"), "--mtime", "2024-03-15"])
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "bucket1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try expectRun(["upload", tmp.file("v1.tar"), "\(store)://bucket1/v1.tar", "--keep-layout"], environment: env)
        let plan = try expectRun(
            [
                "upload", tmp.file("v2.tar"), "\(store)://bucket1/v2.tar", "--base", "\(store)://bucket1/v1.tar",
                "--dry-run",
            ],
            environment: env)
        #expect(plan.stdout.contains("copy bytes") && plan.stdout.contains("dry run: 1 object; nothing sent"))
        #expect(emulator.storedBytes(store: store, bucket: "bucket1", key: "v2.tar") == nil)
        let delta = try expectRun(
            [
                "upload", tmp.file("v2.tar"), "\(store)://bucket1/v2.tar", "--base", "\(store)://bucket1/v1.tar",
                "--json",
            ],
            environment: env)
        let summary = try #require(try CLI.parseJSON(delta.stdout)["delta"] as? [String: Any])
        let size = try FileStatusLite.size(tmp.file("v2.tar"))
        #expect((summary["sentBytes"] as? Int ?? .max) * 20 < size, "\(summary)")
        #expect(summary["resentParts"] as? Int == 0)
        #expect(
            emulator.storedBytes(store: store, bucket: "bucket1", key: "v2.tar")
                == (try Data(contentsOf: URL(fileURLWithPath: tmp.file("v2.tar")))))
        let expected = try sha256(tmp.file("v2.tar"))
        #expect(try readBack(emulator, store: store, bucket: "bucket1", key: "v2.tar").allSatisfy { $0 == expected })
        #expect(emulator.storedBytes(store: store, bucket: "bucket1", key: "v2.tar.layout.json") != nil)

        // The base replaced (another tar under its name): its layout no longer fits; the upload is whole and right.
        try expectRun(["upload", tmp.file("v2.tar"), "\(store)://bucket1/v1.tar"], environment: env)
        let whole = try expectRun(
            [
                "upload", tmp.file("v2.tar"), "\(store)://bucket1/v3.tar", "--base", "\(store)://bucket1/v1.tar",
                "--json",
            ],
            environment: env)
        #expect(whole.stderr.contains("changed since its layout was written: uploading whole"), "\(whole.stderr)")
        #expect(try CLI.parseJSON(whole.stdout)["delta"] == nil)
        #expect(
            emulator.storedBytes(store: store, bucket: "bucket1", key: "v3.tar")
                == (try Data(contentsOf: URL(fileURLWithPath: tmp.file("v2.tar")))))
    }

    @Test("a base whose bytes lie (same size and SHA-256 metadata, other content): copied parts are sent instead")
    func lyingBase() throws {
        let tmp = try TemporaryDirectory()
        let (v1, v2) = try versions(tmp)
        try expectRun(["build", v1, "-o", tmp.file("v1.tar"), "--mtime", "2024-03-15"])
        try expectRun(["build", v2, "-o", tmp.file("v2.tar"), "--mtime", "2024-03-15"])
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "b1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try expectRun(["upload", tmp.file("v1.tar"), "obs://b1/v1.tar", "--keep-layout"], environment: env)
        // Same size and SHA-256 metadata as v1, other bytes: what a store that lost or changed data would hold.
        let sha = try sha256(tmp.file("v1.tar"))
        let size = try FileStatusLite.size(tmp.file("v1.tar"))
        _ = try writeRandomFile(tmp.file("liar.tar"), size: size)
        try expectRun(["upload", tmp.file("liar.tar"), "obs://b1/v1.tar", "--sha256", sha], environment: env)
        let delta = try expectRun(
            ["upload", tmp.file("v2.tar"), "obs://b1/v2.tar", "--base", "obs://b1/v1.tar", "--json"],
            environment: env)
        let summary = try #require(try CLI.parseJSON(delta.stdout)["delta"] as? [String: Any])
        #expect((summary["resentParts"] as? Int ?? 0) > 0, "\(summary)")
        #expect(
            emulator.storedBytes(store: "obs", key: "v2.tar")
                == (try Data(contentsOf: URL(fileURLWithPath: tmp.file("v2.tar")))))
    }

    @Test("a delta upload killed with -9 resumes: the rerun completes the object, byte for byte")
    func killed() throws {
        let tmp = try TemporaryDirectory()
        let (v1, v2) = try versions(tmp)
        // v2 also gets a larger changed file, so the sent parts take long enough under --limit-rate to be killed.
        _ = try writeRandomFile(v2 + "/data/files/big.bin", size: 3 << 20)
        try expectRun(["build", v1, "-o", tmp.file("v1.tar"), "--mtime", "2024-03-15"])
        try expectRun(["build", v2, "-o", tmp.file("v2.tar"), "--mtime", "2024-03-15"])
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "b1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try expectRun(["upload", tmp.file("v1.tar"), "obs://b1/v1.tar", "--keep-layout"], environment: env)
        let arguments = [
            "upload", tmp.file("v2.tar"), "obs://b1/v2.tar", "--base", "obs://b1/v1.tar", "--part-size", "256K",
            "-j", "1",
        ]
        let process = try CLI.start(arguments + ["--limit-rate", "300K"], environment: env)
        #expect(try waitUntil(seconds: 60) { journalLines(in: tmp.file("state")) >= 4 })
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(emulator.storedBytes(store: "obs", key: "v2.tar") == nil)
        let resumed = try expectRun(arguments + ["--json"], environment: env)
        #expect(resumed.stderr.contains("resuming delta upload"), "\(resumed.stderr)")
        #expect((try CLI.parseJSON(resumed.stdout)["resumedParts"] as? Int ?? 0) >= 2)
        #expect(
            emulator.storedBytes(store: "obs", key: "v2.tar")
                == (try Data(contentsOf: URL(fileURLWithPath: tmp.file("v2.tar")))))
    }
}

enum FileStatusLite {
    static func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
