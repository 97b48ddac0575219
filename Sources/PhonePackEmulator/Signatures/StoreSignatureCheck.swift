import PhonePackCloud
import PhonePackCore

/// Which object store an emulator port plays.
public enum StoreFlavor: String, Sendable {
    case obs, oss

    /// The prefix of this store's own headers.
    var headerPrefix: String { self == .obs ? "x-obs-" : "x-oss-" }
}

/// A request as the checks see it: the path as sent (`/bucket`, `/bucket/`, `/bucket/key`, decoded), the query in
/// its original order (`nil` for a bare `?uploads`, `""` for `?uploads=`), headers as sent.
struct IncomingRequest: Sendable {
    var method: String
    var host: String
    var bucket: String?
    var key: String?
    var query: [(name: String, value: String?)]
    var headers: [(name: String, value: String)]
    /// For a signed aws-chunked body: where its chain of chunk signatures starts (set by ``SignatureCheck``).
    var chain: AWSChunkedBody.Chain?
    /// What the signature check decided, for the wire log.
    let verdict = VerdictBox()

    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }.map { $0.value ?? "" }
    }

    /// The decoded path with the shape it was sent in: `/b` and `/b/` are two requests to a server that
    /// canonicalises what is on the wire (every store does).
    var path: String { "/" + [bucket, key].compactMap { $0 }.joined(separator: "/") }
}

/// Why a request was refused: the vendor error code, HTTP status, message, and what we expected to be signed.
struct Refusal: Error {
    var status: Int
    var code: String
    var message: String
    var stringToSign: String?

    /// Whether the refusal is the signature's own verdict (the oracle must agree with it), not a time, key or
    /// form problem.
    var isSignatureMismatch: Bool { code == "SignatureDoesNotMatch" }
}

/// Checks a request's signature the way the real stores do, from the request as it arrived: OBS native and its
/// AWS V2 twin, SigV4 (header, query, signed chunks) and OSS V1 and V4 (header, query). Independent of
/// phonepack's signers; `Tests/Scripts/signature_oracle.py` checks both against the vendors' SDK code.
struct SignatureCheck: Sendable {
    var flavor: StoreFlavor
    var credentials: Credentials
    /// The region the store insists on, or `nil` to accept the one the client signed for.
    var region: String?
    var maxSkewSeconds: Int64 = 900

