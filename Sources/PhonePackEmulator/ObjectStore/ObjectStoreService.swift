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
        var verdict = WireLog.Verdict.unchecked
        var refusalCode: String?
        defer {
            log.wire.record(
                service: flavor.rawValue, method: incoming.method, target: request.head.path ?? "/",
                headers: incoming.headers, verdict: verdict, code: refusalCode)
        }
        do throws(Refusal) {
            fault = faults.next()
            if fault == .slow {
                try? await Task.sleep(for: .seconds(2))
            } else if let fault {
                response = try await inject(fault, request: request, incoming: incoming, requestID: requestID)
                log.record(store: flavor.rawValue, incoming, status: Int(response.status.code), note: fault.rawValue)
                return response
            }
            var verified = incoming
            do throws(Refusal) {
                verified.chain = try signature.verify(incoming, now: CloudTime.now())
                verdict = .accepted
            } catch {
                if error.isSignatureMismatch { verdict = .mismatch }
                refusalCode = error.code
                throw error
            }
            response = try await handle(verified, body: request.body)
        } catch {
            response = errorResponse(error, incoming: incoming, requestID: requestID)
            // Unread body bytes would confuse the next request on this connection.
            response.headers[.connection] = "close"
        }
        response.headers[HTTPField.Name(flavor.headerPrefix + "request-id")!] = requestID
        // OBS answers every request with its API version; esdk-obs-python asks for it (`HEAD /bucket?apiversion`,
        // unsigned) to choose between its OBS and V2 signatures.
        if flavor == .obs { response.headers[HTTPField.Name("x-obs-api")!] = "3.0" }
        log.record(store: flavor.rawValue, incoming, status: Int(response.status.code), note: fault?.rawValue)
        return incoming.method == "HEAD" ? Response(status: response.status, headers: response.headers) : response
    }

    // MARK: Routing

    private func handle(_ request: IncomingRequest, body: RequestBody) async throws(Refusal) -> Response {
        guard let bucket = request.bucket else {
            guard request.method == "GET" else {
                throw Refusal(status: 405, code: "MethodNotAllowed", message: "\(request.method) on the service")
            }
            return listBuckets()
        }
        if let answer = try await subResource(bucket, request.key, request, body) { return answer }
        guard let key = request.key, !key.isEmpty else {
            switch request.method {
            case "PUT":
                do {
                    try storage.createBucket(bucket)
                } catch {
                    throw Refusal(status: 500, code: "InternalError", message: "\(error)")
                }
                return Response(status: .ok)
            case "DELETE":
                return try deleteBucket(bucket)
            case "GET":
                try requireBucket(bucket)
                if request.queryValue("uploads") != nil { return listUploads(bucket, request) }
                return listObjects(bucket, request)
            case "HEAD":
                try requireBucket(bucket)
                return Response(status: .ok)
            case "POST" where request.queryValue("delete") != nil:
                try requireBucket(bucket)
                return try await deleteObjects(bucket, request, body)
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
        case ("POST", let id?): return try await complete(bucket, key, id, request, body)
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

    // MARK: Bodies

    /// Streams a request body into a temporary file in the bucket, hashing it on the way, and checks its length,
    /// Content-MD5, a SigV4 payload hash (`x-amz-content-sha256` when it is one) and the checksums the AWS SDKs
    /// send (`x-amz-checksum-crc32`, `-crc32c`, `-sha1`, `-sha256`). On any failure the temporary file is deleted:
    /// nothing is stored.
    func receive(_ body: RequestBody, bucket: String, request: IncomingRequest) async throws(Refusal) -> (
        path: String, size: Int64, md5: String, crc64: UInt64, checksums: [String: String]
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
        var checks = BodyChecks(request)
        var size: Int64 = 0
        // An aws-chunked body (SigV4 streaming) is decoded as it arrives: what is hashed and stored is the payload.
        let chunked = AWSChunkedBody.of(request)
        do {
            for try await buffer in body {
                var bytes = Array(buffer.readableBytesView)
                if let chunked {
                    var payload: [UInt8] = []
                    var refusal: Refusal?
                    bytes.withUnsafeBytes { raw in
                        do throws(Refusal) {
                            try chunked.feed(raw) { payload.append(contentsOf: $0) }
                        } catch { refusal = error }
                    }
                    if let refusal {
                        unlink(file.path)
                        throw refusal
                    }
                    bytes = payload
                }
                bytes.withUnsafeBytes { raw in
                    md5.update(raw)
                    // Only OSS reports a CRC-64; computing it for OBS cost a third of the emulator's CPU per byte.
                    if flavor == .oss { crc.update(raw) }
                    checks.update(raw)
                }
                try file.writeAll(bytes)
                size += Int64(bytes.count)
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            unlink(file.path)
            throw Refusal(status: 400, code: "IncompleteBody", message: "the request body could not be read: \(error)")
        }
        let digest = md5.finalize().hexString
        if let chunked {
            do throws(Refusal) {
                try chunked.finish()
            } catch {
                unlink(file.path)
                throw error
            }
            checks.expect(trailers: chunked.trailers)
        }
        let declaredHeader = chunked == nil ? "Content-Length" : "x-amz-decoded-content-length"
        if let declared = request.header(declaredHeader).flatMap({ Int64($0) }), declared != size {
            unlink(file.path)
            throw Refusal(status: 400, code: "IncompleteBody", message: "received \(size) of \(declared) bytes")
        }
        if let expectedMD5, expectedMD5 != digest {
            unlink(file.path)
            throw Refusal(
                status: 400, code: "BadDigest", message: "The Content-MD5 you specified did not match what we received."
            )
        }
        let checksums: [String: String]
        do throws(Refusal) {
            checksums = try checks.verify()
        } catch {
            unlink(file.path)
            throw error
        }
        return (file.path, size, digest, crc.value, checksums)
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
func percentDecoded(_ text: String) -> String { PercentEncoding.decode(text) }

/// The body checks a SigV4 client may ask for: the payload's SHA-256 (`x-amz-content-sha256` as a hex hash) and
/// `x-amz-checksum-*` headers. Streamed: each hash sees the bytes once, as they arrive.
struct BodyChecks: ~Copyable {
    private var expected: [String: String]
    private var payload = Digest(.sha256)
    private var sha1 = Digest(.sha1)
    private var sha256 = Digest(.sha256)
    private var crc32 = CRC32(.ieee)
    private var crc32c = CRC32(.castagnoli)

    init(_ request: IncomingRequest) {
        var expected: [String: String] = [:]
        if let hash = request.header("x-amz-content-sha256"), hash.utf8.count == 64,
            hash.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        {
            expected["payload"] = hash
        }
        // A checksum named in x-amz-trailer arrives after the body: computed from the start, compared at the end.
        let trailer = (request.header("x-amz-trailer") ?? "").lowercased().split(separator: ",").map {
            String($0.filter { $0 != " " })
        }
        for name in ["sha1", "sha256", "crc32", "crc32c"] {
            expected[name] =
                request.header("x-amz-checksum-" + name) ?? (trailer.contains("x-amz-checksum-" + name) ? "" : nil)
        }
        self.expected = expected
    }

    /// The checksums an aws-chunked body sent in its trailer; one named in x-amz-trailer but missing is refused.
    mutating func expect(trailers: [String: String]) {
        for name in ["sha1", "sha256", "crc32", "crc32c"] where expected[name] == "" {
            expected[name] = trailers["x-amz-checksum-" + name] ?? "(missing from the trailer)"
        }
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        if expected["payload"] != nil { payload.update(bytes) }
        if expected["sha1"] != nil { sha1.update(bytes) }
        if expected["sha256"] != nil { sha256.update(bytes) }
        if expected["crc32"] != nil { crc32.update(bytes) }
        if expected["crc32c"] != nil { crc32c.update(bytes) }
    }

    /// Refuses a body whose payload hash or checksums differ; returns the checksums that were sent and held
    /// (name → base64), which the store keeps with the object.
    @discardableResult
    mutating func verify() throws(Refusal) -> [String: String] {
        if let hash = expected["payload"], payload.finalize().hexString != hash {
            throw Refusal(
                status: 400, code: "XAmzContentSHA256Mismatch",
                message: "The provided 'x-amz-content-sha256' header does not match what was computed.")
        }
        var actual: [String: String] = [:]
        if expected["sha1"] != nil { actual["sha1"] = sha1.finalize().base64String }
        if expected["sha256"] != nil { actual["sha256"] = sha256.finalize().base64String }
        actual["crc32"] = crc32.base64
        actual["crc32c"] = crc32c.base64
        var verified: [String: String] = [:]
        for name in ["sha1", "sha256", "crc32", "crc32c"] {
            guard let want = expected[name] else { continue }
            guard want == actual[name] else {
                throw Refusal(
                    status: 400, code: "BadDigest",
                    message: "The \(name.uppercased()) you specified did not match the calculated checksum.")
            }
            verified[name] = want
        }
        return verified
    }
}
