import PhonePackCore

/// Where and how to reach an object store: the endpoint, the addressing style and the signature scheme.
public struct ObjectStoreEndpoint: Sendable {
    public enum Signature: String, Sendable, CaseIterable {
        /// OBS native (`OBS AK:sig`).
        case obs
        /// AWS SigV4 with UNSIGNED-PAYLOAD (S3; OBS accepts it too).
        case v4
        /// OSS V4 (`OSS4-HMAC-SHA256`).
        case oss4
        /// OSS V1 (`OSS AK:sig`).
        case oss1
    }

    public var scheme: String
    /// host[:port] of the service, without a bucket.
    public var host: String
    public var region: String
    public var pathStyle: Bool
    public var signature: Signature

    /// Resolves the endpoint for `url`: `--endpoint`, else `PHONEPACK_<STORE>_ENDPOINT`, else the profile's,
    /// else the public endpoint of the region. IP and `localhost` endpoints are addressed path-style.
    /// Plain `http://` is accepted for loopback only, unless `allowInsecureHTTP`.
    public static func resolve(
        for url: ObjectURL, endpoint explicit: String?, region: String?, signature: Signature?,
        environment: [String: String], config: CloudConfig, profile: String, allowInsecureHTTP: Bool
    ) throws(PhonePackError) -> ObjectStoreEndpoint {
        let store = url.scheme.rawValue
        let region = region ?? config.value("region", profile: profile) ?? environment["PHONEPACK_REGION"]
        let configured =
            explicit ?? environment["PHONEPACK_\(store.uppercased())_ENDPOINT"]
            ?? config.value("\(store)_endpoint", profile: profile)
        var text: String
        if let configured {
            text = configured
        } else {
            guard let region else {
                throw PhonePackError(
                    .invalidInput, operation: "find endpoint", path: url.description,
                    message: "no region or endpoint: give --region (e.g. cn-north-4) or --endpoint URL")
            }
            text =
                switch url.scheme {
                case .obs: "https://obs.\(region).myhuaweicloud.com"
                case .oss: "https://oss-\(region).aliyuncs.com"
                case .s3: "https://s3.\(region).amazonaws.com"
                }
        }
        if !text.contains("://") { text = "https://" + text }
        let parts = text.split(separator: "://", maxSplits: 1).map(String.init)
        let scheme = parts[0].lowercased()
        let host = String(parts[1].prefix { $0 != "/" })
        guard scheme == "https" || scheme == "http", !host.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "parse endpoint", path: text, message: "is not an http(s) URL")
        }
        let hostName = host.hasPrefix("[") ? String(host.prefix { $0 != "]" }) + "]" : String(host.prefix { $0 != ":" })
        let loopback = hostName == "localhost" || hostName.hasPrefix("127.") || hostName == "[::1]"
        if scheme == "http" && !loopback && !allowInsecureHTTP {
            throw PhonePackError(
                .invalidInput, operation: "check endpoint", path: text,
                message:
                    "plain http sends your requests unencrypted; use https, or --allow-insecure-http if you mean it")
        }
        let isIP = hostName.hasPrefix("[") || hostName.split(separator: ".").allSatisfy { UInt8($0) != nil }
        let defaultSignature: Signature =
            switch url.scheme {
            case .obs: .obs
            case .oss: .oss4
            case .s3: .v4
            }
        return ObjectStoreEndpoint(
            scheme: scheme, host: host, region: region ?? "us-east-1", pathStyle: isIP || hostName == "localhost",
            signature: signature ?? defaultSignature)
    }
}

/// What `stat` shows of an object.
public struct ObjectInfo: Sendable, Codable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
    public var lastModified: String?
    public var contentType: String?
    /// `x-obs-meta-*` / `x-oss-meta-*` / `x-amz-meta-*`, without the prefix.
    public var metadata: [String: String] = [:]
}

/// Single-request operations on one bucket of OBS, OSS or any S3 endpoint, signed with the endpoint's scheme.
public final class ObjectStoreClient {
    public let endpoint: ObjectStoreEndpoint
    public let credentials: Credentials
    public let client: CloudClient
    public let bucket: String