    /// Checks the request's signature; for a signed aws-chunked body, returns where its chain of chunk signatures
    /// starts.
    func verify(_ request: IncomingRequest, now: Int64) throws(Refusal) -> AWSChunkedBody.Chain? {
        let authorization = request.header("Authorization") ?? ""
        let scheme = authorization.prefix { $0 != " " }
        switch (flavor, scheme) {
        case (.obs, "OBS"), (.obs, "AWS"):
            let prefix = scheme == "OBS" ? "x-obs-" : "x-amz-"
            try requestTime(request, vendorHeader: prefix + "date", now: now)
            let (accessKey, signature) = try keyAndSignature(authorization, request)
            try checkAccessKey(accessKey)
            let text = obsStringToSign(request, prefix: prefix, dateLine: request.header("Date") ?? "")
            try expect(signature, base64HMACSHA1(text), text)
        case (.obs, "AWS4-HMAC-SHA256"), (.oss, "AWS4-HMAC-SHA256"):
            // OSS has an S3-compatible API too: SigV4 on either port.
            let fields = Wire.authorizationFields(authorization)
            let scope = try credentialScope(fields["Credential"], request)
            guard let amzDate = request.header("x-amz-date") else { throw malformed("x-amz-date", request) }
            try checkSkew(CloudTime.parseCompact(amzDate), now: now, request)
            // S3 requires the payload line in a header; the body is checked against it when it is a hash.
            guard let payload = request.header("x-amz-content-sha256") else {
                throw Refusal(
                    status: 400, code: "InvalidRequest",
                    message: "Missing required header for this request: x-amz-content-sha256")
            }
            let signed = (fields["SignedHeaders"] ?? "").split(separator: ";").map(String.init)
            let canonical = sigV4Canonical(
                request, query: request.query, signed: signed, headers: request.headers, payload: payload)
            let key = sigV4Key(scope)
            let text =
                "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope[1...].joined(separator: "/"))\n\(Wire.sha256Hex(canonical))"
            try expect(fields["Signature"] ?? "", Wire.hmac(.sha256, key: key, text).hexString, text)
            if payload.hasPrefix("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
                return AWSChunkedBody.Chain(
                    key: key, amzDate: amzDate, scope: scope[1...].joined(separator: "/"),
                    previous: fields["Signature"] ?? "")
            }
        case (.oss, "OSS"):
            try requestTime(request, vendorHeader: "x-oss-date", now: now)
            let (accessKey, signature) = try keyAndSignature(authorization, request)
            try checkAccessKey(accessKey)
            let text = ossV1StringToSign(
                request, dateLine: request.header("x-oss-date") ?? request.header("Date") ?? "")
            try expect(signature, base64HMACSHA1(text), text)
        case (.oss, "OSS4-HMAC-SHA256"):
            let fields = Wire.authorizationFields(authorization)
            let scope = try credentialScope(fields["Credential"], request)
            guard let ossDate = request.header("x-oss-date") else { throw malformed("x-oss-date", request) }
            try checkSkew(CloudTime.parseCompact(ossDate), now: now, request)
            let additional = (fields["AdditionalHeaders"] ?? "").split(separator: ";").map { $0.lowercased() }
            let canonical = ossV4Canonical(
                request, query: request.query, additional: additional,
                payload: request.header("x-oss-content-sha256") ?? "UNSIGNED-PAYLOAD")
            let text = ossV4StringToSign(canonical, ossDate: ossDate, scope: scope)
            try expect(fields["Signature"] ?? "", Wire.hmac(.sha256, key: ossV4Key(scope), text).hexString, text)
        case (_, ""):
            try verifyQuery(request, now: now)
        default:
            throw Refusal(
                status: 400, code: "InvalidArgument",
                message:
                    "Authorization scheme \(scheme) is not accepted by this \(flavor.rawValue.uppercased()) endpoint")
        }
        return nil
    }

    /// Presigned URLs: OBS native and AWS V2 (`AccessKeyId` / `AWSAccessKeyId`, `Expires`, `Signature`), SigV4
    /// (`X-Amz-*`, on either port), OSS V1 (`OSSAccessKeyId`) and V4 (`x-oss-*`).
    private func verifyQuery(_ request: IncomingRequest, now: Int64) throws(Refusal) {
        let names = Set(request.query.map(\.name))
        if names.contains("X-Amz-Signature") {
            let scope = try credentialScope(request.queryValue("X-Amz-Credential"), request)
            guard let amzDate = request.queryValue("X-Amz-Date"),
                let expires = request.queryValue("X-Amz-Expires").flatMap({ Int64($0) })
            else { throw malformed("X-Amz-Date or X-Amz-Expires", request) }
            try checkExpiry(CloudTime.parseCompact(amzDate).map { $0 + expires }, now: now)
            let signed = (request.queryValue("X-Amz-SignedHeaders") ?? "host").split(separator: ";").map(String.init)
            let canonical = sigV4Canonical(
                request, query: request.query.filter { $0.name != "X-Amz-Signature" }, signed: signed,
                headers: request.headers, payload: request.header("x-amz-content-sha256") ?? "UNSIGNED-PAYLOAD")
            let text =
                "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope[1...].joined(separator: "/"))\n\(Wire.sha256Hex(canonical))"
            try expect(
                request.queryValue("X-Amz-Signature") ?? "", Wire.hmac(.sha256, key: sigV4Key(scope), text).hexString,
                text)
        } else if flavor == .obs, let signature = request.queryValue("Signature"),
            let expires = request.queryValue("Expires")
        {
            let native = names.contains("AccessKeyId")
            try checkAccessKey(request.queryValue(native ? "AccessKeyId" : "AWSAccessKeyId") ?? "")
            try checkExpiry(Int64(expires), now: now)
            var unsigned = request
            unsigned.query.removeAll { ["AccessKeyId", "AWSAccessKeyId", "Expires", "Signature"].contains($0.name) }
            let text = obsStringToSign(unsigned, prefix: native ? "x-obs-" : "x-amz-", dateLine: expires)
            try expect(signature, base64HMACSHA1(text), text)
        } else if flavor == .oss, let signature = request.queryValue("Signature"),
            let expires = request.queryValue("Expires")
        {
            try checkAccessKey(request.queryValue("OSSAccessKeyId") ?? "")
            try checkExpiry(Int64(expires), now: now)
            var unsigned = request
            unsigned.query.removeAll { ["OSSAccessKeyId", "Expires", "Signature"].contains($0.name) }
            let text = ossV1StringToSign(unsigned, dateLine: expires)
            try expect(signature, base64HMACSHA1(text), text)
        } else if flavor == .oss, let signature = request.queryValue("x-oss-signature") {
            let scope = try credentialScope(request.queryValue("x-oss-credential"), request)
            guard let ossDate = request.queryValue("x-oss-date"),
                let expires = request.queryValue("x-oss-expires").flatMap({ Int64($0) })
            else { throw malformed("x-oss-date or x-oss-expires", request) }
            try checkExpiry(CloudTime.parseCompact(ossDate).map { $0 + expires }, now: now)
            let additional = (request.queryValue("x-oss-additional-headers") ?? "").split(separator: ";").map {
                $0.lowercased()
            }
            let canonical = ossV4Canonical(
                request, query: request.query.filter { $0.name != "x-oss-signature" }, additional: additional,
                payload: "UNSIGNED-PAYLOAD")
            let text = ossV4StringToSign(canonical, ossDate: ossDate, scope: scope)
            try expect(signature, Wire.hmac(.sha256, key: ossV4Key(scope), text).hexString, text)
        } else {
            throw Refusal(
                status: 403, code: "AccessDenied", message: "Anonymous access is forbidden for this operation")
        }
    }

