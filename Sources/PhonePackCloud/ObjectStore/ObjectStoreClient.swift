import PhonePackCore

/// What `stat` shows of an object.
public struct ObjectInfo: Sendable, Codable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
    /// ISO 8601 UTC, e.g. `2026-12-01T23:30:04Z`, whether the store sent RFC 1123 (HEAD) or milliseconds (lists).
    public var lastModified: String?
    public var contentType: String?
    /// OSS's `x-oss-hash-crc64ecma`: CRC-64/XZ of the whole object.
    public var crc64: UInt64?
    /// `x-obs-meta-*` / `x-oss-meta-*` / `x-amz-meta-*`, without the prefix.
    public var metadata: [String: String] = [:]

    enum CodingKeys: String, CodingKey { case key, size, etag, lastModified, contentType, crc64, metadata }

    public init(
        key: String, size: Int64, etag: String?, lastModified: String?, contentType: String? = nil,
        crc64: UInt64? = nil, metadata: [String: String] = [:]
    ) {
        (self.key, self.size, self.etag, self.lastModified) = (key, size, etag, lastModified)
        (self.contentType, self.crc64, self.metadata) = (contentType, crc64, metadata)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        size = try c.decode(Int64.self, forKey: .size)
        etag = ETagCoding.decode(try c.decodeIfPresent(String.self, forKey: .etag))
        lastModified = try c.decodeIfPresent(String.self, forKey: .lastModified)
        contentType = try c.decodeIfPresent(String.self, forKey: .contentType)
        crc64 = try c.decodeIfPresent(UInt64.self, forKey: .crc64)
        metadata = try c.decodeIfPresent([String: String].self, forKey: .metadata) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(size, forKey: .size)
        try c.encodeIfPresent(ETagCoding.encode(etag), forKey: .etag)
        try c.encodeIfPresent(lastModified, forKey: .lastModified)
        try c.encodeIfPresent(contentType, forKey: .contentType)
        try c.encodeIfPresent(crc64, forKey: .crc64)
        try c.encode(metadata, forKey: .metadata)
    }
}

/// ETags in JSON are the tag itself, without the quotes HTTP puts around it (`"9b2c…"` → `9b2c…`); read back, the
/// quotes are restored, as requests (If-Match) want them.
public enum ETagCoding {
    public static func encode(_ etag: String?) -> String? {
        guard let etag, etag.count >= 2, etag.hasPrefix("\""), etag.hasSuffix("\"") else { return etag }
        return String(etag.dropFirst().dropLast())
    }

    public static func decode(_ etag: String?) -> String? {
        guard let etag, !etag.contains("\"") else { return etag }
        return "\"" + etag + "\""
    }
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

    /// The same bucket and credentials on a connection of its own (one per worker thread).
    public func sibling() -> ObjectStoreClient {
        ObjectStoreClient(bucket: bucket, endpoint: endpoint, credentials: credentials, client: client.sibling())
    }

    /// The request for `key` ("" for the bucket), addressed path-style or virtual-hosted. Path-style, the bucket
    /// itself is sent as each vendor's SDK sends it: `/bucket` for OBS and S3 (the resource OBS signs; `/bucket/`
    /// is another resource to a server that canonicalises what is on the wire), `/bucket/` for OSS (oss2), which
    /// signs `/bucket/` either way. `Fixtures/sdk-vectors.json` pins every shape.
    package func request(_ method: String, key: String, query: [(name: String, value: String?)] = []) -> SignableRequest
    {
        if endpoint.pathStyle {
            let path = key.isEmpty && endpoint.store != .oss ? "/\(bucket)" : "/\(bucket)/\(key)"
            return SignableRequest(method: method, host: endpoint.host, path: path, query: query)
        }
        return SignableRequest(method: method, host: "\(bucket).\(endpoint.host)", path: "/\(key)", query: query)
    }

    /// `obs://bucket/key` (or oss://, s3://): how reports and messages name an object.
    public func url(_ key: String) -> String { "\(endpoint.store.rawValue)://\(bucket)/\(key)" }

