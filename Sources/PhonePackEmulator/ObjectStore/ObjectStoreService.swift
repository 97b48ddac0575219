import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import PhonePackCloud
import PhonePackCore

/// One emulated object store (OBS or OSS) over HTTP: path-style buckets, the S3-shaped object and multipart
/// operations, each vendor's error XML and request-id header, signature and clock checks, Content-MD5 checks
/// (nothing is stored on a mismatch), and injected faults.
public struct ObjectStoreService: HTTPResponder {
    public typealias Context = BasicRequestContext

    public let storage: ObjectStorage
    let signature: SignatureCheck
    let faults: FaultInjector
    let log: RequestLog
    /// Smallest size of every part but the last, enforced at Complete (OBS and OSS: 100 KiB).
    let minimumPartSize: Int64

    public init(
        storage: ObjectStorage, credentials: Credentials, region: String?, faults: FaultInjector, log: RequestLog,
        minimumPartSize: Int64 = 100 << 10
    ) {
        self.storage = storage
        signature = SignatureCheck(flavor: storage.flavor, credentials: credentials, region: region)
        self.faults = faults
        self.log = log
        self.minimumPartSize = minimumPartSize
    }

    var flavor: StoreFlavor { storage.flavor }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let incoming = Self.incoming(request)
        let requestID = (0..<3).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16) }.joined()
            .uppercased()
        var response: Response
        var fault: FaultKind?
        do throws(Refusal) {
            fault = faults.next()
            if fault == .slow {
                try? await Task.sleep(for: .seconds(2))
            } else if let fault {
                response = try await inject(fault, request: request, incoming: incoming, requestID: requestID)
                log.record(store: flavor.rawValue, incoming, status: Int(response.status.code), note: fault.rawValue)
                return response
            }
            try signature.verify(incoming, now: CloudTime.now())
            response = try await handle(incoming, body: request.body)
        } catch {
            response = errorResponse(error, incoming: incoming, requestID: requestID)
            // Unread body bytes would confuse the next request on this connection.
            response.headers[.connection] = "close"
        }
        response.headers[HTTPField.Name(flavor.headerPrefix + "request-id")!] = requestID
        log.record(store: flavor.rawValue, incoming, status: Int(response.status.code), note: fault?.rawValue)
        return incoming.method == "HEAD" ? Response(status: response.status, headers: response.headers) : response
    }

    // MARK: Routing

    private func handle(_ request: IncomingRequest, body: RequestBody) async throws(Refusal) -> Response {
        guard let bucket = request.bucket else {
            throw Refusal(status: 405, code: "MethodNotAllowed", message: "listing buckets is not emulated")
        }
        guard let key = request.key, !key.isEmpty else {
            switch request.method {
            case "PUT":
                do {
                    try storage.createBucket(bucket)
                } catch {
                    throw Refusal(status: 500, code: "InternalError", message: "\(error)")
                }
                return Response(status: .ok)
            case "GET":
                try requireBucket(bucket)
                if request.queryValue("uploads") != nil { return listUploads(bucket, request) }
                return listObjects(bucket, request)
            case "HEAD":
                try requireBucket(bucket)
                return Response(status: .ok)
            default:
                throw Refusal(status: 405, code: "MethodNotAllowed", message: "\(request.method) on a bucket")
            }
        }
        try requireBucket(bucket)
        let uploadID = request.queryValue("uploadId")
        switch (request.method, uploadID) {
        case ("PUT", let id?): return try await uploadPart(bucket, key, id, request, body)
        case ("PUT", nil): return try await putObject(bucket, key, request, body)
        case ("POST", nil) where request.queryValue("uploads") != nil: return try initiate(bucket, key, request)
        case ("POST", let id?): return try await complete(bucket, key, id, body)
        case ("DELETE", let id?):
            _ = try requireUpload(bucket, id)
            storage.removeUpload(bucket: bucket, id: id)
            return Response(status: .noContent)
        case ("GET", let id?): return try listParts(bucket, key, id, request)
        case ("GET", nil), ("HEAD", nil): return try getObject(bucket, key, request)
        case ("DELETE", nil):
            storage.delete(bucket: bucket, key: key)
            return Response(status: .noContent)
        default:
            throw Refusal(status: 405, code: "MethodNotAllowed", message: "\(request.method) is not emulated here")
        }
    }

    func requireBucket(_ bucket: String) throws(Refusal) {
        guard storage.bucketExists(bucket) else {
            throw Refusal(status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist")
        }
    }

    func requireUpload(_ bucket: String, _ id: String) throws(Refusal) -> UploadRecord {
        guard let record = storage.upload(bucket: bucket, id: id) else {
            throw Refusal(
                status: 404, code: "NoSuchUpload",
                message:
                    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
            )
        }
        return record
    }

    // MARK: Objects

    private func putObject(_ bucket: String, _ key: String, _ request: IncomingRequest, _ body: RequestBody)
        async throws(Refusal) -> Response
    {
        let received = try await receive(body, bucket: bucket, request: request)
        let metadata = request.userMetadata
        let object = StoredObject(
            key: key, size: received.size, etag: storage.formatETag(received.md5), crc64: received.crc64,
            contentType: request.header("Content-Type") ?? "application/octet-stream", metadata: metadata,
            lastModified: CloudTime.now())
        do {
            try storage.commit(temporary: received.path, bucket: bucket, object: object)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        return Response(status: .ok, headers: objectHeaders(object, metadata: false))
    }

    private func getObject(_ bucket: String, _ key: String, _ request: IncomingRequest) throws(Refusal) -> Response {
        guard let object = storage.object(bucket: bucket, key: key),
            let path = storage.dataPath(bucket: bucket, key: key)
        else {
            throw Refusal(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
        }
        if let ifMatch = request.header("If-Match"),
            ifMatch.replacing("\"", with: "").lowercased() != object.etag.lowercased()
        {
            throw Refusal(
                status: 412, code: "PreconditionFailed",
                message: "At least one of the pre-conditions you specified did not hold")
        }
        var headers = objectHeaders(object, metadata: true)
        var start: Int64 = 0
        var length = object.size
        var status: HTTPResponse.Status = .ok
        if let range = request.header("Range"), let parsed = Self.parseRange(range, size: object.size) {
            guard let bounds = parsed else {
                throw Refusal(status: 416, code: "InvalidRange", message: "The requested range is not satisfiable")
            }
            start = bounds.lowerBound
            length = bounds.upperBound - bounds.lowerBound + 1
            status = .partialContent
            headers[.contentRange] = "bytes \(bounds.lowerBound)-\(bounds.upperBound)/\(object.size)"
        }
        headers[.contentLength] = String(length)
        if request.method == "HEAD" { return Response(status: status, headers: headers) }
        let file: OpenFile
        do {
            file = try OpenFile.forReading(path)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        let handle = UncheckedSendable(file)
        let (first, count) = (start, length)
        let body = ResponseBody(contentLength: Int(length)) { writer in
            var offset = first
            let end = first + count
            var chunk = [UInt8](repeating: 0, count: 256 << 10)
            while offset < end {
                let want = Int(min(Int64(chunk.count), end - offset))
                let n = try chunk.withUnsafeMutableBytes { raw in
                    try handle.value.read(
                        fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
                }
                guard n > 0 else { break }
                try await writer.write(ByteBuffer(bytes: chunk[0..<n]))
                offset += Int64(n)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n`: `nil` when the header is not a single byte range (served whole, as
    /// the services do), `.some(nil)` when it cannot be satisfied.
    static func parseRange(_ header: String, size: Int64) -> ClosedRange<Int64>?? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard spec.count == 2 else { return nil }
        if spec[0].isEmpty {
            guard let suffix = Int64(spec[1]), suffix > 0 else { return nil }
            return .some(size == 0 ? nil : max(0, size - suffix)...(size - 1))
        }
        guard let first = Int64(spec[0]), first >= 0 else { return nil }
        var last = size - 1
        if !spec[1].isEmpty {
            // A last position before the first is not a valid range: ignored, as RFC 9110 §14.2 says.
            guard let given = Int64(spec[1]), given >= first else { return nil }
            last = min(given, size - 1)
        }
        guard first < size else { return .some(nil) }
        return .some(first...last)
    }

    private func objectHeaders(_ object: StoredObject, metadata: Bool) -> HTTPFields {
        var headers = HTTPFields()
        headers[.eTag] = "\"\(object.etag)\""
        if flavor == .oss { headers[HTTPField.Name("x-oss-hash-crc64ecma")!] = String(object.crc64) }
        if metadata {
            headers[.contentType] = object.contentType
            headers[.lastModified] = CloudTime.rfc1123(object.lastModified)
            headers[.acceptRanges] = "bytes"
            for (name, value) in object.metadata {
                if let field = HTTPField.Name(flavor.headerPrefix + "meta-" + name) { headers[field] = value }
            }
        }
        return headers
    }

    private func listObjects(_ bucket: String, _ request: IncomingRequest) -> Response {
        let v2 = request.queryValue("list-type") == "2"
        let prefix = request.queryValue("prefix") ?? ""
        let delimiter = request.queryValue("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let after =
            (v2
                ? request.queryValue("continuation-token") ?? request.queryValue("start-after")
                : request.queryValue("marker")) ?? ""
        let maxKeys = min(Int(request.queryValue("max-keys") ?? "") ?? 1000, 1000)
        var contents: [StoredObject] = []
        var prefixes: [String] = []
        var truncated = false
        var last = ""
        for object in storage.objects(bucket: bucket) where object.key.hasPrefix(prefix) && object.key > after {
            var entry = object.key
            var common: String?
            if let delimiter, let range = object.key.dropFirst(prefix.count).firstRange(of: delimiter) {
                common = String(object.key[..<range.upperBound])
                entry = common!
            }
            if entry <= after || (common != nil && prefixes.last == common) { continue }
            if contents.count + prefixes.count == maxKeys {
                truncated = true
                break
            }
            if let common { prefixes.append(common) } else { contents.append(object) }
            last = common.map { $0 + "\u{10FFFF}" } ?? object.key
        }
        var xml = "<ListBucketResult><Name>\(xmlEscape(bucket))</Name><Prefix>\(xmlEscape(prefix))</Prefix>"
        xml += "<MaxKeys>\(maxKeys)</MaxKeys><IsTruncated>\(truncated)</IsTruncated>"
        if v2 {
            xml += "<KeyCount>\(contents.count + prefixes.count)</KeyCount>"
            if truncated { xml += "<NextContinuationToken>\(xmlEscape(last))</NextContinuationToken>" }
        } else {
            xml += "<Marker>\(xmlEscape(after))</Marker>"
            if truncated { xml += "<NextMarker>\(xmlEscape(last))</NextMarker>" }
        }
        for object in contents {
            xml += "<Contents><Key>\(xmlEscape(object.key))</Key>"
            xml += "<LastModified>\(CloudTime.iso8601(object.lastModified))</LastModified>"
            xml += "<ETag>&quot;\(object.etag)&quot;</ETag><Size>\(object.size)</Size>"
            xml += "<StorageClass>STANDARD</StorageClass></Contents>"
        }
        for common in prefixes { xml += "<CommonPrefixes><Prefix>\(xmlEscape(common))</Prefix></CommonPrefixes>" }
        return xmlResponse(xml + "</ListBucketResult>")
    }

    // MARK: Bodies

    /// Streams a request body into a temporary file in the bucket, hashing it on the way, and checks its length
    /// and Content-MD5. On any failure the temporary file is deleted: nothing is stored.
    func receive(_ body: RequestBody, bucket: String, request: IncomingRequest) async throws(Refusal) -> (
        path: String, size: Int64, md5: String, crc64: UInt64
    ) {
        var expectedMD5: String?
        if let header = request.header("Content-MD5") {
            guard let raw = Data(base64Encoded: header), raw.count == 16 else {
                throw Refusal(status: 400, code: "InvalidDigest", message: "The Content-MD5 you specified was invalid.")
            }
            expectedMD5 = Array(raw).hexString
        }
        let file: OpenFile
        do {
            file = try storage.temporaryFile(bucket)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        var md5 = Digest(.md5)
        var crc = CRC64()
        var size: Int64 = 0
        do {
            for try await buffer in body {
                let bytes = Array(buffer.readableBytesView)
                bytes.withUnsafeBytes { raw in
                    md5.update(raw)
                    crc.update(raw)
                }
                try file.writeAll(bytes)
                size += Int64(buffer.readableBytes)
            }
        } catch {
            unlink(file.path)
            throw Refusal(status: 400, code: "IncompleteBody", message: "the request body could not be read: \(error)")
        }
        let digest = md5.finalize().hexString
        if let declared = request.header("Content-Length").flatMap({ Int64($0) }), declared != size {
            unlink(file.path)
            throw Refusal(status: 400, code: "IncompleteBody", message: "received \(size) of \(declared) bytes")
        }
        if let expectedMD5, expectedMD5 != digest {
            unlink(file.path)
            throw Refusal(
                status: 400, code: "BadDigest", message: "The Content-MD5 you specified did not match what we received."
            )
        }
        return (file.path, size, digest, crc.value)
    }

    // MARK: Faults and errors

    private func inject(_ fault: FaultKind, request: Request, incoming: IncomingRequest, requestID: String)
        async throws(Refusal)
        -> Response
    {
        // Read what the client sends first, so it sees the answer rather than a refused upload.
        do {
            for try await _ in request.body {}
        } catch {}
        switch fault {
        case .internalError:
            throw Refusal(
                status: 500, code: "InternalError",
                message: "We encountered an internal error. Please try again. (injected)")
        case .tooMany:
            throw Refusal(status: 429, code: "TooManyRequests", message: "Please reduce your request rate. (injected)")
        case .unavailable, .slow:
            throw Refusal(
                status: 503, code: flavor == .obs ? "ServiceUnavailable" : "SlowDown",
                message: "Please reduce your request rate. (injected)")
        case .reset:
            if incoming.method == "HEAD" {
                throw Refusal(status: 503, code: "ServiceUnavailable", message: "Please try again. (injected)")
            }
            // Promise a body, send a little of it, and drop the connection.
            var headers = HTTPFields()
            headers[HTTPField.Name(flavor.headerPrefix + "request-id")!] = requestID
            let body = ResponseBody(contentLength: 4096) { writer in
                try await writer.write(ByteBuffer(bytes: Array("<?xml".utf8)))
                throw CancellationError()
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    private func errorResponse(_ refusal: Refusal, incoming: IncomingRequest, requestID: String) -> Response {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(refusal.code)</Code>"
        xml += "<Message>\(xmlEscape(refusal.message))</Message><RequestId>\(requestID)</RequestId>"
        xml += "<HostId>\(xmlEscape(incoming.host))</HostId>"
        if let bucket = incoming.bucket { xml += "<BucketName>\(xmlEscape(bucket))</BucketName>" }
        if let stringToSign = refusal.stringToSign { xml += "<StringToSign>\(xmlEscape(stringToSign))</StringToSign>" }
        if refusal.code == "RequestTimeTooSkewed" {
            xml += "<ServerTime>\(CloudTime.iso8601(CloudTime.now()))</ServerTime>"
        }
        if flavor == .oss { xml += "<EC>0000-00000000</EC>" }
        xml += "</Error>"
        return xmlResponse(xml, status: refusal.status)
    }

    func xmlResponse(_ xml: String, status: Int = 200) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/xml"
        let body = xml.hasPrefix("<?xml") ? xml : "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + xml
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    // MARK: Parsing

    /// The request as the checks see it: path-style bucket and key, decoded; query items in order.
    static func incoming(_ request: Request) -> IncomingRequest {
        let target = request.head.path ?? "/"
        let pathPart = target.prefix { $0 != "?" }
        let queryPart = target.dropFirst(pathPart.count + 1)
        let path = percentDecoded(String(pathPart.dropFirst()))
        let slash = path.firstIndex(of: "/")
        let bucket = slash.map { String(path[..<$0]) } ?? path
        let key = slash.map { String(path[path.index(after: $0)...]) }
        let query: [(name: String, value: String?)] = queryPart.split(separator: "&").map { item in
            guard let equals = item.firstIndex(of: "=") else { return (percentDecoded(String(item)), nil) }
            return (
                percentDecoded(String(item[..<equals])), percentDecoded(String(item[item.index(after: equals)...]))
            )
        }
        var headers = request.headers.map { (name: $0.name.rawName, value: $0.value) }
        let host = request.head.authority ?? "127.0.0.1"
        if !headers.contains(where: { $0.name.lowercased() == "host" }) { headers.append((name: "Host", value: host)) }
        return IncomingRequest(
            method: request.method.rawValue, host: host, bucket: bucket.isEmpty ? nil : bucket, key: key,
            query: query, headers: headers)
    }
}

extension IncomingRequest {
    /// `x-obs-meta-*`, `x-oss-meta-*` and `x-amz-meta-*` headers, without the prefix.
    var userMetadata: [String: String] {
        var metadata: [String: String] = [:]
        for header in headers {
            let name = header.name.lowercased()
            for prefix in ["x-obs-meta-", "x-oss-meta-", "x-amz-meta-"] where name.hasPrefix(prefix) {
                metadata[String(name.dropFirst(prefix.count))] = header.value
            }
        }
        return metadata
    }
}

/// `%XX` sequences decoded (a `+` stays a `+`, as in paths and signed queries).
func percentDecoded(_ text: String) -> String {
    guard text.contains("%") else { return text }
    var out: [UInt8] = []
    var bytes = Array(text.utf8)[...]
    while let byte = bytes.popFirst() {
        if byte == UInt8(ascii: "%"), bytes.count >= 2,
            let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16)
        {
            out.append(value)
            bytes = bytes.dropFirst(2)
        } else {
            out.append(byte)
        }
    }
    return String(decoding: out, as: UTF8.self)
}