    // MARK: OBS and AWS V2

    /// Sub-resources OBS signs (compared lower-cased), from its API reference.
    static let obsSubResources: Set<String> = [
        "acl", "append", "backtosource", "cors", "customdomain", "delete", "deletebucket", "directcoldaccess",
        "encryption", "inventory", "length", "lifecycle", "location", "logging", "metadata", "modify", "name",
        "notification", "obscompresspolicy", "partnumber", "policy", "position", "quota", "rename", "replication",
        "requestpayment", "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "storageclass",
        "storageinfo", "storagepolicy", "tagging", "torrent", "truncate", "uploadid", "uploads", "versionid",
        "versioning", "versions", "website", "x-image-process", "x-image-save-bucket", "x-image-save-object",
        "x-oss-process", "object-lock", "retention", "publicaccessblock", "bucketstatus", "policystatus",
    ]

    /// VERB, Content-MD5, Content-Type, the date line (empty when the vendor date header is there), the vendor
    /// headers, and the resource: the path exactly as sent, re-encoded (`/b`, `/b/`, `/b/k`), then the signed
    /// sub-resources sorted by name.
    func obsStringToSign(_ request: IncomingRequest, prefix: String, dateLine: String) -> String {
        var vendor: [String: [String]] = [:]
        for header in request.headers where header.name.lowercased().hasPrefix(prefix) {
            vendor[header.name.lowercased(), default: []].append(Wire.trim(header.value))
        }
        let date = vendor[prefix + "date"] != nil ? "" : dateLine
        var text =
            [
                request.method, request.header("Content-MD5") ?? "", request.header("Content-Type") ?? "", date,
            ].joined(separator: "\n") + "\n"
        for name in vendor.keys.sorted() { text += "\(name):\(vendor[name]!.joined(separator: ","))\n" }
        text += Wire.encodePath(request.path)
        let signed = request.query.filter {
            Self.obsSubResources.contains($0.name.lowercased()) || $0.name.lowercased().hasPrefix(prefix)
        }.sorted { $0.name < $1.name }
        if !signed.isEmpty {
            text +=
                "?" + signed.map { item in item.value.map { "\(item.name)=\($0)" } ?? item.name }.joined(separator: "&")
        }
        return text
    }

    func base64HMACSHA1(_ text: String) -> String {
        Wire.hmac(.sha1, key: Array(credentials.secretKey.utf8), text).base64String
    }