    /// Signs `request` for the Unix time `time` with the endpoint's scheme.
    package func sign(_ request: inout SignableRequest, key: String, time: Int64) -> SigningDetails {
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
        sink: BodySink? = nil, progress: ((Int64, Int64) -> Bool)? = nil
    ) throws(PhonePackError) -> ServiceResponse {
        do {
            return try client.send(
                request, scheme: endpoint.scheme, body: body, idempotent: idempotent, sink: sink, progress: progress
            ) {
                self.sign(&$0, key: key, time: $1)
            }
        } catch {
            // Named as the user typed it (obs://bucket/key), with the host it was sent to.
            var error = error
            if error.path?.hasPrefix("http") == true {
                let host = "\(endpoint.scheme)://\(request.host)"
                // Nothing was sent when libcurl itself is missing.
                if error.code != .unsupported && !error.message.contains(host) {
                    error.message += " (sent to \(host))"
                }
                error.path = url(key)
            }
            throw error
        }
    }

    /// Whether the store reports CRC-64s, so computing them is worth a pass over the bytes.
    var checksCRC64: Bool { endpoint.store == .oss }

    var metaPrefix: String { vendorPrefix + "meta-" }

    public func head(_ key: String) throws(PhonePackError) -> ObjectInfo {
        let response: ServiceResponse
        do {
            response = try send(request("HEAD", key: key), key: key)
        } catch  where error.vendorCode == nil && error.httpStatus == 404 {
            // A HEAD answer has no body to say which is missing: the bucket is asked about itself.
            var error = error
            if bucketIsMissing() {
                error.vendorCode = "NoSuchBucket"
                error.message +=
                    "; the bucket \(bucket) does not exist at this endpoint (check the name, --region and --endpoint; phonepack ls \(endpoint.store.rawValue):// lists yours)"
            } else {
                error.vendorCode = "NoSuchKey"
                error.message += "; no object with that key (list the prefix with phonepack ls)"
            }
            throw error
        }
        var info = ObjectInfo(
            key: key, size: Int64(response.header("Content-Length") ?? "") ?? 0,
            etag: response.header("ETag"), lastModified: CloudTime.normalised(response.header("Last-Modified")),
            contentType: response.header("Content-Type"),
            crc64: response.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) })
        for header in response.headers where header.name.lowercased().hasPrefix(metaPrefix) {
            info.metadata[String(header.name.lowercased().dropFirst(metaPrefix.count))] = header.value
        }
        return info
    }

    /// Stores `body` under `key` with Content-MD5 (except for a producer), and checks the returned ETag and, on
    /// OSS, CRC-64 against what was sent. `properties` (``checked(_:)``) and phonepack's own `metadata` go with it;
    /// with `noClobber`, an object already there is refused (``isRefusedOverwrite``), never replaced.
    @discardableResult
    public func put(
        _ key: String, body: HTTPBody, properties: ObjectProperties = ObjectProperties(),
        metadata: [String: String] = [:], md5: [UInt8]? = nil, progress: ((Int64, Int64) -> Bool)? = nil
    ) throws(PhonePackError) -> (etag: String?, crc64: UInt64?) {
        // A known MD5 spares a pass over the body, unless the store also wants a CRC-64 (OSS).
        let sums: (md5: [UInt8], crc64: UInt64?)?
        if let md5, !checksCRC64 { sums = (md5, nil) } else { sums = try Self.checksums(of: body, crc64: checksCRC64) }
        if properties.noClobber && endpoint.store == .obs && (try? head(key)) != nil { throw Self.exists(url(key)) }
        var request = request("PUT", key: key)
        if let sums { request.setHeader("Content-MD5", sums.md5.base64String) }
        apply(properties, extra: metadata, to: &request)
        let response: ServiceResponse
        do {
            response = try send(request, key: key, body: body, progress: progress)
        } catch  where properties.noClobber && error.isRefusedOverwrite {
            throw Self.exists(url(key), error)
        }
        try checkStored(response, md5: sums?.md5.hexString, crc64: sums?.crc64, what: "\(bucket)/\(key)")
        return (response.header("ETag"), sums?.crc64)
    }

    /// Stores `KEY.sha256` (`HEX  NAME`, as `build` writes it locally) beside `key`.
    func putSidecar(_ key: String, _ line: [UInt8]) throws(PhonePackError) {
        var text = ObjectProperties()
        text.contentType = "text/plain"
        try put(key + ".sha256", body: .bytes(line), properties: text)
    }

    /// Reads `key`, or the byte range `range` of it, into `sink`. With `ifMatch`, the server refuses (412) if the
    /// object changed since its ETag was read, so parallel ranges never mix two versions.
    @discardableResult
    public func get(
        _ key: String, range: ClosedRange<Int64>? = nil, ifMatch: String? = nil, sink: @escaping BodySink,
        progress: ((Int64, Int64) -> Bool)? = nil
    ) throws(PhonePackError) -> ServiceResponse {
        var request = request("GET", key: key)
        if let range { request.setHeader("Range", "bytes=\(range.lowerBound)-\(range.upperBound)") }
        if let ifMatch { request.setHeader("If-Match", ifMatch) }
        let response = try send(request, key: key, sink: sink, progress: progress)
        if let range, response.status != 206 {
            throw PhonePackError(
                .service, operation: "GET range", path: "\(bucket)/\(key)",
                message:
                    "asked for bytes \(range.lowerBound)-\(range.upperBound) and got status \(response.status), not 206",
                cause: RangeNotHonored(status: response.status))
        }
        return response
    }

    /// Whether the store says this bucket does not exist (HEAD of the bucket answers 404); `false` when it exists
    /// or cannot tell (403: the caller may not look).
    func bucketIsMissing() -> Bool {
        do {
            _ = try send(request("HEAD", key: ""), key: "")
            return false
        } catch {
            return error.httpStatus == 404
        }
    }

    /// A small object's bytes, refused past `limit` (it comes from a store: its size is not ours to trust).
    public func getBytes(_ key: String, limit: Int) throws(PhonePackError) -> [UInt8] {
        final class Collected { var bytes: [UInt8] = [] }
        let collected = Collected()
        let name = url(key)
        try get(key) { (bytes, _) throws(PhonePackError) in
            guard collected.bytes.count + bytes.count <= limit else {
                throw PhonePackError(
                    .invalidInput, operation: "read", path: name, message: "is larger than \(limit) bytes")
            }
            collected.bytes += bytes
        }
        return collected.bytes
    }

    /// The SHA-256 in the `KEY.sha256` object beside `key` (`HEX  NAME`, as `build` writes it), or `nil`.
    func sidecarSHA256(of key: String) throws(PhonePackError) -> String? {
        let response: ServiceResponse
        do {
            response = try send(request("GET", key: key + ".sha256"), key: key + ".sha256")
        } catch  where error.isNotFound || error.httpStatus == 403 {
            // S3 and OBS answer 403 for a missing key when the caller may not list the bucket: absent either way.
            return nil
        }
        return ChecksumLine.sha256(in: response.body)
    }

    /// Reads `key` into `output`, from its current position.
    public func get(_ key: String, to output: OpenFile) throws(PhonePackError) {
        try get(key) { (bytes, position) throws(PhonePackError) in
            try output.writeAll(bytes, atAbsoluteOffset: position)
        }
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
        var pages = pages(prefix: prefix, delimiter: delimiter)
        while let page = try pages.next() {
            objects += page.objects
            prefixes += page.prefixes
        }
        return (objects, prefixes)
    }

    /// The listing of `prefix` one page at a time, for callers that must not hold it whole.
    public func pages(prefix: String, delimiter: String? = nil) -> ObjectPages {
        ObjectPages(store: self, prefix: prefix, delimiter: delimiter)
    }

    /// The listing of `prefix` one object at a time, in key order (UTF-8 bytes, as every store lists): a key that
    /// does not come after the one before it is an error, so a merge with a local walk cannot go wrong quietly.
    public func objects(prefix: String) -> ObjectStream { ObjectStream(pages: pages(prefix: prefix)) }

    /// The XML document of an answer about `key` (or the bucket, for `""`).
    func xml(_ response: ServiceResponse, key: String) throws(PhonePackError) -> XMLNode {
        try XMLReader.parse(response.body, source: "\(endpoint.scheme)://\(endpoint.host) answer for \(bucket)/\(key)")
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

    /// The body's MD5 and CRC-64 in one pass, or `nil` for a producer (its bytes do not exist yet).
    static func checksums(of body: HTTPBody, crc64: Bool) throws(PhonePackError) -> (md5: [UInt8], crc64: UInt64?)? {
        switch body {
        case .producer: return nil
        case .none: return (Digest.hash(.md5, []), crc64 ? 0 : nil)
        case .bytes(let bytes): return (Digest.hash(.md5, bytes), crc64 ? CRC64.checksum(bytes) : nil)
        case .file(let file, let offset, let length):
            let sums = try RangeDigests.compute(file: file, offset: offset, length: length, md5: true, crc64: crc64)
            return (sums.md5!, sums.crc64)
        }
    }
}

