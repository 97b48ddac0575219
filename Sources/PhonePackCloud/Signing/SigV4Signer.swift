import PhonePackCore

/// AWS Signature Version 4 for S3 (`AWS4-HMAC-SHA256`), with `UNSIGNED-PAYLOAD`: the one payload mode OBS
/// accepts, and what lets a large body stream without being hashed first. Header and presigned-URL forms.
public struct SigV4Signer: Sendable {
    public var credentials: Credentials
    public var region: String
    public var service: String

    public init(credentials: Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    func scope(_ amzDate: String) -> String { "\(amzDate.prefix(8))/\(region)/\(service)/aws4_request" }

    func signingKey(_ amzDate: String) -> [UInt8] {
        hmacChain("AWS4\(credentials.secretKey)", [String(amzDate.prefix(8)), region, service, "aws4_request"])
    }

    /// The signature of one chunk of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` body: it signs the chunk's SHA-256
    /// and the signature before it (the request's own, for the first chunk).
    public func chunkSignature(amzDate: String, previous: String, chunkSHA256: String) -> String {
        let stringToSign =
            "AWS4-HMAC-SHA256-PAYLOAD\n\(amzDate)\n\(scope(amzDate))\n\(previous)\n\(sha256Hex(""))\n\(chunkSHA256)"
        return HMAC.authenticate(.sha256, key: signingKey(amzDate), message: stringToSign).hexString
    }

    /// The signature of the trailer lines (`name:value\n` each) after the last chunk of a signed stream.
    public func trailerSignature(amzDate: String, previous: String, trailer: String) -> String {
        let stringToSign = "AWS4-HMAC-SHA256-TRAILER\n\(amzDate)\n\(scope(amzDate))\n\(previous)\n\(sha256Hex(trailer))"
        return HMAC.authenticate(.sha256, key: signingKey(amzDate), message: stringToSign).hexString
    }

    func canonicalQuery(_ query: [(name: String, value: String?)]) -> String {
        query.map { (PercentEncoding.encode($0.name), PercentEncoding.encode($0.value ?? "")) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    func finish(_ canonical: String, amzDate: String) -> SigningDetails {
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope(amzDate))\n\(sha256Hex(canonical))"
        let signature = HMAC.authenticate(.sha256, key: signingKey(amzDate), message: stringToSign).hexString
        return SigningDetails(canonicalRequest: canonical, stringToSign: stringToSign, signature: signature)
    }

    /// Signs every header the request carries (plus `x-amz-content-sha256` and `x-amz-date`, added here).
    /// - Parameter amzDate: `YYYYMMDDTHHMMSSZ`, UTC.
    @discardableResult
    /// `payloadHash`: what `x-amz-content-sha256` says — `UNSIGNED-PAYLOAD` (what phonepack sends), the body's
    /// SHA-256 in hex, or a `STREAMING-…` marker (what other clients send; the emulator checks with theirs).
    public func sign(_ request: inout SignableRequest, amzDate: String, payloadHash: String = Self.unsignedPayload)
        -> SigningDetails
    {
        if request.header("Host") == nil { request.setHeader("Host", request.host) }
        request.setHeader("x-amz-date", amzDate)
        request.setHeader("x-amz-content-sha256", payloadHash)
        if let securityToken = credentials.securityToken { request.setHeader("x-amz-security-token", securityToken) }
        let headers = request.headers.canonicalHeaders { $0 != "authorization" }
        let signedNames = headers.signedNames
        let canonical = [
            request.method, request.encodedPath, canonicalQuery(request.query),
            headers.canonicalBlock, signedNames, payloadHash,
        ].joined(separator: "\n")
        let details = finish(canonical, amzDate: amzDate)
        request.setHeader(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope(amzDate)),SignedHeaders=\(signedNames),Signature=\(details.signature)"
        )
        return details
    }

    /// A presigned URL: only `host` is signed, so any client can fetch it within `expires` seconds.
    @discardableResult
    public func presign(_ request: inout SignableRequest, amzDate: String, expires: Int) -> SigningDetails {
        request.query += [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(credentials.accessKey)/\(scope(amzDate))"),
            ("X-Amz-Date", amzDate), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", "host"),
        ]
        if let securityToken = credentials.securityToken {
            request.query.append(("X-Amz-Security-Token", securityToken))
        }
        let canonical = [
            request.method, request.encodedPath, canonicalQuery(request.query), "host:\(request.host)\n", "host",
            Self.unsignedPayload,
        ].joined(separator: "\n")
        let details = finish(canonical, amzDate: amzDate)
        request.query.append(("X-Amz-Signature", details.signature))
        return details
    }
}
