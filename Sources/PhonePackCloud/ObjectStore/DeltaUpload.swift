import PhonePackCore
import Synchronization

/// How a new tar is assembled in the store from a previous one: each part either copied by the store from a range
/// of the previous object (UploadPartCopy: no byte crosses the network) or sent from the local file.
public struct DeltaPlan: Codable, Sendable, Equatable {
    public struct Part: Codable, Sendable, Equatable {
        public var number: Int
        /// The part's bytes in the new tar.
        public var offset: Int64
        public var length: Int64
        /// Where the same bytes are in the base object, for a copied part; `nil` for a sent one.
        public var baseOffset: Int64?
    }

    public var parts: [Part]
    public var sentBytes: Int64 { parts.filter { $0.baseOffset == nil }.reduce(0) { $0 + $1.length } }
    public var copiedBytes: Int64 { parts.filter { $0.baseOffset != nil }.reduce(0) { $0 + $1.length } }

    /// Matches every entry of `new` whose exact bytes (the range's length and SHA-256) the base holds, joins
    /// neighbours that are neighbours in the base too into runs, and cuts the file into parts the store accepts:
    /// every part but the last at least `minimumPart`, sent parts at most `sendPart`, copied parts at most
    /// `copyPart`. A run too short to be a part of its own is sent; a short sent stretch borrows the first bytes of
    /// the run after it (identical bytes, sent instead of copied) to reach the minimum.
    public static func make(
        new: TarLayout, base: TarLayout, minimumPart: Int64, sendPart: Int64, copyPart: Int64 = 128 << 20
    ) -> DeltaPlan {
        var byContent: [String: Int64] = [:]
        for entry in base.entries { byContent[entry.sha256 + ":" + String(entry.end - entry.offset)] = entry.offset }
        // Segments covering [0, size) of the new tar: copies (with their base offset) and sends.
        var segments: [(offset: Int64, length: Int64, base: Int64?)] = []
        func add(_ offset: Int64, _ length: Int64, _ base: Int64?) {
            guard length > 0 else { return }
            if let last = segments.last, last.offset + last.length == offset {
                switch (last.base, base) {
                case (nil, nil):
                    segments[segments.count - 1].length += length
                    return
                case (let a?, let b?) where a + last.length == b:
                    segments[segments.count - 1].length += length
                    return
                default:
                    break
                }
            }
            segments.append((offset, length, base))
        }
        var position: Int64 = 0
        for entry in new.entries {
            add(position, entry.offset - position, nil)
            add(
                entry.offset, entry.end - entry.offset, byContent[entry.sha256 + ":" + String(entry.end - entry.offset)]
            )
            position = entry.end
        }
        add(position, new.size - position, nil)

        // Cut into parts.
        var parts: [Part] = []
        var pending: (offset: Int64, length: Int64)?  // bytes to send, not yet cut
        func flushSend() {
            guard let stretch = pending, stretch.length > 0 else { return }
            var count = max(1, (stretch.length + sendPart - 1) / sendPart)
            // Equal parts, none under the minimum (only possible short: a last part of the whole file).
            while count > 1 && stretch.length / count < minimumPart { count -= 1 }
            var offset = stretch.offset
            for index in 0..<count {
                let length = index == count - 1 ? stretch.offset + stretch.length - offset : stretch.length / count
                parts.append(Part(number: parts.count + 1, offset: offset, length: length, baseOffset: nil))
                offset += length
            }
            pending = nil
        }
        for (index, segment) in segments.enumerated() {
            var segment = segment
            guard let base = segment.base else {
                pending = pending.map { ($0.offset, $0.length + segment.length) } ?? (segment.offset, segment.length)
                continue
            }
            // A short stretch waiting to be sent takes the first bytes of this run.
            if let stretch = pending, stretch.length < minimumPart {
                let borrow = minimumPart - stretch.length
                if segment.length - borrow >= minimumPart {
                    pending = (stretch.offset, minimumPart)
                    segment = (segment.offset + borrow, segment.length - borrow, base + borrow)
                } else {
                    pending = (stretch.offset, stretch.length + segment.length)
                    continue
                }
            }
            // A run too short for a part of its own (unless it ends the file) is sent.
            if segment.length < minimumPart && index < segments.count - 1 {
                pending = pending.map { ($0.offset, $0.length + segment.length) } ?? (segment.offset, segment.length)
                continue
            }
            flushSend()
            var count = max(1, (segment.length + copyPart - 1) / copyPart)
            while count > 1 && segment.length / count < minimumPart { count -= 1 }
            var offset = segment.offset
            for part in 0..<count {
                let length = part == count - 1 ? segment.offset + segment.length - offset : segment.length / count
                parts.append(
                    Part(
                        number: parts.count + 1, offset: offset, length: length,
                        baseOffset: segment.base! + (offset - segment.offset)))
                offset += length
            }
        }
        flushSend()
        return DeltaPlan(parts: parts)
    }
}

