import Foundation
import PhonePackTestSupport
import Testing

/// The vendors' own SDK signing code, run over every request the emulator got (issue 25): what phonepack sends must
/// be what the real services accept, whatever the emulator thinks.
@Suite("The vendors' SDKs check what phonepack sends (signature oracle)", .ownThread)
struct SignatureOracleTests {
    @Test(
        "ls, stat, sync both ways, download -r, uploads ls, rm, cp and presign on OBS (native and V4), OSS (V4 and V1) and S3: every request verifies with esdk-obs-python, botocore and oss2"
    )
    func objectStores() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let environment = emulator.environment(stateDirectory: tmp.file("state")).merging(
            [
                "PHONEPACK_S3_ENDPOINT": emulator.endpoints["obs"] ?? "",
                "AWS_ACCESS_KEY_ID": EmulatorProcess.accessKey,
                "AWS_SECRET_ACCESS_KEY": EmulatorProcess.secretKey,
            ]) { $1 }
        let tree = tmp.file("tree")
        try FileManager.default.createDirectory(atPath: tree + "/a/b", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: tree + "/f.txt"))
        try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/a/b/sp ace+plus~é(1)&=.txt"))
        _ = try writeRandomFile(tree + "/a/big.bin", size: 300_000)
        for (scheme, signature) in [("obs", "obs"), ("obs", "v4"), ("oss", "oss4"), ("oss", "oss1"), ("s3", "v4")] {
            let sig = ["--signature", signature]
            let base = "\(scheme)://b1/\(signature)/"
            func run(_ arguments: [String], exits: Exit = .success) throws {
                try expectRun(arguments + sig + ["-q"], environment: environment, exits: exits)
            }
            try run(["upload", tree + "/a/big.bin", base + "big.bin", "--part-size", "100K"])
            try run(["ls", "\(scheme)://b1/"])
            try run(["ls", base])
            try run(["stat", base + "big.bin"])
            try run(["sync", tree, base + "sync/"])
            try run(["download", "-r", base + "sync/", tmp.file("down-\(scheme)-\(signature)")])
            try run(["sync", base + "sync/", tmp.file("back-\(scheme)-\(signature)")])
            try run(["uploads", "ls", "\(scheme)://b1/"])
            try run(["cp", base + "big.bin", base + "copy.bin"])
            try run(["rm", "-r", base + "sync/"])
            let url = try expectRun(["presign", base + "big.bin"] + sig, environment: environment).stdout
            let fetched = try Tool.run(
                "curl", ["-sf", "-o", "/dev/null", url.trimmingCharacters(in: .whitespacesAndNewlines)])
            #expect(fetched.status == 0, "\(scheme) \(signature) presigned GET: \(fetched.stderr)")
        }
        let oracle = try emulator.signatureOracle()
        #expect(oracle.status == 0, "\(oracle.stderr)")
        #expect(oracle.summary["disagreements"] as? Int == 0)
        #expect((oracle.summary["checked"] as? Int ?? 0) >= 140, "\(oracle.summary)")
        let schemes = oracle.summary["schemes"] as? [String: Int] ?? [:]
        #expect(
            Set(schemes.keys) == [
                "obs-obs", "obs-query", "sigv4", "sigv4-query", "oss-v4", "oss-v4-query", "oss-v1",
                "oss-v1-query",
            ], "\(schemes)")
    }

    @Test(
        "the oracle can fail: a bucket listing sent as /b1/ but signed for /b1 (the shape phonepack used to send) is refused by the SDK while the emulator's verdict says accepted; a wrong secret is refused by both"
    )
    func oracleFails() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let environment = emulator.environment(stateDirectory: tmp.file("state"))
        try expectRun(["ls", "obs://b1/"], environment: environment)
        var wrong = environment
        wrong["OBS_SECRET_ACCESS_KEY"] = "not-the-secret"
        try expectRun(["ls", "obs://b1/"], environment: wrong, exits: .service)
        let honest = try emulator.signatureOracle()
        #expect(honest.status == 0, "\(honest.stderr)")
        #expect(honest.summary["accepted"] as? Int == 1)
        #expect(honest.summary["refused"] as? Int == 1)
        // The listing as the old client sent it: the same signature, the path with a slash after the bucket.
        let lines = try String(contentsOfFile: emulator.wireLog, encoding: .utf8).split(separator: "\n")
        let accepted = try #require(lines.first { $0.contains("\"accepted\"") })
        let tampered = accepted.replacing("\"target\":\"/b1?", with: "\"target\":\"/b1/?")
        #expect(tampered != accepted)
        let forged = tmp.file("forged.jsonl")
        try Data((tampered + "\n").utf8).write(to: URL(fileURLWithPath: forged))
        let caught = try EmulatorProcess.signatureOracle(logs: [forged])
        #expect(caught.status == 1)
        #expect(caught.summary["disagreements"] as? Int == 1)
        #expect(
            caught.stderr.contains("the emulator said accepted, the vendor SDK (obs-obs) refuses it"),
            "\(caught.stderr)")
    }
}
