import PhonePackCore

/// Alibaba OSS signature V1 (`OSS AK:sig`): HMAC-SHA1 over the verb, Content-MD5, Content-Type, date,
/// `x-oss-*` headers and the resource with its sub-resources (key not encoded). Header and presigned forms.
public struct OSSV1Signer: Sendable {
    public var credentials: Credentials

    public init(credentials: Credentials) {
        self.credentials = credentials
    }

    /// The sub-resources our requests can carry (both Python SDKs' lists, narrowed to what a transfer tool sends;
    /// V4 signs every parameter and needs no list).
    static let subResources: Set<String> = [
        "acl", "append", "bucketInfo", "callback", "callback-var", "cname", "comp", "continuation-token", "cors",
        "delete", "encryption", "inventory", "lifecycle", "location", "logging", "objectMeta", "partNumber", "policy",
        "position", "referer", "replication", "requestPayment", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "security-token", "stat", "symlink", "tagging",
        "uploadId", "uploads", "versionId", "versioning", "versions", "website", "worm", "x-oss-process",
        "x-oss-request-payer", "x-oss-traffic-limit",
    ]

    func stringToSign(_ request: SignableRequest, dateLine: String, bucket: String?, key: String?) -> String {
        let ossHeaders = request.headers.canonicalHeaders { $0.hasPrefix("x-oss-") }
        var resource = "/"
        if let bucket { resource += bucket + "/" + (key ?? "") }
        let signed = request.query.filter { Self.subResources.contains($0.name) }.sorted { $0.name < $1.name }
        if !signed.isEmpty {
            resource +=
                "?"
                + signed.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }
                .joined(separator: "&")
        }
        return [request.method, request.header("Content-MD5") ?? "", request.header("Content-Type") ?? "", dateLine]
            .joined(separator: "\n") + "\n" + ossHeaders.canonicalBlock + resource
    }

    /// Signs with an `Authorization` header; the date line is `x-oss-date` when present, else `date`.
    @discardableResult
    public func sign(_ request: inout SignableRequest, bucket: String?, key: String?, date: String) -> SigningDetails {
        if let securityToken = credentials.securityToken { request.setHeader("x-oss-security-token", securityToken) }
        if request.header("Date") == nil { request.setHeader("Date", date) }
        let dateLine = request.header("x-oss-date") ?? request.header("Date") ?? date
        let text = stringToSign(request, dateLine: dateLine, bucket: bucket, key: key)
        let signature = HMAC.authenticate(.sha1, key: Array(credentials.secretKey.utf8), message: text).base64String
        request.setHeader("Authorization", "OSS \(credentials.accessKey):\(signature)")
        return SigningDetails(canonicalRequest: text, stringToSign: text, signature: signature)
    }

    /// A presigned URL's query: `OSSAccessKeyId`, `Expires` (Unix seconds), `Signature`.
    @discardableResult
    public func presign(_ request: inout SignableRequest, bucket: String?, key: String?, expires: Int64)
        -> SigningDetails
    {
        if let securityToken = credentials.securityToken { request.query.append(("security-token", securityToken)) }
        let text = stringToSign(request, dateLine: String(expires), bucket: bucket, key: key)
        let signature = HMAC.authenticate(.sha1, key: Array(credentials.secretKey.utf8), message: text).base64String
        request.query += [
            ("OSSAccessKeyId", credentials.accessKey), ("Expires", String(expires)), ("Signature", signature),
        ]
        return SigningDetails(canonicalRequest: text, stringToSign: text, signature: signature)
    }
}
