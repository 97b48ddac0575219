import CLinuxExtras
import FoundationEssentials
import Glibc
import HTTPTypes
import Hummingbird
import PhonePackCloud
import PhonePackCore

/// Multipart uploads: initiate, upload part, complete, list parts and uploads.
extension ObjectStoreService {
    func initiate(_ bucket: String, _ key: String, _ request: IncomingRequest) throws(Refusal) -> Response {
        // OSS refuses a forbidden overwrite at the start, before any part is sent.
        if request.header("x-oss-forbid-overwrite") != nil { try checkOverwrite(bucket, key, request) }
        let record = UploadRecord(
            key: key, contentType: request.header("Content-Type") ?? "application/octet-stream",
            metadata: request.userMetadata, initiated: CloudTime.now(), attributes: ObjectAttributes(request))
        let id: String
        do {
            id = try storage.createUpload(bucket: bucket, record: record)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        return xmlResponse(
            "<InitiateMultipartUploadResult><Bucket>\(xmlEscape(bucket))</Bucket><Key>\(xmlEscape(key))</Key>"
                + "<UploadId>\(id)</UploadId></InitiateMultipartUploadResult>")
    }

    func uploadPart(
        _ bucket: String, _ key: String, _ id: String, _ request: IncomingRequest, _ body: RequestBody
    ) async throws(Refusal) -> Response {
        guard let number = request.queryValue("partNumber").flatMap({ Int($0) }), (1...10_000).contains(number) else {
            throw Refusal(
                status: 400, code: "InvalidArgument",
                message: "Part number must be an integer between 1 and 10000, inclusive")
        }
        let upload = try requireUpload(bucket, id)
        guard upload.key == key else {
            throw Refusal(status: 400, code: "InvalidArgument", message: "the upload \(id) is for another key")
        }
        if let source = request.header(flavor.headerPrefix + "copy-source") ?? request.header("x-amz-copy-source") {
            return try uploadPartCopy(bucket, id, number, source: source, request)
        }
        let received = try await receive(body, bucket: bucket, request: request)
        let part = PartRecord(
            number: number, size: received.size, md5: received.md5, crc64: received.crc64,
            lastModified: CloudTime.now())
        do {
            try storage.commitPart(temporary: received.path, bucket: bucket, id: id, part: part)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        var headers = HTTPFields()
        headers[.eTag] = "\"\(storage.formatETag(received.md5))\""
        if flavor == .oss { headers[HTTPField.Name("x-oss-hash-crc64ecma")!] = String(received.crc64) }
        return Response(status: .ok, headers: headers)
    }

    /// UploadPartCopy: a part made of a byte range (`x-amz-copy-source-range: bytes=A-B`, else the whole object)
    /// of another object.
    func uploadPartCopy(_ bucket: String, _ id: String, _ number: Int, source: String, _ request: IncomingRequest)
        throws(Refusal) -> Response
    {
        let (sourceBucket, sourceKey) = try copySource(source)
        guard let object = storage.object(bucket: sourceBucket, key: sourceKey),
            let data = storage.dataPath(bucket: sourceBucket, key: sourceKey)
        else {
            throw Refusal(status: 404, code: "NoSuchKey", message: "The specified key does not exist.")
        }
        _ = try notModified(object, request, prefix: copySourcePrefix(request))
        var bounds: ClosedRange<Int64> = 0...max(0, object.size - 1)
        if let range = request.header(flavor.headerPrefix + "copy-source-range")
            ?? request.header("x-amz-copy-source-range")
        {
            guard let parsed = Self.parseRange(range, size: object.size), let valid = parsed else {
                throw Refusal(status: 400, code: "InvalidArgument", message: "the copy source range is not valid")
            }
            bounds = valid
        }
        var md5 = Digest(.md5)
        var crc = CRC64()
        let part: PartRecord
        do {
            let input = try OpenFile.forReading(data)
            let length = object.size == 0 ? 0 : bounds.upperBound - bounds.lowerBound + 1
            // Only OSS reports a CRC-64: the other stores' parts skip that pass (a copied GiB is hashed once).
            let wantsCRC = flavor == .oss
            // The bytes stay where they are, as in a store: the part is a hard link to the source's data and a
            // range of it (read once, for the ETag); where linking fails, a copy.
            if let linked = storage.linkForPart(data, bucket: bucket) {
                try input.forEachBlock(offset: bounds.lowerBound, length: length) { (block) throws(PhonePackError) in
                    md5.update(block)
                    if wantsCRC { crc.update(block) }
                }
                var record = PartRecord(
                    number: number, size: length, md5: md5.finalize().hexString, crc64: crc.value,
                    lastModified: CloudTime.now())
                record.dataOffset = bounds.lowerBound
                part = record
                try storage.commitPart(temporary: linked, bucket: bucket, id: id, part: part)
            } else {
                let temporary = try storage.temporaryFile(bucket)
                var offset: Int64 = 0
                try input.forEachBlock(offset: bounds.lowerBound, length: length) { (block) throws(PhonePackError) in
                    md5.update(block)
                    if wantsCRC { crc.update(block) }
                    try temporary.writeAll(block, atAbsoluteOffset: offset)
                    offset += Int64(block.count)
                }
                part = PartRecord(
                    number: number, size: offset, md5: md5.finalize().hexString, crc64: crc.value,
                    lastModified: CloudTime.now())
                try storage.commitPart(temporary: temporary.path, bucket: bucket, id: id, part: part)
            }
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        // The part's ETag in the XML (S3, OBS) and in the ETag header (OSS: oss2 reads the header).
        var response = xmlResponse(
            "<CopyPartResult><LastModified>\(xmlTime(part.lastModified))</LastModified><ETag>&quot;\(storage.formatETag(part.md5))&quot;</ETag></CopyPartResult>"
        )
        response.headers[.eTag] = "\"\(storage.formatETag(part.md5))\""
        if flavor == .oss { response.headers[HTTPField.Name("x-oss-hash-crc64ecma")!] = String(part.crc64) }
        return response
    }

    func complete(_ bucket: String, _ key: String, _ id: String, _ request: IncomingRequest, _ body: RequestBody)
        async throws(Refusal) -> Response
    {
        let upload = try requireUpload(bucket, id)
        try checkOverwrite(bucket, key, request)
        // 10,000 parts of about 100 bytes each: a larger body is not a part list.
        let document = try await xmlBody(body, limit: 4 << 20, what: "CompleteMultipartUpload body")
        let stored = Dictionary(storage.parts(bucket: bucket, id: id).map { ($0.number, $0) }, uniquingKeysWith: { $1 })
        var chosen: [PartRecord] = []
        for entry in document.all("Part") {
            guard let number = entry["PartNumber"].flatMap({ Int($0) }), let etag = entry["ETag"] else {
                throw Refusal(status: 400, code: "MalformedXML", message: "a Part lacks PartNumber or ETag")
            }
            guard chosen.last.map({ $0.number < number }) ?? true else {
                throw Refusal(
                    status: 400, code: "InvalidPartOrder", message: "The list of parts was not in ascending order.")
            }
            guard let part = stored[number],
                etag.replacing("\"", with: "").lowercased() == part.md5
            else {
                throw Refusal(
                    status: 400, code: "InvalidPart",
                    message:
                        "One or more of the specified parts could not be found or the ETag did not match (part \(number))"
                )
            }
            chosen.append(part)
        }
        guard !chosen.isEmpty else {
            throw Refusal(status: 400, code: "MalformedXML", message: "the part list is empty")
        }
        for part in chosen.dropLast() where part.size < minimumPartSize {
            throw Refusal(
                status: 400, code: "EntityTooSmall",
                message:
                    "Your proposed upload is smaller than the minimum allowed object size (part \(part.number): \(part.size) bytes)"
            )
        }
        let object: StoredObject
        do {
            let output = try storage.temporaryFile(bucket)
            var offset: Int64 = 0
            var crc: UInt64 = 0
            for part in chosen {
                let data = try OpenFile.forReading(storage.partDataPath(bucket: bucket, id: id, number: part.number))
                // In the kernel (copy_file_range), as a store assembles parts without reading them back.
                let start = part.dataOffset ?? 0
                var done: Int64 = 0
                while done < part.size {
                    var from = start + done
                    var to = offset + done
                    let n = phonepack_copy_file_range(
                        data.descriptor, &from, output.descriptor, &to, UInt(part.size - done))
                    guard n > 0 else { break }
                    done += Int64(n)
                }
                try data.forEachBlock(offset: start + done, length: part.size - done) {
                    (block) throws(PhonePackError) in
                    try output.writeAll(block, atAbsoluteOffset: offset + done)
                    done += Int64(block.count)
                }
                crc = offset == 0 ? part.crc64 : CRC64.combine(crc, part.crc64, secondLength: part.size)
                offset += part.size
            }
            let etag = Digest.multipartETag(partMD5s: chosen.map { [UInt8](hexString: $0.md5) ?? [] })
            object = StoredObject(
                key: key, size: offset, etag: storage.formatETag(etag), crc64: crc, contentType: upload.contentType,
                metadata: upload.metadata, lastModified: CloudTime.now(), attributes: upload.attributes)
            try storage.commit(temporary: output.path, bucket: bucket, object: object)
        } catch {
            throw Refusal(status: 500, code: "InternalError", message: "\(error)")
        }
        storage.removeUpload(bucket: bucket, id: id)
        var response = xmlResponse(
            "<CompleteMultipartUploadResult><Location>/\(xmlEscape(bucket))/\(xmlEscape(key))</Location>"
                + "<Bucket>\(xmlEscape(bucket))</Bucket><Key>\(xmlEscape(key))</Key>"
                + "<ETag>&quot;\(object.etag)&quot;</ETag></CompleteMultipartUploadResult>")
        if flavor == .oss { response.headers[HTTPField.Name("x-oss-hash-crc64ecma")!] = String(object.crc64) }
        return response
    }

    func listParts(_ bucket: String, _ key: String, _ id: String, _ request: IncomingRequest) throws(Refusal)
        -> Response
    {
        _ = try requireUpload(bucket, id)
        let marker = Int(request.queryValue("part-number-marker") ?? "") ?? 0
        let maxParts = min(Int(request.queryValue("max-parts") ?? "") ?? 1000, 1000)
        let parts = storage.parts(bucket: bucket, id: id).filter { $0.number > marker }
        let page = parts.prefix(maxParts)
        var xml = "<ListPartsResult><Bucket>\(xmlEscape(bucket))</Bucket><Key>\(xmlEscape(key))</Key>"
        xml += "<UploadId>\(id)</UploadId><PartNumberMarker>\(marker)</PartNumberMarker>"
        xml += "<MaxParts>\(maxParts)</MaxParts><IsTruncated>\(parts.count > maxParts)</IsTruncated>"
        // Always there, as S3, OBS and OSS send it (oss2 requires it): the last part of this page.
        xml += "<NextPartNumberMarker>\(page.last?.number ?? marker)</NextPartNumberMarker>"
        for part in page {
            xml += "<Part><PartNumber>\(part.number)</PartNumber>"
            xml += "<LastModified>\(xmlTime(part.lastModified))</LastModified>"
            xml += "<ETag>&quot;\(storage.formatETag(part.md5))&quot;</ETag><Size>\(part.size)</Size></Part>"
        }
        return xmlResponse(xml + "</ListPartsResult>")
    }

    func listUploads(_ bucket: String, _ request: IncomingRequest) -> Response {
        let prefix = request.queryValue("prefix") ?? ""
        var xml = "<ListMultipartUploadsResult><Bucket>\(xmlEscape(bucket))</Bucket>"
        xml += "<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
        xml += "<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker>"
        xml += "<Prefix>\(xmlEscape(prefix))</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
        for (id, record) in storage.uploads(bucket: bucket) where record.key.hasPrefix(prefix) {
            xml += "<Upload><Key>\(xmlEscape(record.key))</Key><UploadId>\(id)</UploadId>"
            xml += "<Initiated>\(xmlTime(record.initiated))</Initiated></Upload>"
        }
        return xmlResponse(xml + "</ListMultipartUploadsResult>")
    }
}
