import PhonePackCore
import Synchronization

/// `phonepack cp SRC DST` between object URLs.
extension ObjectTransfer {
    /// Copies `sourceKey` from `source` to `key` in this transfer's store. Within one store (same service
    /// endpoint) the store copies it (CopyObject: no byte passes through here; up to 5 GiB, the single-call
    /// limit). Between stores the bytes stream through memory — ranges read whole and length-checked, parts
    /// sent as they fill, (jobs + 1) parts held at most, no temporary file — and the source's checksums (size,
    /// SHA-256 metadata or sidecar, MD5 ETag, CRC-64) are checked before the upload is completed: a mismatch
    /// aborts it, so nothing wrong is ever stored. The SHA-256 goes with the copy (metadata or `KEY.sha256`).
    public func copy(from source: ObjectStoreClient, _ sourceKey: String, to key: String) throws(PhonePackError)
        -> TransferSummary
    {
        let started = CloudTime.monotonicSeconds()
        let retriesBefore = store.client.retries
        let info = try source.head(sourceKey)
        let sourceName = "\(source.endpoint.store.rawValue)://\(source.bucket)/\(sourceKey)"
        let name = store.url(key)
        if source.endpoint.store == store.endpoint.store, source.endpoint.host == store.endpoint.host {
            // One CopyObject up to 5 GiB (its limit) or the --part-size asked for; above, UploadPartCopy of ranges.
            if info.size <= (settings.partSize ?? PartSizing.maximum) {
                try store.copyObject(
                    from: source.bucket, sourceKey, to: key, properties: settings.properties, info: info)
                return summary(
                    "copy", sourceName, name, info.size, started, retriesBefore: retriesBefore, parts: 0,
                    sha256: info.metadata["sha256"])
            }
            let parts = try copyInParts(from: source.bucket, sourceKey, info: info, to: key)
            return summary(
                "copy", sourceName, name, info.size, started, retriesBefore: retriesBefore, parts: parts,
                sha256: info.metadata["sha256"])
        }
        let expectedSHA256 =
            settings.sha256 ?? info.metadata["sha256"] ?? (try? source.sidecarSHA256(of: sourceKey)) ?? nil
        let rangeSize = settings.partSize ?? PartSizing.preferred
        let upload = try MultipartStreamUpload(
            store: store, key: key, name: name, estimatedSize: info.size, jobs: settings.jobs, partSize: rangeSize,
            properties: copiedProperties(info), progress: progress)
        let reader = ObjectTransfer(store: source, settings: settings)
        let state = StreamState()
        do throws(PhonePackError) {
            while state.written < info.size {
                let range = state.written...min(info.size, state.written + rangeSize) - 1
                let chunk = try reader.fetch(sourceKey, range: range, etag: info.etag, name: sourceName)
                try upload.write(bytes: chunk.bytes)
                state.add(chunk)
            }
            let sha256 = state.sha256.finalize().hexString
            let problems = state.problems(size: info.size, info: info, expectedSHA256: expectedSHA256, sha256: sha256)
            guard problems.isEmpty else {
                throw PhonePackError(
                    .checkFailed, operation: "cp", path: sourceName,
                    message:
                        "the bytes read do not match the object: \(problems.joined(separator: ", ")); nothing was stored"
                )
            }
            try upload.finish(sha256: sha256, size: info.size)
            return summary(
                "copy", sourceName, name, info.size, started, retriesBefore: retriesBefore,
                parts: Int((info.size + rangeSize - 1) / rangeSize), sha256: sha256)
        } catch {
            upload.abandon()
            throw error
        }
    }
}

