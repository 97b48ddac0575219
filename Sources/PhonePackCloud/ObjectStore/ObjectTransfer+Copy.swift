import PhonePackCore

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
        let name = "\(store.endpoint.store.rawValue)://\(store.bucket)/\(key)"
        if source.endpoint.store == store.endpoint.store, source.endpoint.host == store.endpoint.host,
            info.size <= PartSizing.maximum
        {
            try store.copyObject(from: source.bucket, sourceKey, to: key)
            return summary(
                "copy", sourceName, name, info.size, started, retriesBefore: retriesBefore, parts: 0,
                sha256: info.metadata["sha256"])
        }
        let expectedSHA256 =
            settings.sha256 ?? info.metadata["sha256"] ?? (try? source.sidecarSHA256(of: sourceKey)) ?? nil
        let rangeSize = settings.partSize ?? PartSizing.preferred
        let upload = try MultipartStreamUpload(
            store: store, key: key, name: name, estimatedSize: info.size, jobs: settings.jobs, partSize: rangeSize,
            contentType: info.contentType ?? "application/octet-stream", progress: progress)
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

extension ObjectStoreClient {
    /// CopyObject within this store: `sourceBucket/sourceKey` to `key` in this bucket, metadata kept.
    public func copyObject(from sourceBucket: String, _ sourceKey: String, to key: String) throws(PhonePackError) {
        var request = request("PUT", key: key)
        let header = metaPrefix.replacing("meta-", with: "copy-source")
        request.setHeader(header, "/\(sourceBucket)/\(PercentEncoding.encode(sourceKey, keepingSlash: true))")
        let response = try send(request, key: key, idempotent: true)
        // A copy can fail after a 200 (S3 documents it): the body then holds an Error, not a CopyObjectResult.
        let answer = try xml(response, key: key)
        if let code = answer["Code"] {
            throw PhonePackError(
                .service, operation: "copy", path: "\(bucket)/\(key)", message: "the store answered \(code) to the copy"
            )
        }
    }
}
