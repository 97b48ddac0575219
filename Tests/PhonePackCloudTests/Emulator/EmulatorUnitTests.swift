import PhonePackCloud
import PhonePackCore
import Testing

@testable import PhonePackEmulator

/// The emulator's own parts, without a server: the signature check (which must accept what real clients send
/// and refuse what they would refuse) and range parsing.
@Suite("Emulator: signature check and ranges")
struct EmulatorUnitTests {
    let credentials = Credentials(accessKey: "EMULATORAK", secretKey: "emulator-secret", source: "test")
    let now: Int64 = 1_764_590_400  // 2025-12-01T12:00:00Z

    /// A GET signed with SigV4 by phonepack's signer, as the emulator receives it.
    func signed(secret: String, path: String = "/b1/apps/x.tar") -> IncomingRequest {
        var request = SignableRequest(method: "GET", host: "127.0.0.1:9000", path: path, query: [("versionId", "")])
        _ = SigV4Signer(
            credentials: Credentials(accessKey: "EMULATORAK", secretKey: secret, source: "test"), region: "us-east-1"
        ).sign(&request, amzDate: CloudTime.compact(now))
        let parts = path.dropFirst().split(separator: "/", maxSplits: 1).map(String.init)
        return IncomingRequest(
            method: request.method, host: request.host, bucket: parts[0], key: parts.count > 1 ? parts[1] : nil,
            query: request.query, headers: request.headers)
    }

    @Test("a SigV4 request with the right secret passes; a wrong secret, a changed path or a stale time does not")
    func sigV4() throws {
        let check = SignatureCheck(flavor: .obs, credentials: credentials)
        try check.verify(signed(secret: "emulator-secret"), now: now)
        #expect(throws: Refusal.self) { try check.verify(signed(secret: "not-the-secret"), now: now) }
        var moved = signed(secret: "emulator-secret")
        moved.key = "apps/y.tar"
        #expect(throws: Refusal.self) { try check.verify(moved, now: now) }
        #expect(throws: Refusal.self) { try check.verify(signed(secret: "emulator-secret"), now: now + 3600) }
    }

    @Test(
        "Range headers: one byte range served, anything else whole, unsatisfiable refused",
        arguments: [
            ("bytes=0-9", 100, "0...9"), ("bytes=90-", 100, "90...99"), ("bytes=-10", 100, "90...99"),
            ("bytes=95-200", 100, "95...99"), ("bytes=0-1,5-6", 100, "whole"), ("items=0-9", 100, "whole"),
            ("bytes=100-", 100, "unsatisfiable"), ("bytes=9-0", 100, "whole"),
        ] as [(String, Int64, String)])
    func ranges(header: String, size: Int64, expected: String) {
        let parsed = ObjectStoreService.parseRange(header, size: size)
        let text =
            switch parsed {
            case .none: "whole"
            case .some(.none): "unsatisfiable"
            case .some(.some(let range)): "\(range.lowerBound)...\(range.upperBound)"
            }
        #expect(text == expected, "\(header)")
    }
}
