import Foundation
import PhonePackCloud
import PhonePackCore
import PhonePackTestSupport
import Testing

@Suite("Huawei IAM tokens and project ids against a local IAM stand-in", .ownThread)
struct HuaweiIdentityTests {
    func identity(_ server: LocalServer, cache: String?) throws -> HuaweiIdentity {
        HuaweiIdentity(
            endpoint: try ServiceURL(parsing: "http://127.0.0.1:\(server.port)", service: "IAM"),
            client: CloudClient(retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.05)),
            cacheDirectory: cache)
    }

    func tokenRequests(_ server: LocalServer) throws -> String {
        let client = CloudClient()
        let request = SignableRequest(method: "GET", host: "127.0.0.1:\(server.port)", path: "/stats/v3/auth/tokens")
        return try client.send(request, scheme: "http", idempotent: true) { _, _ in .unsigned }.bodyText
    }

    @Test("a token is fetched once, cached in a private file with its expiry, and never printed")
    func cachedToken() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("iam-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let first = try identity(server, cache: cache).token(
            user: "deployer", password: "iam-test-password", domain: "my-account", project: "cn-north-4")
        #expect(first.value == "TOKEN-1")
        #expect(abs(first.expiresAt - (CloudTime.now() + 86400)) < 60)
        #expect(!first.description.contains("TOKEN"))
        let second = try identity(server, cache: cache).token(
            user: "deployer", password: "iam-test-password", domain: "my-account", project: "cn-north-4")
        #expect(second.value == "TOKEN-1")
        #expect(try tokenRequests(server) == "1")
        let files = try FileManager.default.contentsOfDirectory(atPath: cache)
        #expect(files.count == 1)
        let mode = try FileManager.default.attributesOfItem(atPath: cache + "/" + files[0])[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Another project is another token.
        _ = try identity(server, cache: cache).token(
            user: "deployer", password: "iam-test-password", domain: "my-account", project: "cn-east-3")
        #expect(try tokenRequests(server) == "2")
    }

    @Test("a wrong password is a service error with IAM's message")
    func wrongPassword() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        #expect {
            try identity(server, cache: nil).token(
                user: "deployer", password: "nope", domain: "d", project: "cn-north-4")
        } throws: { error in
            let e = error as? PhonePackError
            return e?.code == .service && e?.description.contains("The username or password is wrong.") == true
                && e?.description.contains("nope") == false
        }
    }

    @Test("the project id is looked up with an AK/SK-signed request")
    func projectID() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let credentials = Credentials(accessKey: "AKIAMTEST", secretKey: "sk", source: "test")
        #expect(
            try identity(server, cache: nil).projectID(region: "cn-north-4", credentials: credentials)
                == "0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        let unsigned = Credentials(accessKey: "OTHER", secretKey: "sk", source: "test")
        #expect(throws: PhonePackError.self) {
            try identity(server, cache: nil).projectID(region: "cn-north-4", credentials: unsigned)
        }
    }
}
