import PhonePackCore

/// Huawei Cloud API gateway AK/SK signing, `SDK-HMAC-SHA256`: what CPH, IAM and KooPhone accept in place of a
/// token. Follows the official SDK (huaweicloudsdkcore 3.1.219), whose requests are the vectors we check.
public struct APIGatewaySigner: Sendable {
    /// An STS token in the credentials is sent (and signed) as `X-Security-Token`.
    public var credentials: Credentials

    public init(credentials: Credentials) {
        self.credentials = credentials
    }

    /// Adds `X-Sdk-Date`, `Host`, the token and, for bodies that are not JSON, `X-Sdk-Content-Sha256:
    /// UNSIGNED-PAYLOAD`, then `Authorization`.
    /// - Parameters:
    ///   - date: `YYYYMMDDTHHMMSSZ`, UTC.
    ///   - bodySHA256: lowercase hex SHA-256 of the body (of nothing for no body).
    @discardableResult
    public func sign(_ request: inout SignableRequest, date: String, bodySHA256: String = emptyPayloadSHA256)
        -> SigningDetails
    {
        request.setHeader("X-Sdk-Date", date)
        if request.header("Host") == nil { request.setHeader("Host", request.host) }
        if let securityToken = credentials.securityToken { request.setHeader("X-Security-Token", securityToken) }
        if let type = request.header("Content-Type"), !type.hasPrefix("application/json"),
            !type.hasPrefix("application/bson")
        {
            request.setHeader("X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD")
        }
        let signed = request.headers.canonicalHeaders { !$0.contains("_") }
        let signedNames = signed.signedNames
        var uri = PercentEncoding.encode(request.path, keepingSlash: true)
        if !uri.hasSuffix("/") { uri += "/" }
        // Sent in the canonical order too, so the wire query is exactly what was signed.
        request.query.sort { ($0.name, $0.value ?? "") < ($1.name, $1.value ?? "") }
        let query = PercentEncoding.pairs(request.query)
        let payload = request.header("X-Sdk-Content-Sha256") ?? bodySHA256
        let canonical = [
            request.method, uri, query, signed.canonicalBlock, signedNames, payload,
        ].joined(separator: "\n")
        let stringToSign = "SDK-HMAC-SHA256\n\(date)\n\(sha256Hex(canonical))"
        let signature = HMAC.authenticate(.sha256, key: Array(credentials.secretKey.utf8), message: stringToSign)
            .hexString
        request.setHeader(
            "Authorization",
            "SDK-HMAC-SHA256 Access=\(credentials.accessKey), SignedHeaders=\(signedNames), Signature=\(signature)"
        )
        return SigningDetails(canonicalRequest: canonical, stringToSign: stringToSign, signature: signature)
    }
}
