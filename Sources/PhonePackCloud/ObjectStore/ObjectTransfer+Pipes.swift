import Glibc
import PhonePackCore
import Synchronization

/// `upload - URL` and `download URL -`: a transfer from or to a pipe, which can neither seek nor be read twice.
extension ObjectTransfer {
    /// Uploads everything `input` gives (standard input) as `key`: cut into parts in memory (`settings.partSize`,
    /// default 8 MiB; memory stays at (jobs + 1) parts), each sent with its Content-MD5, the whole checked against
    /// the size and its SHA-256 (stored in `KEY.sha256`, as `build -o obs://` does). A failed stream is aborted;
    /// it cannot be resumed, since the bytes are gone.
    public func uploadStream(from input: OpenFile, to key: String) throws(PhonePackError) -> TransferSummary {
        let started = CloudTime.monotonicSeconds()
        let retriesBefore = store.client.retries
        let name = store.url(key)
        let partSize = settings.partSize ?? PartSizing.preferred
        let upload = try MultipartStreamUpload(
            store: store, key: key, name: name, estimatedSize: 0, jobs: settings.jobs,
            partSize: partSize, properties: settings.properties.typed(for: key), progress: progress)
        var sha256 = Digest(.sha256)
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let count = try input.read(into: buffer)
                if count == 0 { break }
                let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
                sha256.update(bytes)
                try upload.write(bytes)
                size += Int64(count)
            }
            let hex = sha256.finalize().hexString
            try upload.finish(sha256: hex, size: size)
            return summary(
                "upload", "standard input", name, size, started, retriesBefore: retriesBefore,
                parts: Int(max(1, (size + partSize - 1) / partSize)), sha256: hex)
        } catch {
            upload.abandon()
            throw error
        }
    }

    /// The summary of a stream or copy: rate from `started`, retries since `retriesBefore`, multipart when
    /// more than one part.
    func summary(
        _ operation: String, _ source: String, _ destination: String, _ size: Int64, _ started: Double,
        retriesBefore: Int, parts: Int, etag: String? = nil, crc64: UInt64? = nil, sha256: String?
    ) -> TransferSummary {
        let seconds = max(CloudTime.monotonicSeconds() - started, 0.001)
        return TransferSummary(
            operation: operation, source: source, destination: destination, bytes: size, seconds: seconds,
            mibPerSecond: Double(size) / 1_048_576 / seconds, multipart: parts > 1, parts: parts, resumedParts: 0,
            retries: store.client.retries - retriesBefore, etag: ETagCoding.encode(etag), crc64: crc64.map(String.init),
            sha256: sha256)
    }

    /// One range, whole, into memory: a network failure or a short or stray body retries it (4 attempts).
    func fetch(_ key: String, range: ClosedRange<Int64>, etag: String?, name: String) throws(PhonePackError)
        -> StreamState.Chunk
    {
        let want = Int(range.upperBound - range.lowerBound + 1)
        var attempt = 0
        while true {
            attempt += 1
            let chunk = StreamState.Chunk(capacity: want)
            do throws(PhonePackError) {
                try store.get(key, range: range, ifMatch: etag) { (bytes, position) throws(PhonePackError) in
                    try chunk.place(bytes, at: Int(position))
                }
                if chunk.filled == want { return chunk }
                throw PhonePackError(
                    .network, operation: "download", path: name,
                    message: "bytes \(range.lowerBound)-\(range.upperBound): got \(chunk.filled) of \(want) bytes")
            } catch  where error.code == .network && attempt < 4 {
                continue
            }
        }
    }

    /// Writes `key` to `output` (standard output) in order: one range of `settings.partSize` (8 MiB) at a time,
    /// each read whole into memory and checked for its length before a byte of it is written, so a connection
    /// that drops (or a server that sends a stray body) costs a retry of that range, never a wrong byte on the
    /// pipe. Each range is read with `If-Match` the ETag, so the object cannot change underneath. At the end the
    /// size and every checksum the store gives (SHA-256 metadata or `KEY.sha256`, an MD5 ETag, OSS's CRC-64,
    /// or `settings.sha256`) are checked; a mismatch is an error (exit 1) — the reader has the bytes by then, so
    /// the exit status is what tells it not to trust them.
    public func downloadStream(_ key: String, to output: OpenFile) throws(PhonePackError) -> TransferSummary {
        let started = CloudTime.monotonicSeconds()
        let retriesBefore = store.client.retries
        let name = store.url(key)
        let info = try store.head(key)
        progress.total.store(info.size, ordering: .relaxed)
        let expectedSHA256 = settings.sha256 ?? info.metadata["sha256"] ?? (try? store.sidecarSHA256(of: key)) ?? nil
        let state = StreamState()
        let rangeSize = settings.partSize ?? PartSizing.preferred
        var ranges = 0
        while state.written < info.size {
            let range = state.written...min(info.size, state.written + rangeSize) - 1
            let chunk = try fetch(key, range: range, etag: info.etag, name: name)
            ranges += 1
            try state.write(chunk, to: output)
            progress.add(Int64(chunk.bytes.count))
        }
        if info.size == 0 {
            // Nothing to range over: one GET, which must bring no bytes.
            let chunk = StreamState.Chunk(capacity: 0)
            try store.get(key, ifMatch: info.etag) { (bytes, position) throws(PhonePackError) in
                try chunk.place(bytes, at: Int(position))
            }
        }
        let sha256 = state.sha256.finalize().hexString
        let problems = state.problems(size: info.size, info: info, expectedSHA256: expectedSHA256, sha256: sha256)
        guard problems.isEmpty else {
            throw PhonePackError(
                .checkFailed, operation: "download", path: name,
                message:
                    "the bytes written do not match the object: \(problems.joined(separator: ", ")); do not use them")
        }
        return summary(
            "download", name, "standard output", state.written, started, retriesBefore: retriesBefore, parts: ranges,
            etag: info.etag, crc64: info.crc64, sha256: sha256)
    }
}

