import PhonePackCore

/// Alibaba OSS signature V4 (`OSS4-HMAC-SHA256`): signs every query parameter, the `x-oss-*` headers,
/// Content-Type/MD5 and any additional headers, with a key derived per day and region. Header and presigned forms.
public struct OSSV4Signer: Sendable {
    public var credentials: Credentials
    public var region: String

    public init(credentials: Credentials, region: String) {
        self.credentials = credentials
        self.region = region
    }

    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    func scope(_ ossDate: String) -> String { "\(ossDate.prefix(8))/\(region)/oss/aliyun_v4_request" }

    func signingKey(_ ossDate: String) -> [UInt8] {
        hmacChain("aliyun_v4\(credentials.secretKey)", [String(ossDate.prefix(8)), region, "oss", "aliyun_v4_request"])
    }

    func canonicalRequest(_ request: SignableRequest, bucket: String?, key: String?, additional: [String]) -> String {
        var uri = "/"
        if let bucket { uri += bucket + "/" + PercentEncoding.encode(key ?? "", keepingSlash: true) }
        let query = request.query.map { (PercentEncoding.encode($0.name), PercentEncoding.encode($0.value ?? "")) }
            .sorted { $0.0 < $1.0 }
            .map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&")
        let extra = Set(additional)
        let headers = request.headers.canonicalHeaders {
            $0.hasPrefix("x-oss-") || $0 == "content-type" || $0 == "content-md5" || extra.contains($0)
        }
        return [
            request.method, uri, query, headers.canonicalBlock,
            additional.joined(separator: ";"), Self.unsignedPayload,
        ].joined(separator: "\n")
    }

    func finish(_ canonical: String, ossDate: String) -> SigningDetails {
        let stringToSign = "OSS4-HMAC-SHA256\n\(ossDate)\n\(scope(ossDate))\n\(sha256Hex(canonical))"
        let signature = HMAC.authenticate(.sha256, key: signingKey(ossDate), message: stringToSign).hexString
        return SigningDetails(canonicalRequest: canonical, stringToSign: stringToSign, signature: signature)
    }

    /// Signs with an `Authorization` header; adds `x-oss-date` and `x-oss-content-sha256`.
    /// - Parameter additionalHeaders: more header names to sign (e.g. `host`), lower-case.
    @discardableResult
    public func sign(
        _ request: inout SignableRequest, bucket: String?, key: String?, ossDate: String,
        additionalHeaders: [String] = []
    ) -> SigningDetails {
        request.setHeader("x-oss-date", ossDate)
        request.setHeader("x-oss-content-sha256", Self.unsignedPayload)
        if let securityToken = credentials.securityToken { request.setHeader("x-oss-security-token", securityToken) }
        let additional = additionalHeaders.map { $0.lowercased() }.sorted()
        let details = finish(
            canonicalRequest(request, bucket: bucket, key: key, additional: additional), ossDate: ossDate)
        var authorization = "OSS4-HMAC-SHA256 Credential=\(credentials.accessKey)/\(scope(ossDate))"
        if !additional.isEmpty { authorization += ",AdditionalHeaders=\(additional.joined(separator: ";"))" }
        request.setHeader("Authorization", authorization + ",Signature=\(details.signature)")
        return details
    }

    /// A presigned URL valid for `expires` seconds (1–604800) from `ossDate`.
    @discardableResult
    public func presign(
        _ request: inout SignableRequest, bucket: String?, key: String?, ossDate: String, expires: Int,
        additionalHeaders: [String] = []
    ) -> SigningDetails {
        let additional = additionalHeaders.map { $0.lowercased() }.sorted()
        request.query += [
            ("x-oss-signature-version", "OSS4-HMAC-SHA256"), ("x-oss-date", ossDate),
            ("x-oss-expires", String(expires)),
            ("x-oss-credential", "\(credentials.accessKey)/\(scope(ossDate))"),
        ]
        if !additional.isEmpty { request.query.append(("x-oss-additional-headers", additional.joined(separator: ";"))) }
        if let securityToken = credentials.securityToken {
            request.query.append(("x-oss-security-token", securityToken))
        }
        if additional.contains("host"), request.header("Host") == nil { request.setHeader("Host", request.host) }
        let details = finish(
            canonicalRequest(request, bucket: bucket, key: key, additional: additional), ossDate: ossDate)
        request.query.append(("x-oss-signature", details.signature))
        return details
    }
}
