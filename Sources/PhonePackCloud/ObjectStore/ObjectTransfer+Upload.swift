import Glibc
import PhonePackCore
import Synchronization

/// A file that was written while it was being uploaded: the cause of the error, after which nothing of it is
/// stored (the object is removed, the multipart upload aborted).
public struct FileChangedDuringTransfer: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var description: String { "\(path) changed while it was read" }
}

extension PhonePackError {
    public var isFileChanged: Bool { cause is FileChangedDuringTransfer }
}

extension ObjectTransfer {
    /// Uploads `path` to `key`: one PUT up to one part's size, else a resumable multipart upload. A FIFO or other
    /// special file is refused without being opened for a blocking read.
    public func upload(file path: String, to key: String) throws(PhonePackError) -> TransferSummary {
        let source = try OpenFile.forReadingRegular(path)
        return try upload(opened: source, status: source.status(), to: key)
    }

    /// Uploads an open regular file. `status` is what the file was when its digests (`settings.sha256`,
    /// `settings.md5`) were taken; if its size, times or inode differ after the last byte is sent, the file was
    /// written meanwhile and the object would not match its own metadata: it is removed (a multipart upload is
    /// aborted before it is completed) and the error says so (``PhonePackError/isFileChanged``).
    public func upload(opened source: OpenFile, status: FileStatus, to key: String) throws(PhonePackError)
        -> TransferSummary
    {
        let started = CloudTime.monotonicMilliseconds()
        let path = source.path
        guard status.isRegular else {
            throw PhonePackError(.invalidInput, operation: "upload", path: path, message: "is not a regular file")
        }
        let partSize = try PartSizing.choose(size: status.size, requested: settings.partSize)
        progress.total.store(status.size, ordering: .relaxed)
        var metadata: [String: String] = [:]
        if let sha256 = settings.sha256 { metadata["sha256"] = sha256 }
        let properties = settings.properties.typed(for: path)
        var summary = TransferSummary(
            operation: "upload", source: path, destination: store.url(key), bytes: status.size, seconds: 0,
            mibPerSecond: 0, multipart: status.size > partSize, parts: 1, resumedParts: 0, retries: 0,
            sha256: settings.sha256)

        if status.size <= partSize {
            let result: (etag: String?, crc64: UInt64?)
            do throws(PhonePackError) {
                result = try store.put(
                    key, body: .file(source, offset: 0, length: status.size), properties: properties,
                    metadata: metadata, md5: settings.md5.flatMap { [UInt8](hexString: $0) },
                    progress: { [progress] sent, _ in
                        progress.add(sent - progress.done.load(ordering: .relaxed))
                        return true
                    })
            } catch {
                // Refused because the bytes sent were not the ones hashed: the file was being written.
                throw try changedSince(status, source) ?? error
            }
            summary.etag = ETagCoding.encode(result.etag)
            summary.crc64 = result.crc64.map { String($0) }
            summary.retries = store.client.retries
            if let changed = try changedSince(status, source) {
                try? store.delete(key)
                throw changed
            }
        } else {
            try uploadParts(
                source: source, status: status, key: key, partSize: partSize, properties: properties,
                metadata: metadata, summary: &summary)
        }
        progress.done.store(status.size, ordering: .relaxed)
        summary.seconds = Double(CloudTime.monotonicMilliseconds() - started) / 1000
        summary.mibPerSecond = summary.seconds > 0 ? Double(status.size) / 1_048_576 / summary.seconds : 0
        return summary
    }

    /// The error for a file that is not what it was when its upload started (size, times or inode), else nil.
    func changedSince(_ status: FileStatus, _ source: OpenFile) throws(PhonePackError) -> PhonePackError? {
        guard !(try source.status()).isUnchanged(status) else { return nil }
        return PhonePackError(
            .checkFailed, operation: "upload", path: source.path,
            message:
                "changed while it was uploaded, so the object would not match its SHA-256 and size; nothing of it was kept: upload it again once nothing writes to it",
            cause: FileChangedDuringTransfer(path: source.path))
    }

