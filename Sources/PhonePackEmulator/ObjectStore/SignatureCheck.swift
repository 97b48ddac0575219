import PhonePackCloud
import PhonePackCore

/// Which object store an emulator port plays.
public enum StoreFlavor: String, Sendable {
    case obs, oss

    /// The prefix of this store's own headers.
    var headerPrefix: String { self == .obs ? "x-obs-" : "x-oss-" }
}

/// A request as the signature check sees it: decoded path and query in their original order, headers as sent.
struct IncomingRequest: Sendable {
    var method: String
    var host: String
    var bucket: String?
    var key: String?
    var query: [(name: String, value: String?)]
    var headers: [(name: String, value: String)]
    /// For a signed aws-chunked body: where its chain of chunk signatures starts (set by ``SignatureCheck``).
    var chain: AWSChunkedBody.Chain?

    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }.map { $0.value ?? "" }
    }

    var path: String { "/" + [bucket, key].compactMap { $0 }.joined(separator: "/") }

    /// The request rebuilt for a signer: same method, host, path and query, with only `keeping` headers and
    /// without the query items `dropping`.
    func signable(keeping keep: (String) -> Bool, dropping drop: Set<String> = []) -> SignableRequest {
        SignableRequest(
            method: method, host: host, path: path, query: query.filter { !drop.contains($0.name) },
            headers: headers.filter { keep($0.name.lowercased()) })
    }
}

/// Why a request was refused: the vendor error code, HTTP status, message, and what we expected to be signed.
struct Refusal: Error {
    var status: Int
    var code: String
    var message: String
    var stringToSign: String?
}

