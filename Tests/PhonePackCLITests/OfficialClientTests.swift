import Foundation
import PhonePackTestSupport
import Testing

@Suite(
    "The emulator accepts what the official clients send (issue 16)",
    .requires(tools: "aws", "s5cmd", "rclone"),
    .requires("boto3, esdk-obs-python and oss2", fix: "scripts/setup.sh installs them from PyPI") {
        (try? Tool.run("python3", ["-c", "import boto3, obs, oss2"]))?.status == 0
    },
    .ownThread)
struct OfficialClientTests {
    @Test(
        "AWS CLI, s5cmd, boto3, rclone, esdk-obs-python and oss2 (V1, V4): put with metadata and content headers, get, range, head, paginated lists, copy, multipart with a copied part, delete, batch delete, presigned URLs (V2 and V4), conditional requests, ACL and tagging that leave the bytes alone, buckets; wrong secrets are refused"
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
            results.keys.sorted() == ["aws", "boto3", "esdk-obs-python", "oss2 v1", "oss2 v4", "rclone", "s5cmd"],
            "\(result.stdout)")
        #expect(results.values.reduce(0) { $0 + $1.count } == 112, "every operation of the matrix ran")
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