    public init(bucket: String, endpoint: ObjectStoreEndpoint, credentials: Credentials, client: CloudClient) {
        self.bucket = bucket
        self.endpoint = endpoint
        self.credentials = credentials
        self.client = client
    }

    /// The request for `key` ("" for the bucket), addressed path-style or virtual-hosted.
    func request(_ method: String, key: String, query: [(name: String, value: String?)] = []) -> SignableRequest {
        if endpoint.pathStyle {
            return SignableRequest(method: method, host: endpoint.host, path: "/\(bucket)/\(key)", query: query)
        }
        return SignableRequest(method: method, host: "\(bucket).\(endpoint.host)", path: "/\(key)", query: query)
    }

    /// Signs `request` for the Unix time `time` with the endpoint's scheme.
    func sign(_ request: inout SignableRequest, key: String, time: Int64) -> SigningDetails {
        let objectKey: String? = key.isEmpty ? nil : key
        switch endpoint.signature {
        case .obs:
            return OBSSigner(credentials: credentials)
                .sign(
                    &request, bucket: bucket, key: objectKey, pathStyle: endpoint.pathStyle,
                    date: CloudTime.rfc1123(time))
        case .v4:
            return SigV4Signer(credentials: credentials, region: endpoint.region)
                .sign(&request, amzDate: CloudTime.compact(time))
        case .oss4:
            return OSSV4Signer(credentials: credentials, region: endpoint.region)
                .sign(&request, bucket: bucket, key: objectKey, ossDate: CloudTime.compact(time))
        case .oss1:
            return OSSV1Signer(credentials: credentials)
                .sign(&request, bucket: bucket, key: objectKey, date: CloudTime.rfc1123(time))
        }
    }

    func send(
        _ request: SignableRequest, key: String, body: HTTPBody = .none, idempotent: Bool = true,
        output: OpenFile? = nil
    ) throws(PhonePackError) -> HTTPResponse {
        try client.send(request, scheme: endpoint.scheme, body: body, idempotent: idempotent, output: output) {
            self.sign(&$0, key: key, time: $1)
        }
    }

    var metaPrefix: String {
        switch endpoint.signature {
        case .obs: "x-obs-meta-"
        case .oss4, .oss1: "x-oss-meta-"
        case .v4: "x-amz-meta-"
        }
    }

    public func head(_ key: String) throws(PhonePackError) -> ObjectInfo {
        let response: HTTPResponse
        do {
            response = try send(request("HEAD", key: key), key: key)
        } catch  where error.vendorCode == nil && error.message.contains("answered 404") {
            var error = error
            error.vendorCode = "NoSuchKey"
            error.message += "; no object with that key (list the prefix with phonepack ls)"
            throw error
        }
        var info = ObjectInfo(
            key: key, size: Int64(response.header("Content-Length") ?? "") ?? 0,
            etag: response.header("ETag"), lastModified: response.header("Last-Modified"),
            contentType: response.header("Content-Type"))
        for header in response.headers where header.name.lowercased().hasPrefix(metaPrefix) {
            info.metadata[String(header.name.lowercased().dropFirst(metaPrefix.count))] = header.value
        }
        return info
    }

    /// Stores `body` under `key` with Content-MD5 (except for a producer), and checks the returned ETag against it.
    @discardableResult
    public func put(
        _ key: String, body: HTTPBody, contentType: String = "application/octet-stream",
        metadata: [String: String] = [:]
    ) throws(PhonePackError) -> String? {
        let md5 = try Self.md5(of: body)
        var request = request("PUT", key: key)
        if let md5 { request.setHeader("Content-MD5", md5.base64String) }
        request.setHeader("Content-Type", contentType)
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { request.setHeader(metaPrefix + name, value) }
        let response = try send(request, key: key, body: body)
        let etag = response.header("ETag")
        if let etag, let md5, etag.count == 34, etag.dropFirst().dropLast().lowercased() != md5.hexString {
            throw PhonePackError(
                .service, operation: "PUT", path: "\(bucket)/\(key)",
                message: "the stored object's ETag \(etag) is not the MD5 of what was sent (\(md5.hexString))")
        }
        return etag
    }