extension ObjectTransfer {
    /// A copy within one store too large for CopyObject (or split by --part-size): a multipart upload whose parts
    /// the store copies from byte ranges of the source (UploadPartCopy), `jobs` at a time; no byte passes through
    /// here. The content type and metadata (the SHA-256) go with it; the result's size is checked, and a failure
    /// aborts the upload. Returns the number of parts.
    func copyInParts(from sourceBucket: String, _ sourceKey: String, info: ObjectInfo, to key: String)
        throws(PhonePackError) -> Int
    {
        let partSize = try PartSizing.choose(size: info.size, requested: settings.partSize)
        let count = Int((info.size + partSize - 1) / partSize)
        let properties = copiedProperties(info)
        let id = try store.initiateMultipart(
            key, properties: properties,
            metadata: properties.replacesHeaders ? info.metadata.filter { $0.key == "sha256" } : info.metadata)
        let done = Mutex<[Int: UploadedPart]>([:])
        let outcome = forEachInParallel(Array(1...count)) { (client, number) throws(PhonePackError) in
            let offset = Int64(number - 1) * partSize
            let part = try client.uploadPartCopy(
                key, uploadID: id, number: number, from: sourceBucket, sourceKey,
                range: offset...min(info.size, offset + partSize) - 1)
            done.withLock { $0[number] = part }
        }
        do throws(PhonePackError) {
            if let failure = outcome.failure { throw failure }
            let parts = done.withLock { $0 }.values.sorted { $0.number < $1.number }
            _ = try store.completeMultipart(key, uploadID: id, parts: parts, noClobber: properties.noClobber)
            let stored = try store.head(key)
            guard stored.size == info.size else {
                throw PhonePackError(
                    .checkFailed, operation: "cp", path: store.url(key),
                    message: "the copy has \(stored.size) bytes, the source \(info.size)")
            }
        } catch {
            try? store.abortMultipart(key, uploadID: id)
            throw error
        }
        return count
    }
}

extension ObjectTransfer {
    /// What a copy stores with the object: the properties asked for, else the source's content type.
    func copiedProperties(_ info: ObjectInfo) -> ObjectProperties {
        var properties = settings.properties
        if properties.contentType == nil { properties.contentType = info.contentType }
        return properties
    }
}

extension ObjectStoreClient {
    /// UploadPartCopy: part `number` of an upload to `key`, copied by the store from `range` of
    /// `sourceBucket/sourceKey`.
    func uploadPartCopy(
        _ key: String, uploadID: String, number: Int, from sourceBucket: String, _ sourceKey: String,
        range: ClosedRange<Int64>
    ) throws(PhonePackError) -> UploadedPart {
        var request = request("PUT", key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)])
        let header = metaPrefix.replacing("meta-", with: "copy-source")
        request.setHeader(header, "/\(sourceBucket)/\(PercentEncoding.encode(sourceKey, keepingSlash: true))")
        request.setHeader(header + "-range", "bytes=\(range.lowerBound)-\(range.upperBound)")
        let response = try send(request, key: key, idempotent: true)
        let answer = try xml(response, key: key)
        guard answer["Code"] == nil, let etag = answer["ETag"] else {
            throw PhonePackError(
                .service, operation: "copy part \(number)", path: "\(bucket)/\(key)",
                message: "the store answered \(answer["Code"] ?? "no ETag") to the part copy")
        }
        let md5 = etag.replacing("\"", with: "").lowercased()
        return UploadedPart(number: number, size: Int64(range.count), etag: etag, md5: md5, crc64: nil)
    }

    /// CopyObject within this store: `sourceBucket/sourceKey` to `key` in this bucket, headers and metadata kept —
    /// unless `properties` asks for others: then they replace the source's (REPLACE), its SHA-256 kept.
    public func copyObject(
        from sourceBucket: String, _ sourceKey: String, to key: String,
        properties: ObjectProperties = ObjectProperties(), info: ObjectInfo? = nil
    ) throws(PhonePackError) {
        if properties.noClobber && endpoint.store == .obs && (try? head(key)) != nil { throw Self.exists(url(key)) }
        var request = request("PUT", key: key)
        let header = vendorPrefix + "copy-source"
        request.setHeader(header, "/\(sourceBucket)/\(PercentEncoding.encode(sourceKey, keepingSlash: true))")
        if properties.replacesHeaders {
            var replacing = properties
            if replacing.contentType == nil { replacing.contentType = info?.contentType }
            request.setHeader(vendorPrefix + "metadata-directive", "REPLACE")
            apply(replacing, extra: (info?.metadata ?? [:]).filter { $0.key == "sha256" }, to: &request)
        } else if properties.noClobber {
            forbidOverwrite(&request)
        }
        let response: ServiceResponse
        do {
            response = try send(request, key: key, idempotent: true)
        } catch  where properties.noClobber && error.isRefusedOverwrite {
            throw Self.exists(url(key), error)
        }
        // A copy can fail after a 200 (S3 documents it): the body then holds an Error, not a CopyObjectResult.
        let answer = try xml(response, key: key)
        if let code = answer["Code"] {
            throw PhonePackError(
                .service, operation: "copy", path: "\(bucket)/\(key)", message: "the store answered \(code) to the copy"
            )
        }
    }
}
