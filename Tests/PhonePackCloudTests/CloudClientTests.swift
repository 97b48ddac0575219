import Foundation
import PhonePackCloud
import PhonePackCore
import PhonePackTestSupport
import Testing

@Suite("HTTP client: retries, timeouts, clock skew, errors, against a misbehaving local server", .ownThread)
struct CloudClientTests {
    let signer = SigV4Signer(
        credentials: Credentials(accessKey: "AKIDEXAMPLE", secretKey: "secret-for-tests", source: "test"),
        region: "us-east-1")

    func client(attempts: Int = 4, lowSpeedTime: Int = 30) -> CloudClient {
        var options = HTTPOptions()
        options.lowSpeedTime = lowSpeedTime
        return CloudClient(options: options, retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.05, maxDelay: 2))
    }

    func send(
        _ client: CloudClient, _ server: LocalServer, _ path: String, method: String = "GET",
        query: [(name: String, value: String?)] = [], body: HTTPBody = .none, idempotent: Bool = true
    )
        throws(PhonePackError) -> ServiceResponse
    {
        let request = SignableRequest(method: method, host: "127.0.0.1:\(server.port)", path: path, query: query)
        return try client.send(request, scheme: "http", body: body, idempotent: idempotent) {
            self.signer.sign(&$0, amzDate: CloudTime.compact($1))
        }
    }

    func requests(_ server: LocalServer, _ key: String) throws -> Int {
        let client = CloudClient()
        let response = try send(client, server, "/stats/\(key)")
        return Int(response.bodyText) ?? -1
    }

    @Test("503 with Retry-After is retried after the wait, then succeeds")
    func retryAfter() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let client = client()
        let started = Date()
        let response = try send(client, server, "/flaky503/a", query: [("n", "2")])
        #expect(response.status == 200 && response.bodyText == "ok")
        #expect(client.lastAttempts == 3)
        #expect(try requests(server, "flaky503/a") == 3)
        #expect(Date().timeIntervalSince(started) >= 1.9)
    }

    @Test("a connection reset mid-body and a short body are retried")
    func resetMidBody() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let client = client()
        let response = try send(client, server, "/reset/b", query: [("n", "2")])
        #expect(response.bodyText == "ok" && client.lastAttempts == 3)
        #expect(try requests(server, "reset/b") == 3)
    }

    @Test("a stalled response times out, is retried, then fails as a network error")
    func slow() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let client = client(attempts: 2, lowSpeedTime: 1)
        #expect {
            try send(client, server, "/slow")
        } throws: { error in
            let e = error as? PhonePackError
            return e?.code == .network && e?.message.contains("after 2 attempts") == true
        }
        #expect(try requests(server, "slow") == 2)
    }

    @Test("refusals are not retried and carry vendor code, request id and a hint")
    func refusal() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let client = client()
        var log: [String] = []
        client.log = { log.append($0) }
        client.debugSigning = true
        #expect {
            try send(client, server, "/forbidden")
        } throws: { error in
            guard let e = error as? PhonePackError else { return false }
            return e.code == .service && e.vendorCode == "SignatureDoesNotMatch" && e.requestID == "RID-403"
                && e.description.contains("--debug-signing") && !e.description.contains("secret-for-tests")
        }
        #expect(try requests(server, "forbidden") == 1)
        #expect(log.contains { $0.contains("the server's string to sign:\nSERVER STRING") })
        #expect(log.contains { $0.contains("our canonical request:\nGET\n/forbidden") })
        #expect(!log.joined().contains("secret-for-tests"))
    }

    @Test("a skewed clock is corrected once from the server's Date and the request signed again")
    func clockSkew() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let client = client()
        let response = try send(client, server, "/skew")
        #expect(response.status == 200)
        #expect(client.lastAttempts == 2)
        #expect(abs(client.clockOffset - 3600) < 30)
    }

    @Test("a non-idempotent request is not retried on 503")
    func nonIdempotent() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let client = client()
        #expect(throws: PhonePackError.self) {
            try send(client, server, "/always503/p", method: "POST", idempotent: false)
        }
        #expect(try requests(server, "always503/p") == 1)
        #expect(throws: PhonePackError.self) { try send(client, server, "/always503/q") }
        #expect(try requests(server, "always503/q") == 4)
    }

    @Test("bodies stream from a file range with the right length and bytes")
    func fileRangeBody() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(data).write(to: URL(fileURLWithPath: path))
        let range = HTTPBody.file(try OpenFile.forReading(path), offset: 1_000_001, length: 1_500_000)
        let response = try send(client(), server, "/echo", method: "PUT", body: range)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["length"] as? Int == 1_500_000)
        #expect(json["sha256"] as? String == Digest.hash(.sha256, data[1_000_001..<2_500_001]).hexString)
        #expect(json["method"] as? String == "PUT")
    }

    @Test("nothing listening on this machine: a clear network error naming the URL, and no retry")
    func refused() throws {
        let port = try LocalServer.freePort()
        let client = client(attempts: 2)
        let request = SignableRequest(method: "GET", host: "127.0.0.1:\(port)", path: "/x", query: [("sig", "SECRET")])
        #expect {
            try client.send(request, scheme: "http", idempotent: true) { r, t in
                self.signer.sign(&r, amzDate: CloudTime.compact(t))
            }
        } throws: { error in
            let text = (error as? PhonePackError)?.description ?? ""
            return text.contains("127.0.0.1:\(port)/x?…") && !text.contains("SECRET")
                && !text.contains("attempts") && text.contains("nothing listens there on this machine")
        }
    }
}

extension CloudClientTests {
    @Test("a producer body streams what it makes, and a failed request with it is not retried")
    func producerBody() throws {
        let server = try LocalServer(pythonScript: "fault_server.py")
        let expected = (0..<2_500_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let made = ProducerState()
        let body = HTTPBody.producer(length: Int64(expected.count)) { buffer in made.fill(buffer) }
        let response = try send(client(), server, "/echo", method: "PUT", body: body)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["length"] as? Int == expected.count)
        #expect(json["sha256"] as? String == Digest.hash(.sha256, expected).hexString)
        let failing = HTTPBody.producer(length: 10) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 1)
            return buffer.count
        }
        #expect(throws: PhonePackError.self) {
            try send(client(), server, "/always503/producer", method: "PUT", body: failing)
        }
        #expect(try requests(server, "always503/producer") == 1)
    }
}

/// The producer's position, shared with the curl thread (one transfer at a time).
final class ProducerState: @unchecked Sendable {
    var position = 0
    func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: (position + i) % 251) }
        position += buffer.count
        return buffer.count
    }
}
