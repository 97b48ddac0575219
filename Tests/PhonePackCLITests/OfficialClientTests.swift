import Foundation
import PhonePackTestSupport
import Testing

/// Whether the official clients are installed (`scripts/setup.sh` installs them from PyPI).
let officialClientsAvailable =
    (try? Tool.run("python3", ["-c", "import boto3, obs, oss2"]))?.status == 0
    && (try? Tool.run("aws", ["--version"]))?.status == 0 && (try? Tool.run("s5cmd", ["version"]))?.status == 0

@Suite(
    "The emulator accepts what the official clients send (issue 16)",
    .enabled(if: officialClientsAvailable, "scripts/setup.sh installs awscli, boto3, s5cmd, esdk-obs-python, oss2"),
    .ownThread)
struct OfficialClientTests {
    @Test(
        "AWS CLI, boto3, s5cmd (SigV4, signed payloads, CRC-32 headers, multipart, DeleteObjects), esdk-obs-python (OBS native) and oss2 (OSS V1 and V4) put, list, get, copy and delete; wrong secrets and a wrong CRC-32 are refused"
    )
    func officialClients() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "bkt1"])
        let result = try Tool.run(
            "python3",
            [
                CLI.script("official_clients.py"), emulator.endpoints["obs"] ?? "", emulator.endpoints["oss"] ?? "",
                EmulatorProcess.accessKey, EmulatorProcess.secretKey, "bkt1",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let results = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: [String: String]])
        #expect(
            results.keys.sorted() == ["aws", "boto3", "esdk-obs-python", "oss2 v1", "oss2 v4", "s5cmd"],
            "\(result.stdout)")
        for (client, operations) in results.sorted(by: { $0.key < $1.key }) {
            for (operation, outcome) in operations.sorted(by: { $0.key < $1.key }) {
                #expect(outcome == "ok", "\(client) \(operation): \(outcome)")
            }
        }
    }

    @Test(
        "aws-chunked bodies: botocore's trailer CRC-32 (put and multipart) and signed chunks are stored as the payload; a wrong trailer, a changed chunk or endless trailer lines are refused"
    )
    func chunkedBodies() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "bkt1"])
        let result = try Tool.run(
            "python3",
            [
                CLI.script("aws_chunked.py"), emulator.endpoints["obs"] ?? "", EmulatorProcess.accessKey,
                EmulatorProcess.secretKey, "bkt1",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let results = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String])
        #expect(results.count == 7, "\(result.stdout)")
        for (name, outcome) in results.sorted(by: { $0.key < $1.key }) {
            #expect(outcome == "ok", "\(name): \(outcome)")
        }
    }
}