/// What a streamed download has written and hashed so far.
final class StreamState {
    var written: Int64 = 0
    var sha256 = Digest(.sha256)
    var md5 = Digest(.md5)
    var crc = CRC64()

    /// One range in memory. A retried request starts again at position 0 and overwrites; a byte past the
    /// range (a stray or oversized body) fails the attempt.
    final class Chunk {
        var bytes: [UInt8]
        var filled = 0

        init(capacity: Int) { bytes = [UInt8](repeating: 0, count: capacity) }

        func place(_ data: UnsafeRawBufferPointer, at position: Int) throws(PhonePackError) {
            guard position + data.count <= bytes.count else {
                throw PhonePackError(
                    .network, operation: "download", message: "the store sent more bytes than the range holds")
            }
            bytes.withUnsafeMutableBytes {
                $0.baseAddress!.advanced(by: position).copyMemory(from: data.baseAddress!, byteCount: data.count)
            }
            filled = max(filled, position + data.count)
        }
    }

    func write(_ chunk: Chunk, to output: OpenFile) throws(PhonePackError) {
        try output.writeAll(chunk.bytes)
        add(chunk)
    }

    /// Counts and hashes a range that has gone on.
    func add(_ chunk: Chunk) {
        chunk.bytes.withUnsafeBytes { raw in
            sha256.update(raw)
            md5.update(raw)
            crc.update(raw)
        }
        written += Int64(chunk.bytes.count)
    }

    /// What does not match the object: its size, its SHA-256 (when known), its ETag when that is an MD5, its
    /// CRC-64 (OSS). `sha256` is this stream's, already finalized.
    func problems(size: Int64, info: ObjectInfo, expectedSHA256: String?, sha256: String) -> [String] {
        let md5 = self.md5.finalize().hexString
        var problems: [String] = []
        if written != size { problems.append("\(written) bytes, not \(size)") }
        if let expectedSHA256, expectedSHA256.lowercased() != sha256 { problems.append("SHA-256 \(sha256)") }
        if let etag = info.etag.flatMap(ObjectStoreClient.plainMD5), etag != md5 {
            problems.append("MD5 \(md5) against the ETag \(etag)")
        }
        if let crc64 = info.crc64, crc64 != crc.value { problems.append("CRC-64 \(crc.value)") }
        return problems
    }
}
