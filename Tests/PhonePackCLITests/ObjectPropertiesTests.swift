import Foundation
import PhonePackTestSupport
import Testing

/// What phonepack stores with an object besides its bytes, read back by the vendors' SDKs (issue 25).
@Suite("Content-Type, headers, storage class, ACL, metadata and encryption, read back by the official SDKs", .ownThread)
struct ObjectPropertiesTests {
    /// `read_back.py`'s view of `keys`: per key, per SDK, what it says is stored.
    static func readBack(_ emulator: EmulatorProcess, _ keys: [String]) throws -> [String: [String: Any]] {
        let result = try Tool.run(
            "python3",
            [
                CLI.script("read_back.py"), emulator.endpoints["obs"] ?? "", emulator.endpoints["oss"] ?? "",
                EmulatorProcess.accessKey, EmulatorProcess.secretKey, "bkt1",
            ] + keys)
        #expect(result.status == 0, "\(result.stderr)")
        return try CLI.parseJSON(result.stdout) as? [String: [String: Any]] ?? [:]
    }

    @Test(
        "upload guesses the Content-Type from the name and stores --cache-control, --content-disposition, --storage-class, --acl, --metadata and --sse, in one PUT and in parts, on OBS and OSS; boto3, esdk-obs-python and oss2 read them back"
    )
    func uploadProperties() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "bkt1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("app.apk"), size: 5000)
        _ = try writeRandomFile(tmp.file("big.tar"), size: 350_000)
        let flags = [
            "--cache-control", "max-age=60", "--content-disposition", "attachment; filename=\"app.apk\"", "--acl",
            "public-read", "--metadata", "team=mobile", "--metadata", "Build=42", "--sse", "AES256", "-q",
        ]
        try expectRun(
            ["upload", tmp.file("app.apk"), "obs://bkt1/p/app.apk", "--storage-class", "warm"] + flags, environment: env
        )
        try expectRun(
            ["upload", tmp.file("big.tar"), "obs://bkt1/p/big.tar", "--part-size", "100K", "--storage-class", "COLD"]
                + flags, environment: env)
        try expectRun(
            ["upload", tmp.file("app.apk"), "oss://bkt1/p/app.apk", "--storage-class", "ia"] + flags, environment: env)
        let seen = try Self.readBack(emulator, ["p/app.apk", "p/big.tar"])
        let apk = try #require(seen["p/app.apk"]?["boto3"] as? [String: Any])
        #expect(apk["contentType"] as? String == "application/vnd.android.package-archive")
        #expect(apk["cacheControl"] as? String == "max-age=60")
        #expect(apk["contentDisposition"] as? String == "attachment; filename=\"app.apk\"")
        #expect(apk["storageClass"] as? String == "WARM")
        #expect(apk["encryption"] as? String == "AES256")
        #expect(apk["metadata"] as? [String: String] == ["team": "mobile", "build": "42"])
        #expect(apk["grants"] as? Int == 2, "public-read grants everyone READ")
        let tar = try #require(seen["p/big.tar"]?["boto3"] as? [String: Any])
        #expect(tar["contentType"] as? String == "application/x-tar")
        #expect(tar["storageClass"] as? String == "COLD")
        #expect(tar["metadata"] as? [String: String] == ["team": "mobile", "build": "42"])
        let viaOBS = try #require(seen["p/app.apk"]?["esdk-obs-python"] as? [String: Any])
        #expect(viaOBS["contentType"] as? String == "application/vnd.android.package-archive")
        #expect((viaOBS["metadata"] as? [String: String])?["team"] == "mobile")
        let viaOSS = try #require(seen["p/app.apk"]?["oss2"] as? [String: Any])
        #expect(viaOSS["contentType"] as? String == "application/vnd.android.package-archive")
        #expect(viaOSS["storageClass"] as? String == "IA")
        #expect(viaOSS["acl"] as? String == "public-read")
        #expect(viaOSS["encryption"] as? String == "AES256")
        #expect(viaOSS["metadata"] as? [String: String] == ["team": "mobile", "build": "42"])
        // Each store's own names, case-insensitive; a wrong one is refused before anything is sent, naming the choices.
        try expectRun(
            ["upload", tmp.file("app.apk"), "oss://bkt1/p/x.apk", "--storage-class", "WARM"], environment: env,
            exits: .usage,
            stderr:
                "phonepack: error: --storage-class: WARM is not a storage class of OSS; give one of Standard, IA, Archive, ColdArchive, DeepColdArchive\n"
        )
        try expectRun(
            ["upload", tmp.file("app.apk"), "obs://bkt1/p/x.apk", "--metadata", "sha256=abc"], environment: env,
            exits: .usage,
            stderr:
                "phonepack: error: --metadata: sha256 is the metadata phonepack itself stores (the content's SHA-256); choose another name\n"
        )
        try expectRun(
            ["upload", tmp.file("app.apk"), "obs://bkt1/p/x.apk", "--acl", "everyone"], environment: env, exits: .usage)
        #expect(try emulator.requests().filter { ($0["path"] as? String)?.hasSuffix("x.apk") == true }.isEmpty)
    }

    @Test(
        "cp keeps the source's headers, or replaces them when asked (metadata directive REPLACE, its SHA-256 kept); sync sends each file with its own type"
    )
    func copyAndSyncProperties() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "bkt1"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try tmp.write("site/index.html", "<p>hi</p>")
        try tmp.write("site/logo.png", "png")
        try tmp.write("site/data.json", "{}")
        try expectRun(
            ["sync", tmp.file("site"), "obs://bkt1/site/", "--cache-control", "no-cache", "-q"], environment: env)
        try expectRun(["cp", "obs://bkt1/site/index.html", "obs://bkt1/copy/kept.html", "-q"], environment: env)
        try expectRun(
            ["cp", "obs://bkt1/site/index.html", "obs://bkt1/copy/new.html", "--metadata", "owner=web", "-q"],
            environment: env)
        let seen = try Self.readBack(
            emulator, ["site/index.html", "site/logo.png", "site/data.json", "copy/kept.html", "copy/new.html"])
        func boto(_ key: String) -> [String: Any] { seen[key]?["boto3"] as? [String: Any] ?? [:] }
        #expect(boto("site/index.html")["contentType"] as? String == "text/html")
        #expect(boto("site/logo.png")["contentType"] as? String == "image/png")
        #expect(boto("site/data.json")["contentType"] as? String == "application/json")
        #expect(boto("site/logo.png")["cacheControl"] as? String == "no-cache")
        #expect(boto("copy/kept.html")["cacheControl"] as? String == "no-cache")
        #expect(boto("copy/kept.html")["contentType"] as? String == "text/html")
        #expect(boto("copy/new.html")["cacheControl"] as? String == nil, "REPLACE drops what was not asked for")
        #expect(boto("copy/new.html")["contentType"] as? String == "text/html", "the source's type when none is given")
        let metadata = boto("copy/new.html")["metadata"] as? [String: String] ?? [:]
        #expect(metadata["owner"] == "web" && metadata["sha256"] != nil, "\(metadata)")
    }

    @Test(
        "--no-clobber leaves an object that exists as it is (OSS x-oss-forbid-overwrite, S3 If-None-Match: *, OBS looked at first), in one PUT, in parts and in cp; exit 0 with a line saying so"
    )
    func noClobber() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "bkt1"])
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        env["PHONEPACK_S3_ENDPOINT"] = emulator.endpoints["obs"]
        env["AWS_ACCESS_KEY_ID"] = EmulatorProcess.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = EmulatorProcess.secretKey
        let first = try writeRandomFile(tmp.file("first"), size: 300_000)
        _ = try writeRandomFile(tmp.file("second"), size: 300_000)
        for scheme in ["obs", "oss", "s3"] {
            for (key, parts) in [("one", [String]()), ("parts", ["--part-size", "100K"])] {
                let url = "\(scheme)://bkt1/nc/\(key)"
                try expectRun(["upload", tmp.file("first"), url, "-q"] + parts, environment: env)
                try expectRun(
                    ["upload", tmp.file("second"), url, "--no-clobber"] + parts, environment: env,
                    stderr: "phonepack: left as it is: \(url) already exists (--no-clobber)\n")
                let store = scheme == "oss" ? "oss" : "obs"
                #expect(
                    emulator.storedBytes(store: store, bucket: "bkt1", key: "nc/\(key)") == first, "\(url) was replaced"
                )
            }
            try expectRun(
                ["cp", "\(scheme)://bkt1/nc/parts", "\(scheme)://bkt1/nc/one", "--no-clobber"], environment: env,
                stderr: "phonepack: left as it is: \(scheme)://bkt1/nc/one already exists (--no-clobber)\n")
            try expectRun(
                ["upload", tmp.file("second"), "\(scheme)://bkt1/nc/new", "--no-clobber", "-q"], environment: env)
        }
        let conditional = try emulator.requests().filter { ($0["path"] as? String)?.contains("/nc/") == true }
        #expect(!conditional.isEmpty)
    }
}