    public func get(_ key: String, to output: OpenFile) throws(PhonePackError) {
        _ = try send(request("GET", key: key), key: key, output: output)
    }

    public func delete(_ key: String) throws(PhonePackError) {
        _ = try send(request("DELETE", key: key), key: key)
    }

    /// Every object under `prefix` (one level with `delimiter: "/"`), following continuation pages.
    public func list(prefix: String, delimiter: String? = nil) throws(PhonePackError)
        -> (objects: [ObjectInfo], prefixes: [String])
    {
        var objects: [ObjectInfo] = []
        var prefixes: [String] = []
        var marker: String?
        repeat {
            var query: [(name: String, value: String?)] = []
            let useV2 = endpoint.signature != .obs
            if useV2 { query.append(("list-type", "2")) }
            query.append(("prefix", prefix))
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let marker { query.append((useV2 ? "continuation-token" : "marker", marker)) }
            let text = try send(request("GET", key: "", query: query), key: "").bodyText
            for block in text.split(separator: "<Contents>").dropFirst() {
                let entry = String(block)
                guard let key = ServiceError.xmlValue("Key", in: entry) else { continue }
                objects.append(
                    ObjectInfo(
                        key: key, size: Int64(ServiceError.xmlValue("Size", in: entry) ?? "") ?? 0,
                        etag: ServiceError.xmlValue("ETag", in: entry),
                        lastModified: ServiceError.xmlValue("LastModified", in: entry)))
            }
            for block in text.split(separator: "<CommonPrefixes>").dropFirst() {
                if let value = ServiceError.xmlValue("Prefix", in: String(block)) { prefixes.append(value) }
            }
            let truncated = ServiceError.xmlValue("IsTruncated", in: text) == "true"
            marker =
                truncated
                ? (ServiceError.xmlValue("NextContinuationToken", in: text) ?? ServiceError.xmlValue(
                    "NextMarker", in: text)
                    ?? objects.last?.key) : nil
        } while marker != nil
        return (objects, prefixes)
    }

    /// A URL anyone can use for `expires` seconds, signed with the endpoint's scheme (native or V4).
    public func presign(_ key: String, method: String = "GET", expires: Int, now: Int64 = CloudTime.now()) -> String {
        var request = request(method, key: key)
        switch endpoint.signature {
        case .obs:
            OBSSigner(credentials: credentials)
                .presign(
                    &request, bucket: bucket, key: key, pathStyle: endpoint.pathStyle, expires: now + Int64(expires))
        case .v4:
            SigV4Signer(credentials: credentials, region: endpoint.region)
                .presign(&request, amzDate: CloudTime.compact(now), expires: expires)
        case .oss4:
            OSSV4Signer(credentials: credentials, region: endpoint.region)
                .presign(
                    &request, bucket: bucket, key: key, ossDate: CloudTime.compact(now), expires: expires,
                    additionalHeaders: ["host"])
        case .oss1:
            OSSV1Signer(credentials: credentials)
                .presign(&request, bucket: bucket, key: key, expires: now + Int64(expires))
        }
        return "\(endpoint.scheme)://\(request.host)\(request.encodedPath)?\(request.encodedQuery)"
    }

    /// The body's MD5, or `nil` for a producer (its bytes do not exist yet).
    static func md5(of body: HTTPBody) throws(PhonePackError) -> [UInt8]? {
        switch body {
        case .producer: return nil
        case .none: return Digest.hash(.md5, [])
        case .bytes(let bytes): return Digest.hash(.md5, bytes)
        case .fileRange(let path, let offset, let length):
            let file = try OpenFile.forReading(path)
            var digest = Digest(.md5)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var done: Int64 = 0
            while done < length {
                let n = try file.read(into: &buffer, fromAbsoluteOffset: offset + done)
                guard n > 0 else { break }
                let take = Int(min(Int64(n), length - done))
                buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<take])) }
                done += Int64(take)
            }
            return digest.finalize()
        }
    }
}
