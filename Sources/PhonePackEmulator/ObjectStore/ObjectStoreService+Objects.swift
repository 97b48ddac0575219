import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import PhonePackCloud
import PhonePackCore

/// Single objects: put, get (with ranges and conditions), and bucket listings.
extension ObjectStoreService {
    func putObject(_ bucket: String, _ key: String, _ request: IncomingRequest, _ body: RequestBody)
        async throws(Refusal) -> Response
    {
        if let source = request.header(flavor.headerPrefix + "copy-source") ?? request.header("x-amz-copy-source") {
            return try copyObject(bucket, key, source: source, request)
        }
        try checkOverwrite(bucket, key, request)
        let received = try await receive(body, bucket: bucket, request: request)
        var attributes = ObjectAttributes(request)
        attributes.checksums = received.checksums
        let object = StoredObject(
            key: key, size: received.size, etag: storage.formatETag(received.md5), crc64: received.crc64,
            contentType: request.header("Content-Type") ?? "application/octet-stream", metadata: request.userMetadata,
            lastModified: CloudTime.now(), attributes: attributes)
        // Checked again now that the body is in: a writer that raced this one must not be overwritten.
        do throws(Refusal) {
            try checkOverwrite(bucket, key, request)
        } catch {
            unlink(received.path)
            throw error
        }
        do {
            try storage.commit(temporary: received.path, bucket: bucket, object: object)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        return Response(status: .ok, headers: objectHeaders(object, request, full: false))
    }

    /// CopyObject (S3, OBS) / CopyObject (OSS): `PUT` with `x-amz-copy-source` (or `x-obs-`/`x-oss-copy-source`)
    /// naming `/bucket/key`, URL-encoded. The copy keeps the source's ETag, CRC-64, type and metadata unless
    /// the metadata directive says REPLACE.
    func copyObject(_ bucket: String, _ key: String, source: String, _ request: IncomingRequest) throws(Refusal)
        -> Response
    {
        let (sourceBucket, sourceKey) = try copySource(source)
        guard let original = storage.object(bucket: sourceBucket, key: sourceKey) else {
            throw Refusal(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
        }
        _ = try notModified(original, request, prefix: copySourcePrefix(request))
        try checkOverwrite(bucket, key, request)
        let directive =
            request.header(flavor.headerPrefix + "metadata-directive") ?? request.header("x-amz-metadata-directive")
        var object = original
        object.key = key
        object.lastModified = CloudTime.now()
        if directive?.uppercased() == "REPLACE" {
            object.metadata = request.userMetadata
            object.contentType = request.header("Content-Type") ?? original.contentType
            var attributes = ObjectAttributes(request)
            attributes.checksums = original.attributes?.checksums ?? [:]
            object.attributes = attributes
        } else if let storageClass = ObjectAttributes.vendorHeader(request, "storage-class") {
            // A copy onto itself with another storage class is how S3 clients change it.
            object.attributes = object.attributes ?? ObjectAttributes()
            object.attributes?.storageClass = storageClass
        }
        do {
            try storage.copy(from: sourceBucket, sourceKey, to: bucket, object: object)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        return xmlResponse(
            "<CopyObjectResult><LastModified>\(xmlTime(object.lastModified))</LastModified><ETag>&quot;\(object.etag)&quot;</ETag></CopyObjectResult>"
        )
    }

    /// `x-amz-copy-source-` for a copy named by `x-amz-copy-source`, else the store's own prefix.
    func copySourcePrefix(_ request: IncomingRequest) -> String {
        request.header("x-amz-copy-source") != nil ? "x-amz-copy-source-" : flavor.headerPrefix + "copy-source-"
    }

    /// `/bucket/key` (URL-encoded, the leading `/` optional, a `?versionId` ignored) of an existing bucket.
    func copySource(_ source: String) throws(Refusal) -> (bucket: String, key: String) {
        let decoded = percentDecoded(String(source.prefix { $0 != "?" }))
        let path = decoded.hasPrefix("/") ? String(decoded.dropFirst()) : decoded
        guard let slash = path.firstIndex(of: "/"), slash != path.startIndex else {
            throw Refusal(status: 400, code: "InvalidArgument", message: "the copy source must be /bucket/key")
        }
        let bucket = String(path[..<slash])
        try requireBucket(bucket)
        return (bucket, String(path[path.index(after: slash)...]))
    }

    func getObject(_ bucket: String, _ key: String, _ request: IncomingRequest) throws(Refusal) -> Response {
        guard let object = storage.object(bucket: bucket, key: key),
            let path = storage.dataPath(bucket: bucket, key: key)
        else {
            throw Refusal(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
        }
        var headers = objectHeaders(object, request, full: true)
        if try notModified(object, request) {
            var kept = HTTPFields()
            for name in [HTTPField.Name.eTag, .lastModified] { kept[name] = headers[name] }
            return Response(status: .notModified, headers: kept)
        }
        // response-content-type and its kin: a presigned URL may ask for other headers on this answer.
        for item in request.query where item.name.hasPrefix("response-") {
            let name = String(item.name.dropFirst("response-".count))
            if let value = item.value,
                [
                    "content-type", "content-disposition", "cache-control", "content-encoding",
                    "content-language", "expires",
                ].contains(name), let field = HTTPField.Name(name)
            {
                headers[field] = value
            }
        }
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

    /// An object's headers for a PUT answer (ETag, CRC-64) or, `full`, a GET or HEAD: type, time, metadata and
    /// attributes, with the vendor prefix of the request's signature family (boto3 reads `x-amz-meta-*` from OBS).
    func objectHeaders(_ object: StoredObject, _ request: IncomingRequest, full: Bool) -> HTTPFields {
        var headers = HTTPFields()
        headers[.eTag] = "\"\(object.etag)\""
        if flavor == .oss { headers[HTTPField.Name("x-oss-hash-crc64ecma")!] = String(object.crc64) }
        if full {
            let prefix = request.familyPrefix(flavor)
            headers[.contentType] = object.contentType
            headers[.lastModified] = CloudTime.rfc1123(object.lastModified)
            headers[.acceptRanges] = "bytes"
            for (name, value) in object.metadata {
                if let field = HTTPField.Name(prefix + "meta-" + name) { headers[field] = value }
            }
            object.attributes?.headers(
                prefix: prefix, flavor: flavor,
                checksumMode: request.header("x-amz-checksum-mode")?.uppercased() == "ENABLED"
                    && request.header("Range") == nil, into: &headers)
        }
        return headers
    }

    /// Whether `key` comes after `marker` in byte order.
    static func after(_ key: String, _ marker: String) -> Bool { marker.utf8.lexicographicallyPrecedes(key.utf8) }

    func listObjects(_ bucket: String, _ request: IncomingRequest) -> Response {
        let v2 = request.queryValue("list-type") == "2"
        let prefix = request.queryValue("prefix") ?? ""
        let delimiter = request.queryValue("delimiter").flatMap { $0.isEmpty ? nil : $0 }
        let after =
            (v2
                ? request.queryValue("continuation-token").map(percentDecoded) ?? request.queryValue("start-after")
                : request.queryValue("marker")) ?? ""
        let maxKeys = min(Int(request.queryValue("max-keys") ?? "") ?? 1000, 1000)
        var contents: [StoredObject] = []
        var prefixes: [String] = []
        var truncated = false
        var last = ""
        // Keys compare as UTF-8 bytes, the order every store lists in; the first candidate is found by bisection.
        let all = storage.objects(bucket: bucket)
        for object in all[ListingIndex.position(Self.after(after, prefix) ? after : prefix, in: all)...] {
            guard object.key.utf8.starts(with: prefix.utf8) else { break }
            guard Self.after(object.key, after) else { continue }
            var entry = object.key
            var common: String?
            if let delimiter, let range = object.key.dropFirst(prefix.count).firstRange(of: delimiter) {
                common = String(object.key[..<range.upperBound])
                entry = common!
            }
            if !Self.after(entry, after) || (common != nil && prefixes.last == common) { continue }
            if contents.count + prefixes.count == maxKeys {
                truncated = true
                break
            }
            if let common { prefixes.append(common) } else { contents.append(object) }
            last = common.map { $0 + "\u{10FFFF}" } ?? object.key
        }
        // encoding-type=url: keys, prefixes and V1 markers URL-encoded (XML 1.0 cannot carry control characters);
        // V2's continuation token is opaque and stays as it is.
        let urlEncoded = request.queryValue("encoding-type")?.lowercased() == "url"
        let name = { (text: String) in urlEncoded ? PercentEncoding.encode(text, keepingSlash: true) : text }
        var xml = "<ListBucketResult><Name>\(xmlEscape(bucket))</Name><Prefix>\(xmlEscape(name(prefix)))</Prefix>"
        if urlEncoded { xml += "<EncodingType>url</EncodingType>" }
        xml += "<MaxKeys>\(maxKeys)</MaxKeys><IsTruncated>\(truncated)</IsTruncated>"
        if v2 {
            xml += "<KeyCount>\(contents.count + prefixes.count)</KeyCount>"
            // Opaque to clients: the last key, percent-encoded so that any key can travel in XML.
            if truncated {
                xml += "<NextContinuationToken>\(PercentEncoding.encode(last))</NextContinuationToken>"
            }
        } else {
            xml += "<Marker>\(xmlEscape(name(after)))</Marker>"
            if truncated { xml += "<NextMarker>\(xmlEscape(name(last)))</NextMarker>" }
        }
        for object in contents {
            xml += "<Contents><Key>\(xmlEscape(name(object.key)))</Key>"
            xml += "<LastModified>\(xmlTime(object.lastModified))</LastModified>"
            xml += "<ETag>&quot;\(object.etag)&quot;</ETag><Size>\(object.size)</Size>"
            // OSS lists each object's type (oss2 requires it): Multipart when assembled from parts.
            if flavor == .oss { xml += "<Type>\(object.etag.contains("-") ? "Multipart" : "Normal")</Type>" }
            let storageClass = object.attributes?.storageClass ?? (flavor == .oss ? "Standard" : "STANDARD")
            xml += "<StorageClass>\(xmlEscape(storageClass))</StorageClass></Contents>"
        }
        for common in prefixes {
            xml += "<CommonPrefixes><Prefix>\(xmlEscape(name(common)))</Prefix></CommonPrefixes>"
        }
        return xmlResponse(xml + "</ListBucketResult>")
    }
}

/// A time in a listing, as S3, OBS and OSS write it: ISO 8601 UTC with milliseconds (`2024-03-15T09:30:00.000Z`;
/// oss2 refuses it without them).
func xmlTime(_ seconds: Int64) -> String { CloudTime.iso8601(seconds).dropLast() + ".000Z" }

extension ObjectStoreService {
    /// DeleteObjects (S3, OBS) and DeleteMultipleObjects (OSS): `POST /bucket?delete` with up to 1,000 keys in a
    /// `<Delete>` document, guarded by Content-MD5 (or an `x-amz-checksum-*` the SDKs send instead). Each key is
    /// deleted (a missing key counts as deleted, as the stores say); `<Quiet>true</Quiet>` lists only errors.
    func deleteObjects(_ bucket: String, _ request: IncomingRequest, _ body: RequestBody) async throws(Refusal)
        -> Response
    {
        let bytes = try await smallBody(body, limit: 2 << 20, what: "Delete body")
        var checks = BodyChecks(request)
        bytes.withUnsafeBytes { checks.update($0) }
        try checks.verify()
        if let header = request.header("Content-MD5"),
            Data(base64Encoded: header).map(Array.init)
                != Digest.hash(.md5, bytes)
        {
            throw Refusal(
                status: 400, code: "BadDigest", message: "The Content-MD5 you specified did not match what we received."
            )
        }
        let document: XMLNode
        do {
            document = try XMLReader.parse(bytes, source: "Delete body")
        } catch {
            throw Refusal(status: 400, code: "MalformedXML", message: error.message)
        }
        let keys = document.all("Object").compactMap { $0["Key"] }
        guard (1...1000).contains(keys.count) else {
            throw Refusal(status: 400, code: "MalformedXML", message: "a Delete lists 1 to 1,000 objects")
        }
        let quiet = document["Quiet"]?.lowercased() == "true"
        var xml = "<DeleteResult>"
        for key in keys {
            storage.delete(bucket: bucket, key: key)
            if !quiet { xml += "<Deleted><Key>\(xmlEscape(key))</Key></Deleted>" }
        }
        return xmlResponse(xml + "</DeleteResult>")
    }

    /// A small request body (an XML document), refused past `limit` bytes.
    func smallBody(_ body: RequestBody, limit: Int, what: String) async throws(Refusal) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await buffer in body {
                bytes += buffer.readableBytesView
                guard bytes.count <= limit else {
                    throw Refusal(
                        status: 400, code: "MalformedXML", message: "the \(what) is larger than \(limit >> 20) MiB")
                }
            }
        } catch let refusal as Refusal {
            throw refusal
        } catch {
            throw Refusal(status: 400, code: "IncompleteBody", message: "the request body ended early")
        }
        return bytes
    }

    /// A small XML request body, parsed (entities and DOCTYPE refused by ``XMLReader``).
    func xmlBody(_ body: RequestBody, limit: Int, what: String) async throws(Refusal) -> XMLNode {
        let bytes = try await smallBody(body, limit: limit, what: what)
        do {
            return try XMLReader.parse(bytes, source: what)
        } catch {
            throw Refusal(status: 400, code: "MalformedXML", message: error.message)
        }
    }
}