/// What a delta upload did, beside the usual summary.
public struct DeltaSummary: Codable, Sendable {
    public var base: String
    public var sentBytes: Int64
    public var copiedBytes: Int64
    /// Copied parts whose bytes the store reported differently from the local file's: sent again instead.
    public var resentParts: Int
}

/// What a delta upload's journal header pins down.
struct DeltaJournalHeader: Codable, Equatable, Sendable {
    var kind = "delta"
    var bucket: String
    var key: String
    var file: String
    var size: Int64
    var mtime: Int64
    var inode: UInt64
    var base: String
    /// The local tar's SHA-256: another tar under the same name is another upload.
    var sha256: String
    var uploadID: String
}

extension ObjectTransfer {
    /// Uploads the tar at `path` (laid out as `layout`) to `key` as `plan` says: sent parts from the file, copied
    /// parts from `baseKey` in `baseBucket` of this store. Each copied part's MD5 as the store reports it must be
    /// the MD5 of the same bytes of the local file, or the part is sent instead; the object is checked whole when
    /// complete (size, multipart ETag, CRC-64 on OSS) and carries the local tar's SHA-256. Interrupted, the same
    /// call resumes: the journal and the server's part list say which parts are stored.
    public func uploadDelta(
        file path: String, plan: DeltaPlan, sha256: String, baseBucket: String, baseKey: String, to key: String
    ) throws(PhonePackError) -> (summary: TransferSummary, delta: DeltaSummary) {
        let started = CloudTime.monotonicMilliseconds()
        let source = try OpenFile.forReadingRegular(path)
        let status = try source.status()
        let baseName = "\(store.endpoint.store.rawValue)://\(baseBucket)/\(baseKey)"
        let absolute = path.hasPrefix("/") ? path : joinPath(currentDirectory(), path)
        let journal = TransferJournal<DeltaJournalHeader, UploadedPart>(
            directory: settings.stateDirectory, identity: "delta|\(endpointName)|\(store.bucket)|\(key)|\(absolute)")
        let properties = settings.properties.typed(for: path)
        var header = DeltaJournalHeader(
            bucket: store.bucket, key: key, file: absolute, size: status.size, mtime: status.modified.fingerprint,
            inode: status.inode, base: baseName, sha256: sha256, uploadID: "")
        var finished: [Int: UploadedPart] = [:]
        if let (saved, entries) = journal.load() {
            var expected = saved
            expected.uploadID = header.uploadID
            if expected == header, let stored = try? store.listParts(key, uploadID: saved.uploadID) {
                let onServer = Dictionary(stored.map { ($0.number, $0) }, uniquingKeysWith: { $1 })
                for entry in entries {
                    if let part = onServer[entry.number], part.size == entry.size,
                        (ObjectStoreClient.plainMD5(part.etag) ?? part.etag) == entry.md5 || part.etag == entry.etag
                    {
                        finished[entry.number] = entry
                    }
                }
                header.uploadID = saved.uploadID
                notice?(
                    "resuming delta upload \(saved.uploadID): \(finished.count) of \(plan.parts.count) parts stored")
            } else {
                try? store.abortMultipart(key, uploadID: saved.uploadID)
                journal.remove()
            }
        }
        if header.uploadID.isEmpty {
            header.uploadID = try store.initiateMultipart(key, properties: properties, metadata: ["sha256": sha256])
            try journal.start(header)
        }
        let id = header.uploadID
        progress.total.store(status.size, ordering: .relaxed)
        progress.done.store(finished.values.reduce(0) { $0 + $1.size }, ordering: .relaxed)
        let stored = Mutex(finished)
        let resent = Mutex((parts: 0, bytes: Int64(0)))
        let box = UncheckedSendable((source, journal))
        let progress = self.progress
        let byNumber = Dictionary(uniqueKeysWithValues: plan.parts.map { ($0.number, $0) })
        // Sent and copied parts taken in turns: the sent ones wait on the network (and --limit-rate), the copied
        // ones on the store, so both go on at once.
        let waiting = plan.parts.filter { finished[$0.number] == nil }
        let sends = waiting.filter { $0.baseOffset == nil }.map(\.number)
        let copies = waiting.filter { $0.baseOffset != nil }.map(\.number)
        var pending: [Int] = []
        for index in 0..<max(sends.count, copies.count) {
            if index < sends.count { pending.append(sends[index]) }
            if index < copies.count { pending.append(copies[index]) }
        }
        // Every part's MD5 (a copied one's too, to check what the store copied), eight at a time ahead of the
        // workers where the CPU has the lanes and no CRC-64 is wanted (OBS, S3).
        let ahead =
            !store.checksCRC64 && MultiMD5.isAccelerated
            ? PartMD5Ahead(
                file: source, ranges: pending.map { (byNumber[$0]!.offset, byNumber[$0]!.length) }, jobs: settings.jobs)
            : nil
        defer { ahead?.finish() }
        let position = Dictionary(uniqueKeysWithValues: pending.enumerated().map { ($1, $0) })
        let outcome = forEachInParallel(pending) { (client, number) throws(PhonePackError) in
            let part = byNumber[number]!
            let (file, journal) = box.value
            let sums =
                if let ahead {
                    RangeDigests(md5: try ahead.md5(position[number]!))
                } else {
                    try RangeDigests.compute(
                        file: file, offset: part.offset, length: part.length, md5: true, crc64: client.checksCRC64)
                }
            var uploaded: UploadedPart?
            if let baseOffset = part.baseOffset {
                var copied = try client.uploadPartCopy(
                    key, uploadID: id, number: number, from: baseBucket, baseKey,
                    range: baseOffset...(baseOffset + part.length - 1))
                if copied.md5 == sums.md5!.hexString {
                    copied.crc64 = sums.crc64
                    uploaded = copied
                } else {
                    // The base's bytes are not the local file's: this part is sent instead (same number).
                    resent.withLock {
                        $0.parts += 1
                        $0.bytes += part.length
                    }
                }
            }
            if uploaded == nil {
                var sent: Int64 = 0
                do throws(PhonePackError) {
                    uploaded = try client.uploadPart(
                        key, uploadID: id, number: number, body: .file(file, offset: part.offset, length: part.length),
                        md5: sums.md5!, crc64: sums.crc64,
                        progress: { up, _ in
                            progress.add(up - sent)
                            sent = up
                            return true
                        })
                } catch {
                    progress.done.subtract(sent, ordering: .relaxed)
                    throw error
                }
                progress.add(part.length - sent)
            } else {
                progress.addCopied(part.length)
            }
            try stored.withLock { (parts) throws(PhonePackError) in
                parts[number] = uploaded!
                try journal.append(uploaded!)
            }
        }
        if let changed = try changedSince(status, source) {
            try? store.abortMultipart(key, uploadID: id)
            journal.remove()
            throw changed
        }
        let parts = stored.withLock { $0 }
        if var failure = outcome.failure {
            failure.message +=
                "; \(parts.count) of \(plan.parts.count) parts are stored: run the same command again to resume"
            throw failure
        }
        let checked = try store.completeAndCheck(
            key, uploadID: id, parts: plan.parts.map { parts[$0.number]! }, size: status.size,
            noClobber: properties.noClobber)
        journal.remove()
        let seconds = Double(CloudTime.monotonicMilliseconds() - started) / 1000
        var summary = TransferSummary(
            operation: "upload", source: path, destination: store.url(key), bytes: status.size, seconds: seconds,
            mibPerSecond: seconds > 0 ? Double(status.size) / 1_048_576 / seconds : 0, multipart: true,
            parts: plan.parts.count, resumedParts: finished.count, retries: outcome.retries, sha256: sha256)
        summary.etag = ETagCoding.encode(checked.info.etag ?? checked.etag)
        summary.crc64 = checked.crc64.map { String($0) }
        let again = resent.withLock { $0 }
        let delta = DeltaSummary(
            base: baseName, sentBytes: plan.sentBytes + again.bytes, copiedBytes: plan.copiedBytes - again.bytes,
            resentParts: again.parts)
        summary.delta = delta
        return (summary, delta)
    }
}