    private func uploadParts(
        source: OpenFile, status: FileStatus, key: String, partSize: Int64, properties: ObjectProperties,
        metadata: [String: String], summary: inout TransferSummary
    ) throws(PhonePackError) {
        let path = source.path
        let absolute = path.hasPrefix("/") ? path : joinPath(currentDirectory(), path)
        let journal = TransferJournal<UploadJournalHeader, UploadedPart>(
            directory: settings.stateDirectory, identity: "upload|\(endpointName)|\(store.bucket)|\(key)|\(absolute)")
        var partSize = partSize
        var uploadID: String?
        var finished: [Int: UploadedPart] = [:]

        if let (header, entries) = journal.load() {
            let sameFile =
                header.size == status.size && header.mtimeNanoseconds == status.modified.fingerprint
                && header.inode == status.inode
            if !sameFile || (settings.partSize != nil && settings.partSize != header.partSize) {
                notice?(
                    sameFile
                        ? "--part-size differs from the interrupted upload's; starting over"
                        : "\(path) changed since the interrupted upload; starting over")
                try? store.abortMultipart(key, uploadID: header.uploadID)
                journal.remove()
            } else {
                do {
                    // The server's part list is the truth; the journal only says which MD5 each part had.
                    let stored = try store.listParts(key, uploadID: header.uploadID)
                    let onServer = Dictionary(stored.map { ($0.number, $0) }, uniquingKeysWith: { $1 })
                    for entry in entries {
                        if let part = onServer[entry.number], part.size == entry.size,
                            ObjectStoreClient.plainMD5(part.etag) ?? part.etag == entry.md5
                                || part.etag == entry.etag
                        {
                            finished[entry.number] = entry
                        }
                    }
                    uploadID = header.uploadID
                    partSize = header.partSize
                    summary.resumedParts = finished.count
                    notice?(
                        "resuming upload \(header.uploadID): \(finished.count) of \((status.size + partSize - 1) / partSize) parts already stored"
                    )
                } catch  where error.isNotFound {
                    notice?("the interrupted upload is no longer on the server; starting over")
                    journal.remove()
                }
            }
        }
        let count = Int((status.size + partSize - 1) / partSize)
        if uploadID == nil {
            let id = try store.initiateMultipart(key, properties: properties, metadata: metadata)
            try journal.start(
                UploadJournalHeader(
                    endpoint: endpointName, bucket: store.bucket, key: key, file: absolute, size: status.size,
                    mtimeNanoseconds: status.modified.fingerprint, inode: status.inode, partSize: partSize, uploadID: id
                ))
            uploadID = id
        }
        let id = uploadID!
        let alreadyStored = finished.values.reduce(Int64(0)) { $0 + $1.size }
        progress.done.store(alreadyStored, ordering: .relaxed)

        let pending = (1...count).filter { finished[$0] == nil }
        let stored = Mutex(finished)
        let progress = self.progress
        let size = status.size
        let chosenPartSize = partSize
        let sourceBox = UncheckedSendable(source)
        let journalBox = UncheckedSendable(journal)
        let range: @Sendable (Int) -> (offset: Int64, length: Int64) = { number in
            let offset = Int64(number - 1) * chosenPartSize
            return (offset, min(chosenPartSize, size - offset))
        }
        // Without CRC-64s to compute (OBS, S3), eight-lane MD5 ahead of the workers is the cheapest way to the
        // Content-MD5s; OSS needs the CRC-64 pass over each part anyway.
        let ahead =
            !store.checksCRC64 && MultiMD5.isAccelerated
            ? PartMD5Ahead(file: source, ranges: pending.map(range), jobs: settings.jobs) : nil
        defer { ahead?.finish() }
        let position = Dictionary(uniqueKeysWithValues: pending.enumerated().map { ($1, $0) })
        let outcome = forEachInParallel(pending) { (client, number) throws(PhonePackError) in
            let (offset, length) = range(number)
            var sent: Int64 = 0
            do throws(PhonePackError) {
                let sums =
                    if let ahead {
                        RangeDigests(md5: try ahead.md5(position[number]!))
                    } else {
                        try RangeDigests.compute(
                            file: sourceBox.value, offset: offset, length: length, md5: true, crc64: client.checksCRC64)
                    }
                let part = try client.uploadPart(
                    key, uploadID: id, number: number,
                    body: .file(sourceBox.value, offset: offset, length: length), md5: sums.md5!,
                    crc64: sums.crc64,
                    progress: { up, _ in
                        progress.add(up - sent)
                        sent = up
                        return true
                    })
                progress.done.add(length - sent, ordering: .relaxed)
                try stored.withLock { (parts) throws(PhonePackError) in
                    parts[number] = part
                    try journalBox.value.append(part)
                }
            } catch {
                progress.done.subtract(sent, ordering: .relaxed)
                throw error
            }
        }
        let storedParts = stored.withLock { $0 }
        summary.retries = outcome.retries
        summary.parts = count
        // A part the store refused (BadDigest: read after its MD5) or all of them: either way, a file written
        // meanwhile is not resumed or completed.
        if let changed = try changedSince(status, source) {
            try? store.abortMultipart(key, uploadID: id)
            journal.remove()
            throw changed
        }
        if var failure = outcome.failure {
            failure.message +=
                "; \(storedParts.count) of \(count) parts are stored: run the same command again to resume"
            throw failure
        }
        let checked = try store.completeAndCheck(
            key, uploadID: id, parts: (1...count).map { storedParts[$0]! }, size: status.size,
            noClobber: properties.noClobber)
        journal.remove()
        summary.etag = ETagCoding.encode(checked.info.etag ?? checked.etag)
        summary.crc64 = checked.crc64.map { String($0) }
    }
}