/// One listing request after another, following the continuation marker (see ``ObjectStoreClient/pages(prefix:delimiter:)``).
public struct ObjectPages {
    let store: ObjectStoreClient
    let prefix: String
    let delimiter: String?
    private var marker: String?
    private var done = false
    private var guardPages: PageGuard

    init(store: ObjectStoreClient, prefix: String, delimiter: String?) {
        self.store = store
        self.prefix = prefix
        self.delimiter = delimiter
        guardPages = PageGuard("list \(store.bucket.terminalSafe)/\(prefix.terminalSafe)")
    }

    /// The next page, or nil after the last.
    public mutating func next() throws(PhonePackError) -> (objects: [ObjectInfo], prefixes: [String])? {
        if done { return nil }
        var query: [(name: String, value: String?)] = []
        let useV2 = store.endpoint.signature != .obs
        if useV2 { query.append(("list-type", "2")) }
        query.append(("prefix", prefix))
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let marker { query.append((useV2 ? "continuation-token" : "marker", marker)) }
        // Keys may hold characters XML 1.0 cannot carry (control characters): ask for them URL-encoded, and decode
        // only when the answer says it did so (a store that ignores the parameter sends them as they are).
        query.append(("encoding-type", "url"))
        let answer = try store.xml(store.send(store.request("GET", key: "", query: query), key: ""), key: "")
        let encoded = answer["EncodingType"]?.lowercased() == "url"
        // Keys become names exactly (ArchiveName.fromKey): one that holds the scalars phonepack uses for raw bytes
        // is escaped, so it can stand for no other name.
        let name = { (text: String) in
            ArchiveName.fromKey(encoded ? PercentEncoding.decode(text, plusIsSpace: true) : text)
        }
        var objects: [ObjectInfo] = []
        for entry in answer.all("Contents") {
            guard let key = entry["Key"].map(name) else { continue }
            objects.append(
                ObjectInfo(
                    key: key, size: Int64(entry["Size"] ?? "") ?? 0, etag: entry["ETag"],
                    lastModified: CloudTime.normalised(entry["LastModified"])))
        }
        let prefixes = answer.all("CommonPrefixes").compactMap { $0["Prefix"].map(name) }
        // V1's NextMarker is a key (encoded with the rest); V2's continuation token is opaque and never encoded.
        marker = try guardPages.next(
            answer["IsTruncated"] == "true"
                ? (answer["NextContinuationToken"] ?? answer["NextMarker"].map(name) ?? objects.last?.key) : nil,
            items: objects.count + prefixes.count)
        done = marker == nil
        return (objects, prefixes)
    }
}

/// A listing one object at a time, checked to be in key order (see ``ObjectStoreClient/objects(prefix:)``).
public struct ObjectStream {
    private var pages: ObjectPages
    private var page: [ObjectInfo] = []
    private var index = 0
    private var last: String?

    init(pages: ObjectPages) { self.pages = pages }

    public mutating func next() throws(PhonePackError) -> ObjectInfo? {
        while index == page.count {
            guard let next = try pages.next() else { return nil }
            page = next.objects
            index = 0
        }
        let object = page[index]
        index += 1
        if let last, !last.utf8.lexicographicallyPrecedes(object.key.utf8) {
            throw PhonePackError(
                .service, operation: "list \(pages.store.bucket.terminalSafe)/\(pages.prefix.terminalSafe)",
                path: nil,
                message:
                    "the listing is not in key order (\(object.key.terminalSafe) after \(last.terminalSafe)); a store lists keys sorted, so phonepack stopped rather than compare against it"
            )
        }
        last = object.key
        return object
    }
}
