import PhonePackCore

/// Alibaba Cloud OpenAPI signature V3 (`ACS3-HMAC-SHA256`), used for the Cloud Phone (eds-aic) API.
/// Every header the request carries is signed (host, content-type and `x-acs-*` at least).
public struct ACS3Signer: Sendable {
    public var credentials: Credentials

    public init(credentials: Credentials) {
        self.credentials = credentials
    }

    /// Adds `host`, `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256` (and the token) when missing,
    /// then `Authorization`. The wire query is put in canonical order.
    /// - Parameters:
    ///   - date: `YYYY-MM-DDTHH:MM:SSZ`, UTC.
    ///   - nonce: unique per request (also per retry).
    @discardableResult
    public func sign(
        _ request: inout SignableRequest, date: String, nonce: String, bodySHA256: String = emptyPayloadSHA256
    ) -> SigningDetails {
        if request.header("host") == nil { request.setHeader("host", request.host) }
        if request.header("x-acs-date") == nil { request.setHeader("x-acs-date", date) }
        if request.header("x-acs-signature-nonce") == nil { request.setHeader("x-acs-signature-nonce", nonce) }
        if request.header("x-acs-content-sha256") == nil { request.setHeader("x-acs-content-sha256", bodySHA256) }
        if let securityToken = credentials.securityToken { request.setHeader("x-acs-security-token", securityToken) }
        request.query.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        let query = PercentEncoding.pairs(request.query)
        let headers = request.headers.canonicalHeaders { $0 != "authorization" }
        let signedNames = headers.signedNames
        let canonical = [
            request.method, PercentEncoding.encode(request.path, keepingSlash: true), query,
            headers.canonicalBlock, signedNames,
            request.header("x-acs-content-sha256") ?? bodySHA256,
        ].joined(separator: "\n")
        let stringToSign = "ACS3-HMAC-SHA256\n\(sha256Hex(canonical))"
        let signature = HMAC.authenticate(.sha256, key: Array(credentials.secretKey.utf8), message: stringToSign)
            .hexString
        request.setHeader(
            "Authorization",
            "ACS3-HMAC-SHA256 Credential=\(credentials.accessKey),SignedHeaders=\(signedNames),Signature=\(signature)")
        return SigningDetails(canonicalRequest: canonical, stringToSign: stringToSign, signature: signature)
    }
}