extension ObjectStoreClient {
    /// The same store and credentials, another bucket.
    public func inBucket(_ other: String) -> ObjectStoreClient {
        ObjectStoreClient(bucket: other, endpoint: endpoint, credentials: credentials, client: client.sibling())
    }

    /// Stores `layout` as `KEY.layout.json`, beside the tar it describes.
    public func putLayout(_ layout: TarLayout, beside key: String) throws(PhonePackError) {
        var json = ObjectProperties()
        json.contentType = "application/json"
        _ = try put(ObjectTransfer.layoutKey(key), body: .bytes(JSONCoding.encode(layout)), properties: json)
    }

    /// The smallest part a store takes but for the last: 100 KiB on OBS and OSS, 5 MiB on S3.
    var minimumPartSize: Int64 { endpoint.store == .s3 ? 5 << 20 : PartSizing.minimum }
}

extension ObjectTransfer {
    /// The name of the layout kept beside an uploaded tar.
    public static func layoutKey(_ key: String) -> String { key + ".layout.json" }

    /// Layouts larger than this are not read (a tar of a million entries has one of about 200 MB).
    static let layoutLimit = 256 << 20

    /// The layout stored beside `base`, if the object is still the one it describes (its size and SHA-256
    /// metadata); `nil`, with a notice saying why, when there is none or it no longer fits.
    public func storedLayout(of base: ObjectURL) -> TarLayout? {
        let client = base.bucket == store.bucket ? store : store.inBucket(base.bucket)
        guard let info = try? client.head(base.key) else {
            notice?("\(base) is not there: uploading whole")
            return nil
        }
        guard let bytes = try? client.getBytes(Self.layoutKey(base.key), limit: Self.layoutLimit),
            let layout = try? JSONCoding.decode(TarLayout.self, from: bytes)
        else {
            notice?("\(base) has no \(lastPathComponent(Self.layoutKey(base.key))) beside it: uploading whole")
            return nil
        }
        // The SHA-256 as metadata, or in KEY.sha256 for a tar uploaded as it was written.
        let stored = info.metadata["sha256"] ?? (try? client.sidecarSHA256(of: base.key)) ?? nil
        guard info.size == layout.size, stored == layout.sha256 else {
            notice?("\(base) changed since its layout was written: uploading whole")
            return nil
        }
        return layout
    }

