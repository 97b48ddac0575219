import PhonePackCore

/// One part of a multipart upload as the client recorded it (and as the checkpoint keeps it).
public struct UploadedPart: Codable, Sendable, Equatable {
    public var number: Int
    public var size: Int64
    /// The ETag exactly as the server returned it (with its quotes), as Complete needs it.
    public var etag: String
    /// Hex MD5 of the part's bytes (OBS and S3 return it as the ETag).
    public var md5: String
    /// CRC-64/XZ of the part's bytes, computed for OSS (which returns it as `x-oss-hash-crc64ecma`).
    public var crc64: UInt64?

    public init(number: Int, size: Int64, etag: String, md5: String, crc64: UInt64?) {
        self.number = number
        self.size = size
        self.etag = etag
        self.md5 = md5
        self.crc64 = crc64
    }
}

/// A multipart upload the server still holds (`uploads ls`).
public struct PendingUpload: Codable, Sendable, Equatable {
    public var key: String
    public var uploadID: String
    public var initiated: String?

    public init(key: String, uploadID: String, initiated: String?) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}

/// The S3-shaped multipart protocol, which OBS, OSS and S3 share: initiate, upload parts, complete, abort, list.
extension ObjectStoreClient {
    /// Starts a multipart upload and returns its upload id. The properties and phonepack's `metadata` are set here,
    /// on the object-to-be. With `noClobber`, an object already there stops it before any part is sent (OSS refuses
    /// at once; elsewhere a HEAD looks first, and Complete carries the condition that makes it final).
    func initiateMultipart(
        _ key: String, properties: ObjectProperties = ObjectProperties(), metadata: [String: String] = [:]
    ) throws(PhonePackError) -> String {
        if properties.noClobber && endpoint.store != .oss && (try? head(key)) != nil { throw Self.exists(url(key)) }
        var request = request("POST", key: key, query: [("uploads", nil)])
        apply(properties, extra: metadata, to: &request, creating: endpoint.store == .oss)
        let answer: XMLNode
        do {
            answer = try xml(send(request, key: key), key: key)
        } catch  where properties.noClobber && error.isRefusedOverwrite {
            throw Self.exists(url(key), error)
        }
        guard let id = answer["UploadId"], !id.isEmpty else {
            throw PhonePackError(
                .service, operation: "initiate multipart upload", path: "\(bucket)/\(key)",
                message: "the answer has no UploadId")
        }
        return id
    }

