import PhonePackCore

/// Alibaba Cloud's older RPC signature (HMAC-SHA1, `SignatureVersion=1.0`): the parameters, sorted and encoded,
/// signed as `METHOD&%2F&E(query)` with `secret&`. Kept for accounts and tools that still use it.
public struct AlibabaRPCSigner: Sendable {
    public var credentials: Credentials

    public init(credentials: Credentials) {
        self.credentials = credentials
    }

    /// Adds the common parameters that are missing, then `Signature`; the query is left in canonical order.
    @discardableResult
    public func sign(_ request: inout SignableRequest, timestamp: String, nonce: String) -> SigningDetails {
        var parameters = request.query.filter { $0.name != "Signature" }
        func ensure(_ name: String, _ value: String) {
            if !parameters.contains(where: { $0.name == name }) { parameters.append((name, value)) }
        }
        ensure("AccessKeyId", credentials.accessKey)
        ensure("SignatureMethod", "HMAC-SHA1")
        ensure("SignatureVersion", "1.0")
        ensure("SignatureNonce", nonce)
        ensure("Timestamp", timestamp)
        ensure("Format", "json")
        if let securityToken = credentials.securityToken { ensure("SecurityToken", securityToken) }
        parameters.sort { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        let canonical = PercentEncoding.pairs(parameters)
        let stringToSign = "\(request.method)&%2F&\(PercentEncoding.encode(canonical))"
        let signature = HMAC.authenticate(.sha1, key: Array("\(credentials.secretKey)&".utf8), message: stringToSign)
            .base64String
        request.query = parameters + [("Signature", signature)]
        return SigningDetails(canonicalRequest: canonical, stringToSign: stringToSign, signature: signature)
    }
}