/// Checks a request's signature the way the real store does, with the signers whose output the vendors' golden
/// vectors pin down: every scheme the store accepts, in a header or in the query, plus the request time.
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
            try requestTime(request, vendorHeader: scheme == "OBS" ? "x-obs-date" : "x-amz-date", now: now)
            var signable = request.signable { $0 != "authorization" }
            let details = OBSSigner(credentials: credentials, flavor: scheme == "OBS" ? .native : .s3V2)
                .sign(
                    &signable, bucket: request.bucket, key: request.key, pathStyle: true,
                    date: request.header("Date") ?? "")
            try compare(authorization, signable.header("Authorization"), details, request)
        case (.obs, "AWS4-HMAC-SHA256"):
            let fields = try authorizationFields(authorization, request)
            let scope = (fields["Credential"] ?? "").split(separator: "/").map(String.init)
            guard scope.count == 5 else { throw malformed("Credential", request) }
            try checkRegion(scope[2], request)
            guard let amzDate = request.header("x-amz-date") else { throw malformed("x-amz-date", request) }
            try checkSkew(CloudTime.parseCompact(amzDate), now: now, request)
            let signed = Set((fields["SignedHeaders"] ?? "").split(separator: ";").map(String.init))
            var signable = request.signable { signed.contains($0) }
            // The payload line is whatever the client put in x-amz-content-sha256 (S3 requires the header);
            // the body is checked against it when it is a hash (``ObjectStoreService/receive``).
            guard let payloadHash = request.header("x-amz-content-sha256") else {
                throw Refusal(
                    status: 400, code: "InvalidRequest",
                    message: "Missing required header for this request: x-amz-content-sha256")
            }
            let signer = SigV4Signer(credentials: credentials, region: scope[2], service: scope[3])
            let details = signer.sign(&signable, amzDate: amzDate, payloadHash: payloadHash)
            // The fields, not the header's spelling: SDKs write `, ` between them, phonepack `,`.
            try compareValue(fields["Signature"] ?? "", details, request)
            if payloadHash.hasPrefix("STREAMING-AWS4-HMAC-SHA256-PAYLOAD") {
                return AWSChunkedBody.Chain(signer: signer, amzDate: amzDate, previous: details.signature)
            }
        case (.oss, "OSS"):
            try requestTime(request, vendorHeader: "x-oss-date", now: now)
            var signable = request.signable { $0 != "authorization" }
            let details = OSSV1Signer(credentials: credentials)
                .sign(&signable, bucket: request.bucket, key: request.key, date: request.header("Date") ?? "")
            try compare(authorization, signable.header("Authorization"), details, request)
        case (.oss, "OSS4-HMAC-SHA256"):
            let fields = try authorizationFields(authorization, request)
            let scope = (fields["Credential"] ?? "").split(separator: "/").map(String.init)
            guard scope.count == 5 else { throw malformed("Credential", request) }
            try checkRegion(scope[2], request)
            guard let ossDate = request.header("x-oss-date") else { throw malformed("x-oss-date", request) }
            try checkSkew(CloudTime.parseCompact(ossDate), now: now, request)
            let additional = (fields["AdditionalHeaders"] ?? "").split(separator: ";").map(String.init)
            var signable = request.signable { $0 != "authorization" }
            let details = OSSV4Signer(credentials: credentials, region: scope[2])
                .sign(
                    &signable, bucket: request.bucket, key: request.key, ossDate: ossDate, additionalHeaders: additional
                )
            try compareValue(fields["Signature"] ?? "", details, request)
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

    /// Presigned URLs: OBS native (`AccessKeyId`/`Signature`), SigV4 (`X-Amz-*`), OSS V1 and V4.
    private func verifyQuery(_ request: IncomingRequest, now: Int64) throws(Refusal) {
        if flavor == .obs, let signature = request.queryValue("Signature"), let expires = request.queryValue("Expires")
        {
            try checkAccessKey(request.queryValue("AccessKeyId") ?? "")
            try checkExpiry(Int64(expires), now: now)
            var signable = request.signable(keeping: { _ in true }, dropping: ["AccessKeyId", "Expires", "Signature"])
            let details = OBSSigner(credentials: credentials)
                .presign(&signable, bucket: request.bucket, key: request.key, pathStyle: true, expires: Int64(expires)!)
            try compareValue(signature, details, request)
        } else if flavor == .obs, let signature = request.queryValue("X-Amz-Signature"),
            let amzDate = request.queryValue("X-Amz-Date"),
            let expires = request.queryValue("X-Amz-Expires").flatMap({ Int($0) })
        {
            let scope = (request.queryValue("X-Amz-Credential") ?? "").split(separator: "/").map(String.init)
            guard scope.count == 5 else { throw malformed("X-Amz-Credential", request) }
            try checkAccessKey(scope[0])
            try checkExpiry(CloudTime.parseCompact(amzDate).map { $0 + Int64(expires) }, now: now)
            let drop: Set<String> = [
                "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                "X-Amz-Security-Token", "X-Amz-Signature",
            ]
            var signable = request.signable(keeping: { _ in false }, dropping: drop)
            let details = SigV4Signer(credentials: credentials, region: scope[2], service: scope[3])
                .presign(&signable, amzDate: amzDate, expires: expires)
            try compareValue(signature, details, request)
        } else if flavor == .oss, let signature = request.queryValue("Signature"),
            let expires = request.queryValue("Expires")
        {
            try checkAccessKey(request.queryValue("OSSAccessKeyId") ?? "")
            try checkExpiry(Int64(expires), now: now)
            var signable = request.signable(
                keeping: { _ in true }, dropping: ["OSSAccessKeyId", "Expires", "Signature"])
            let details = OSSV1Signer(credentials: credentials)
                .presign(&signable, bucket: request.bucket, key: request.key, expires: Int64(expires)!)
            try compareValue(signature, details, request)
        } else if flavor == .oss, let signature = request.queryValue("x-oss-signature"),
            let ossDate = request.queryValue("x-oss-date"),
            let expires = request.queryValue("x-oss-expires").flatMap({ Int($0) })
        {
            let scope = (request.queryValue("x-oss-credential") ?? "").split(separator: "/").map(String.init)
            guard scope.count == 5 else { throw malformed("x-oss-credential", request) }
            try checkAccessKey(scope[0])
            try checkExpiry(CloudTime.parseCompact(ossDate).map { $0 + Int64(expires) }, now: now)
            let additional = (request.queryValue("x-oss-additional-headers") ?? "").split(separator: ";").map(
                String.init)
            let drop: Set<String> = [
                "x-oss-signature-version", "x-oss-date", "x-oss-expires", "x-oss-credential",
                "x-oss-additional-headers", "x-oss-security-token", "x-oss-signature",
            ]
            var signable = request.signable(keeping: { Set(additional).contains($0) }, dropping: drop)
            let details = OSSV4Signer(credentials: credentials, region: scope[2])
                .presign(
                    &signable, bucket: request.bucket, key: request.key, ossDate: ossDate, expires: expires,
                    additionalHeaders: additional)
            try compareValue(signature, details, request)
        } else {
            throw Refusal(
                status: 403, code: "AccessDenied", message: "Anonymous access is forbidden for this operation")
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

    private func checkRegion(_ signed: String, _ request: IncomingRequest) throws(Refusal) {
        if let region, region != signed {
            throw Refusal(
                status: 400, code: "AuthorizationHeaderMalformed",
                message: "the region '\(signed)' is wrong; expecting '\(region)'")
        }
    }

    /// `Scheme Credential=…,SignedHeaders=…,Signature=…` as a dictionary (commas may be followed by spaces).
    private func authorizationFields(_ authorization: String, _ request: IncomingRequest) throws(Refusal)
        -> [String: String]
    {
        var fields: [String: String] = [:]
        for part in authorization.drop(while: { $0 != " " }).split(separator: ",") {
            let trimmed = part.drop { $0 == " " }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            fields[String(trimmed[..<equals])] = String(trimmed[trimmed.index(after: equals)...])
        }
        guard let credential = fields["Credential"], fields["Signature"] != nil else {
            throw malformed("Authorization", request)
        }
        try checkAccessKey(String(credential.prefix { $0 != "/" }))
        return fields
    }

    private func checkAccessKey(_ accessKey: String) throws(Refusal) {
        guard accessKey == credentials.accessKey else {
            throw Refusal(
                status: 403, code: "InvalidAccessKeyId",
                message: "The access key Id you provided does not exist in our records.")
        }
    }

    private func compare(_ sent: String, _ expected: String?, _ details: SigningDetails, _ request: IncomingRequest)
        throws(Refusal)
    {
        let accessKey = sent.drop { $0 != " " }.dropFirst().prefix { $0 != ":" && $0 != "/" }
        let credentialKey = sent.firstRange(of: "Credential=").map { sent[$0.upperBound...].prefix { $0 != "/" } }
        try checkAccessKey(String(credentialKey ?? accessKey))
        guard sent == expected else { throw mismatch(details) }
    }

    private func compareValue(_ sent: String, _ details: SigningDetails, _ request: IncomingRequest) throws(Refusal) {
        guard sent == details.signature else { throw mismatch(details) }
    }

    private func mismatch(_ details: SigningDetails) -> Refusal {
        Refusal(
            status: 403, code: "SignatureDoesNotMatch",
            message:
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            stringToSign: details.stringToSign)
    }

    private func malformed(_ field: String, _ request: IncomingRequest) -> Refusal {
        Refusal(status: 400, code: "InvalidArgument", message: "missing or malformed \(field)")
    }
}
