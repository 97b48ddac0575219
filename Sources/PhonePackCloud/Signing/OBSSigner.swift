import PhonePackCore

/// OBS's native signature (`OBS AK:sig`, `x-obs-*` headers) and its S3 V2 twin (`AWS AK:sig`, `x-amz-*`):
/// HMAC-SHA1 over the verb, Content-MD5, Content-Type, date, the vendor headers and the resource with its
/// sub-resources. Header form and presigned-URL form.
public struct OBSSigner: Sendable {
    public enum Flavor: Sendable {
        /// `Authorization: OBS …`, `x-obs-` headers.
        case native
        /// `Authorization: AWS …`, `x-amz-` headers (S3 V2, which OBS also accepts).
        case s3V2

        var scheme: String { self == .native ? "OBS" : "AWS" }
        var headerPrefix: String { self == .native ? "x-obs-" : "x-amz-" }
    }

    public var credentials: Credentials
    public var flavor: Flavor

    public init(credentials: Credentials, flavor: Flavor = .native) {
        self.credentials = credentials
        self.flavor = flavor
    }

    /// Query parameters that are part of what is signed (matched case-insensitively); listing parameters such as
    /// `prefix` or `max-keys` are not.
    static let subResources: Set<String> = [
        "acl", "backtosource", "policy", "torrent", "logging", "location", "storageinfo", "quota", "storageclass",
        "storagepolicy", "requestpayment", "versions", "versioning", "versionid", "uploads", "uploadid", "partnumber",
        "website", "notification", "dispolicy", "lifecycle", "deletebucket", "delete", "cors", "restore", "tagging",
        "replication", "metadata", "encryption", "publicaccessblock", "bucketstatus", "policystatus",
        "x-obs-accesslabel", "inventory", "obscompresspolicy", "object-lock", "retention", "directcoldaccess", "append",
        "position", "truncate", "modify", "rename", "length", "name", "fileinterface", "response-content-type",
        "response-content-language", "response-expires", "response-cache-control", "response-content-disposition",
        "response-content-encoding", "x-image-save-bucket", "x-image-save-object", "x-image-process", "x-oss-process",
        "obsworkflowtriggerpolicy", "obsbucketalias", "obsalias",
    ]

    /// `/bucket/key` with the key percent-encoded (`/` and `~` kept), `/bucket/` or `/bucket` for the bucket
    /// itself (virtual-hosted or path-style), then the sorted sub-resources.
    func canonicalResource(bucket: String?, key: String?, pathStyle: Bool, query: [(name: String, value: String?)])
        -> String
    {
        var resource = "/"
        if let bucket {
            if let key, !key.isEmpty {
                resource += bucket + "/" + PercentEncoding.encode(key, keepingSlash: true)
            } else {
                resource += pathStyle ? bucket : bucket + "/"
            }
        }
        let signed = query.filter { item in
            let lower = item.name.lowercased()
            return Self.subResources.contains(lower) || lower.hasPrefix("x-obs-") || lower.hasPrefix("x-workflow-")
        }.sorted { $0.name < $1.name }
        if !signed.isEmpty {
            resource +=
                "?"
                + signed.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }
                .joined(separator: "&")
        }
        return resource
    }

    func stringToSign(
        _ request: SignableRequest, dateLine: String, bucket: String?, key: String?, pathStyle: Bool
    ) -> String {
        let prefix = flavor.headerPrefix
        let vendorHeaders = request.headers.canonicalHeaders { $0.hasPrefix(prefix) }
        // With x-obs-date / x-amz-date the Date line stays empty; the vendor header carries the time.
        let date = vendorHeaders.contains { $0.name == prefix + "date" } ? "" : dateLine
        return [request.method, request.header("Content-MD5") ?? "", request.header("Content-Type") ?? "", date]
            .joined(separator: "\n") + "\n"
            + vendorHeaders.canonicalBlock
            + canonicalResource(bucket: bucket, key: key, pathStyle: pathStyle, query: request.query)
    }

    /// Signs with an `Authorization` header. `date` is the RFC 1123 `Date` header value.
    @discardableResult
    public func sign(_ request: inout SignableRequest, bucket: String?, key: String?, pathStyle: Bool, date: String)
        -> SigningDetails
    {
        if let securityToken = credentials.securityToken {
            request.setHeader(flavor.headerPrefix + "security-token", securityToken)
        }
        if request.header(flavor.headerPrefix + "date") == nil { request.setHeader("Date", date) }
        let text = stringToSign(request, dateLine: date, bucket: bucket, key: key, pathStyle: pathStyle)
        let signature = HMAC.authenticate(.sha1, key: Array(credentials.secretKey.utf8), message: text).base64String
        request.setHeader("Authorization", "\(flavor.scheme) \(credentials.accessKey):\(signature)")
        return SigningDetails(canonicalRequest: text, stringToSign: text, signature: signature)
    }

    /// A presigned URL's query: `AccessKeyId`, `Expires` (Unix seconds), `Signature` (and the token).
    @discardableResult
    public func presign(
        _ request: inout SignableRequest, bucket: String?, key: String?, pathStyle: Bool, expires: Int64
    )
        -> SigningDetails
    {
        if let securityToken = credentials.securityToken {
            request.query.append((flavor.headerPrefix + "security-token", securityToken))
        }
        let text = stringToSign(request, dateLine: String(expires), bucket: bucket, key: key, pathStyle: pathStyle)
        let signature = HMAC.authenticate(.sha1, key: Array(credentials.secretKey.utf8), message: text).base64String
        let keyParameter = flavor == .native ? "AccessKeyId" : "AWSAccessKeyId"
        request.query += [
            (keyParameter, credentials.accessKey), ("Expires", String(expires)), ("Signature", signature),
        ]
        return SigningDetails(canonicalRequest: text, stringToSign: text, signature: signature)
    }
}