    /// Sends one part with its Content-MD5 and checks what the server says it stored: the ETag (OBS, S3) and,
    /// when present, `x-oss-hash-crc64ecma` (OSS).
    public func uploadPart(
        _ key: String, uploadID: String, number: Int, body: HTTPBody, md5: [UInt8], crc64: UInt64?,
        progress: ((Int64, Int64) -> Bool)? = nil
    ) throws(PhonePackError) -> UploadedPart {
        var request = request("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)])
        request.setHeader("Content-MD5", md5.base64String)
        let response = try send(request, key: key, body: body, progress: progress)
        let part = UploadedPart(
            number: number, size: body.length, etag: response.header("ETag") ?? "", md5: md5.hexString, crc64: crc64)
        try checkStored(response, md5: md5.hexString, crc64: crc64, what: "part \(number) of \(bucket)/\(key)")
        return part
    }

    /// Joins the parts into the object. Returns the object's ETag and, on OSS, its CRC-64. With `noClobber` the
    /// request is conditional: an object that appeared meanwhile is not replaced.
    func completeMultipart(_ key: String, uploadID: String, parts: [UploadedPart], noClobber: Bool = false)
        throws(PhonePackError) -> (etag: String?, crc64: UInt64?)
    {
        var list = "<CompleteMultipartUpload>"
        for part in parts.sorted(by: { $0.number < $1.number }) {
            list += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(xmlEscape(part.etag))</ETag></Part>"
        }
        list += "</CompleteMultipartUpload>"
        let body = Array(list.utf8)
        var request = request("POST", key: key, query: [("uploadId", uploadID)])
        request.setHeader("Content-Type", "application/xml")
        request.setHeader("Content-MD5", Digest.hash(.md5, body).base64String)
        if noClobber { forbidOverwrite(&request) }
        let response: ServiceResponse
        do {
            response = try send(request, key: key, body: .bytes(body))
        } catch  where noClobber && error.isRefusedOverwrite {
            throw Self.exists(url(key), error)
        }
        // S3 may answer 200 and put the failure in the body.
        let answer = response.body.isEmpty ? nil : try xml(response, key: key)
        if answer?.name == "Error" {
            let failure = ServiceError(response: response)
            var error = PhonePackError(
                .service, operation: "complete multipart upload", path: "\(bucket)/\(key)",
                message: "\(failure.code ?? ""): \(failure.message ?? "")")
            error.vendorCode = failure.code
            error.requestID = failure.requestID
            throw error
        }
        let etag = answer?["ETag"] ?? response.header("ETag")
        return (etag, response.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) })
    }

    /// Completes the upload and checks the object against the parts sent: its size, its multipart ETag (MD5 of
    /// the parts' MD5s, `-N`) where the store uses that form, and its CRC-64 where the store reports one. A retried
    /// Complete whose first attempt succeeded answers NoSuchUpload; the object then decides.
    func completeAndCheck(_ key: String, uploadID: String, parts: [UploadedPart], size: Int64, noClobber: Bool = false)
        throws(PhonePackError) -> (info: ObjectInfo, etag: String?, crc64: UInt64?)
    {
        let expectedETag = Digest.multipartETag(partMD5s: parts.map { [UInt8](hexString: $0.md5) ?? [] })
        let expectedCRC = parts.dropFirst().reduce(parts.first?.crc64) { total, part in
            total.flatMap { total in part.crc64.map { CRC64.combine(total, $0, secondLength: part.size) } }
        }
        var completedETag: String?
        do {
            completedETag = try completeMultipart(key, uploadID: uploadID, parts: parts, noClobber: noClobber).etag
        } catch  where error.vendorCode == "NoSuchUpload" {
            completedETag = nil
        }
        let info = try head(key)
        let what = "\(bucket)/\(key)"
        guard info.size == size else {
            throw PhonePackError(
                .checkFailed, operation: "check upload", path: what,
                message: "the stored object has \(info.size) bytes, not \(size)")
        }
        for candidate in [completedETag, info.etag].compactMap({ $0 }) {
            let plain = candidate.replacing("\"", with: "").lowercased()
            if plain.contains("-"), plain != expectedETag {
                throw PhonePackError(
                    .checkFailed, operation: "check upload", path: what,
                    message: "the stored object's ETag \(plain) is not the MD5 of the parts sent (\(expectedETag))")
            }
        }
        if let stored = info.crc64, let expectedCRC, stored != expectedCRC {
            throw PhonePackError(
                .checkFailed, operation: "check upload", path: what,
                message: "the stored object's CRC-64 \(stored) is not that of the file (\(expectedCRC))")
        }
        return (info, completedETag, expectedCRC)
    }

    public func abortMultipart(_ key: String, uploadID: String) throws(PhonePackError) {
        _ = try send(request("DELETE", key: key, query: [("uploadId", uploadID)]), key: key)
    }

    /// The parts the server holds for an upload (all pages): the truth a resume starts from.
    public func listParts(_ key: String, uploadID: String) throws(PhonePackError)
        -> [(number: Int, size: Int64, etag: String)]
    {
        var parts: [(number: Int, size: Int64, etag: String)] = []
        var marker: String?
        // An upload has at most 10,000 parts: 1,000 per page.
        var pages = PageGuard("list the parts of upload \(uploadID.terminalSafe)", limit: 20)
        repeat {
            var query: [(name: String, value: String?)] = []
            if let marker { query.append(("part-number-marker", marker)) }
            query.append(("uploadId", uploadID))
            let answer = try xml(send(request("GET", key: key, query: query), key: key), key: key)
            for part in answer.all("Part") {
                guard let number = part["PartNumber"].flatMap({ Int($0) }) else { continue }
                parts.append((number, Int64(part["Size"] ?? "") ?? -1, part["ETag"] ?? ""))
            }
            marker = try pages.next(
                answer["IsTruncated"] == "true" ? answer["NextPartNumberMarker"] : nil, items: answer.all("Part").count)
        } while marker != nil
        return parts
    }

    /// Unfinished multipart uploads under `prefix` (all pages); they cost storage until completed or aborted.
    public func listMultipartUploads(prefix: String) throws(PhonePackError) -> [PendingUpload] {
        var uploads: [PendingUpload] = []
        var markers: (key: String, id: String)?
        var pages = PageGuard("list unfinished uploads of \(bucket.terminalSafe)")
        repeat {
            var query: [(name: String, value: String?)] = []
            if let markers { query.append(("key-marker", markers.key)) }
            query.append(("prefix", prefix))
            if let markers { query.append(("upload-id-marker", markers.id)) }
            query.append(("uploads", nil))
            let answer = try xml(send(request("GET", key: "", query: query), key: ""), key: "")
            for upload in answer.all("Upload") {
                guard let key = upload["Key"], let id = upload["UploadId"] else { continue }
                uploads.append(
                    PendingUpload(key: key, uploadID: id, initiated: CloudTime.normalised(upload["Initiated"])))
            }
            if answer["IsTruncated"] == "true", let key = answer["NextKeyMarker"], let id = answer["NextUploadIdMarker"]
            {
                // Both markers together name the next page: the pair must never repeat.
                markers = try pages.next("\(key)\u{0}\(id)", items: answer.all("Upload").count).map { _ in (key, id) }
            } else {
                markers = nil
            }
        } while markers != nil
        return uploads
    }

    /// Compares what the server says it stored with what we sent: a quoted-MD5 ETag must match our MD5, and an
    /// OSS CRC-64 header must match our CRC-64.
    func checkStored(_ response: ServiceResponse, md5: String?, crc64: UInt64?, what: String) throws(PhonePackError) {
        if let md5, let etag = response.header("ETag"), let plain = Self.plainMD5(etag), plain != md5 {
            throw PhonePackError(
                .checkFailed, operation: "check upload", path: what,
                message:
                    "the server stored ETag \(etag), not the MD5 of what was sent (\(md5)); the upload is not intact")
        }
        if let crc64, let header = response.header("x-oss-hash-crc64ecma"), let stored = UInt64(header),
            stored != crc64
        {
            throw PhonePackError(
                .checkFailed, operation: "check upload", path: what,
                message:
                    "the server's CRC-64 \(stored) is not that of what was sent (\(crc64)); the upload is not intact")
        }
    }

    /// The MD5 inside an ETag of the plain single-part form (`"<32 hex>"`), or `nil` (multipart, encrypted, …).
    static func plainMD5(_ etag: String) -> String? {
        let inner =
            etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count >= 2 ? etag.dropFirst().dropLast() : etag[...]
        guard inner.count == 32, inner.allSatisfy(\.isHexDigit) else { return nil }
        return inner.lowercased()
    }
}

/// Text made safe inside an XML element or attribute.
package func xmlEscape(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(character)
        }
    }
    return out
}