    /// Uploads the tar at `path` (whose SHA-256 is `sha256`, computed here when not given) to `key`: as a delta
    /// against `base` when the base has a layout and shares bytes with it, else whole. With `keepLayout`, the tar's
    /// layout is stored beside it (`KEY.layout.json`) so the next version can be a delta against it.
    public func uploadTar(
        file path: String, sha256 known: String?, to key: String, base: ObjectURL?, keepLayout: Bool
    ) throws(PhonePackError) -> TransferSummary {
        let layout = try TarLayout.read(path, sha256: known)
        let sha256 = layout.sha256
        var summary: TransferSummary?
        if let base, base.scheme == store.endpoint.store, let baseLayout = storedLayout(of: base) {
            let partSize = try PartSizing.choose(size: layout.size, requested: settings.partSize)
            let plan = DeltaPlan.make(
                new: layout, base: baseLayout, minimumPart: store.minimumPartSize, sendPart: partSize)
            if plan.copiedBytes > 0 {
                summary = try uploadDelta(
                    file: path, plan: plan, sha256: sha256, baseBucket: base.bucket, baseKey: base.key, to: key
                ).summary
            } else {
                notice?("\(path) shares no run of bytes with \(base): uploading whole")
            }
        }
        if summary == nil {
            var whole = settings
            whole.sha256 = sha256
            summary = try sibling(store: store, settings: whole).upload(file: path, to: key)
        }
        if keepLayout { try store.putLayout(layout, beside: key) }
        return summary!
    }
}

extension ObjectTransfer {
    /// What an upload of `path` to `key` would send (`--dry-run`): with a base whose layout fits, the delta's
    /// parts, each sent or copied from where; else one whole upload. Reads the file and the base's layout only.
    public func plan(file path: String, to key: String, base: ObjectURL?) throws(PhonePackError) -> [String] {
        let size = try OpenFile.forReadingRegular(path).status().size
        guard let base, let baseLayout = storedLayout(of: base) else {
            return ["upload \(path) (\(formatBytes(size))) to \(store.url(key)) whole"]
        }
        let layout = try TarLayout.read(path)
        let partSize = try PartSizing.choose(size: size, requested: settings.partSize)
        let plan = DeltaPlan.make(new: layout, base: baseLayout, minimumPart: store.minimumPartSize, sendPart: partSize)
        var lines = plan.parts.map { part in
            let range = "bytes \(part.offset)-\(part.offset + part.length - 1)"
            return part.baseOffset.map {
                "part \(part.number): copy \(range) from \(base) bytes \($0)-\($0 + part.length - 1)"
            } ?? "part \(part.number): send \(range)"
        }
        lines.append(
            "delta against \(base): \(formatBytes(plan.sentBytes)) sent, \(formatBytes(plan.copiedBytes)) copied, \(plan.parts.count) parts"
        )
        return lines
    }
}