    // MARK: SigV4

    /// The canonical request: the path as sent, re-encoded; every query item encoded and sorted; the signed
    /// headers with trimmed values; the payload line.
    func sigV4Canonical(
        _ request: IncomingRequest, query: [(name: String, value: String?)], signed: [String],
        headers: [(name: String, value: String)], payload: String
    ) -> String {
        let canonicalQuery = query.map { (Wire.encode($0.name), Wire.encode($0.value ?? "")) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var block = ""
        for name in signed {
            let value = Wire.headerValues(headers, name) ?? (name == "host" ? request.host : "")
            block += "\(name):\(collapseSpaces(value))\n"
        }
        return [
            request.method, Wire.encodePath(request.path), canonicalQuery, block, signed.joined(separator: ";"),
            payload,
        ]
        .joined(separator: "\n")
    }

    private func collapseSpaces(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    func sigV4Key(_ scope: [String]) -> [UInt8] {
        Wire.derivedKey("AWS4" + credentials.secretKey, [scope[1], scope[2], scope[3], "aws4_request"])
    }

    // MARK: OSS

    /// The sub-resources OSS V1 signs (case-sensitive), from OSS's API reference.
    static let ossSubResources: Set<String> = [
        "acl", "append", "asyncFetch", "bucketInfo", "callback", "callback-var", "cname", "comp", "continuation-token",
        "cors", "delete", "encryption", "endTime", "inventory", "inventoryId", "lifecycle", "live", "location",
        "logging", "metaQuery", "objectInfo", "objectMeta", "partNumber", "policy", "position", "qos", "qosInfo",
        "referer", "replication", "replicationLocation", "replicationProgress", "requestPayment", "resourceGroup",
        "response-cache-control", "response-content-disposition", "response-content-encoding",
        "response-content-language", "response-content-type", "response-expires", "restore", "security-token",
        "sequential", "startTime", "stat", "status", "style", "styleName", "symlink", "tagging",
        "transferAcceleration", "uploadId", "uploads", "versionId", "versioning", "versions", "vod", "website", "worm",
        "wormExtend", "wormId", "x-oss-ac-forward-allow", "x-oss-ac-source-ip", "x-oss-ac-subnet-mask",
        "x-oss-ac-vpc-id", "x-oss-async-process", "x-oss-process", "x-oss-request-payer", "x-oss-traffic-limit",
        "x-oss-write-get-object-response",
    ]

    /// VERB, Content-MD5, Content-Type, date, the `x-oss-` headers, then `/bucket/key` (not encoded) and the
    /// sub-resources, an empty value signed as the bare name.
    func ossV1StringToSign(_ request: IncomingRequest, dateLine: String) -> String {
        var text =
            [request.method, request.header("Content-MD5") ?? "", request.header("Content-Type") ?? "", dateLine]
            .joined(separator: "\n") + "\n"
        var vendor: [String: [String]] = [:]
        for header in request.headers where header.name.lowercased().hasPrefix("x-oss-") {
            vendor[header.name.lowercased(), default: []].append(header.value)
        }
        for name in vendor.keys.sorted() { text += "\(name):\(vendor[name]!.joined(separator: ","))\n" }
        text += request.bucket.map { "/\($0)/\(request.key ?? "")" } ?? "/"
        let signed = request.query.filter { Self.ossSubResources.contains($0.name) }.sorted { $0.name < $1.name }
        if !signed.isEmpty {
            text +=
                "?"
                + signed.map { item in (item.value ?? "").isEmpty ? item.name : "\(item.name)=\(item.value!)" }
                .joined(separator: "&")
        }
        return text
    }

    /// The V4 canonical request: `/bucket/key` encoded (`/` kept), the query encoded and sorted (an empty value as
    /// the bare name), `x-oss-*`, Content-Type, Content-MD5 and the additional headers, the payload line.
    func ossV4Canonical(
        _ request: IncomingRequest, query: [(name: String, value: String?)], additional: [String], payload: String
    ) -> String {
        let uri = request.bucket.map { Wire.encodePath("/\($0)/\(request.key ?? "")") } ?? "/"
        let canonicalQuery = query.map { (Wire.encode($0.name), Wire.encode($0.value ?? "")) }
            .sorted { $0.0 < $1.0 }
            .map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&")
        var signed: [String: [String]] = [:]
        for header in request.headers {
            let name = header.name.lowercased()
            if name.hasPrefix("x-oss-") || name == "content-type" || name == "content-md5" || additional.contains(name)
            {
                signed[name, default: []].append(Wire.trim(header.value))
            }
        }
        let block = signed.keys.sorted().map { "\($0):\(signed[$0]!.joined(separator: ","))\n" }.joined()
        return [request.method, uri, canonicalQuery, block, additional.sorted().joined(separator: ";"), payload]
            .joined(separator: "\n")
    }

    func ossV4StringToSign(_ canonical: String, ossDate: String, scope: [String]) -> String {
        "OSS4-HMAC-SHA256\n\(ossDate)\n\(scope[1...].joined(separator: "/"))\n\(Wire.sha256Hex(canonical))"
    }

    func ossV4Key(_ scope: [String]) -> [UInt8] {
        Wire.derivedKey("aliyun_v4" + credentials.secretKey, [scope[1], scope[2], scope[3], "aliyun_v4_request"])
    }

    // MARK: Shared checks

    /// `AK/DATE/REGION/SERVICE/REQUEST`: the access key checked, the region checked when the store has one.
    private func credentialScope(_ credential: String?, _ request: IncomingRequest) throws(Refusal) -> [String] {
        let scope = (credential ?? "").split(separator: "/").map(String.init)
        guard scope.count == 5 else { throw malformed("Credential", request) }
        try checkAccessKey(scope[0])
        if let region, region != scope[2] {
            throw Refusal(
                status: 400, code: "AuthorizationHeaderMalformed",
                message: "the region '\(scope[2])' is wrong; expecting '\(region)'")
        }
        return scope
    }

    /// `SCHEME AK:SIGNATURE`.
    private func keyAndSignature(_ authorization: String, _ request: IncomingRequest) throws(Refusal) -> (
        String, String
    ) {
        let credential = authorization.drop { $0 != " " }.dropFirst()
        guard let colon = credential.lastIndex(of: ":") else { throw malformed("Authorization", request) }
        return (String(credential[..<colon]), String(credential[credential.index(after: colon)...]))
    }

    private func expect(_ sent: String, _ computed: String, _ stringToSign: String) throws(Refusal) {
        guard sent == computed else {
            throw Refusal(
                status: 403, code: "SignatureDoesNotMatch",
                message:
                    "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
                stringToSign: stringToSign)
        }
    }

    private func requestTime(_ request: IncomingRequest, vendorHeader: String, now: Int64) throws(Refusal) {
        guard let text = request.header(vendorHeader) ?? request.header("Date"),
            let time = CloudTime.parseRFC1123(text) ?? CloudTime.parseCompact(text)
        else { throw malformed("Date", request) }
        try checkSkew(time, now: now, request)
    }

    private func checkSkew(_ time: Int64?, now: Int64, _ request: IncomingRequest) throws(Refusal) {
        guard let time else { throw malformed("date", request) }
        if abs(time - now) > maxSkewSeconds {
            throw Refusal(
                status: 403, code: "RequestTimeTooSkewed",
                message: "The difference between the request time and the server's time is too large.")
        }
    }

    private func checkExpiry(_ expires: Int64?, now: Int64) throws(Refusal) {
        guard let expires else {
            throw Refusal(status: 400, code: "InvalidArgument", message: "Expires is not a number")
        }
        if expires < now { throw Refusal(status: 403, code: "AccessDenied", message: "Request has expired") }
    }

    private func checkAccessKey(_ accessKey: String) throws(Refusal) {
        guard accessKey == credentials.accessKey else {
            throw Refusal(
                status: 403, code: "InvalidAccessKeyId",
                message: "The access key Id you provided does not exist in our records.")
        }
    }

    private func malformed(_ field: String, _ request: IncomingRequest) -> Refusal {
        Refusal(status: 400, code: "InvalidArgument", message: "missing or malformed \(field)")
    }
}
