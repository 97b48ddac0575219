import Dispatch
import Glibc
import PhonePackCore
import Synchronization

/// Uploads a file while it is being written: `release` builds its tar through this output into a private work
/// folder, and each part goes out as soon as its bytes are written, so building, hashing and sending overlap
/// instead of taking three passes. The parts' MD5s are computed from the written file (still in the page cache)
/// eight at a time (``MultiMD5``), a group behind the writer; for OSS each worker computes its part's MD5 and
/// CRC-64. The whole file's SHA-256 comes from the build, which hashed the very buffers it wrote.
///
/// Nothing is stored under the key until ``complete()``, which the caller makes only once the written file has
/// verified; ``abandon()`` aborts the multipart upload instead, so a file that fails is never stored. One of the
/// two must be called once the upload has started. The SHA-256 goes into a `KEY.sha256` object beside it (the
/// line `build` writes locally), and into the metadata too when the upload starts after the build.
public final class UploadAsWritten: ByteStreamOutput, @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `uploadID`, `threads`, `sha256` and `started` are touched only by the
    // caller's thread (writes come from the build's write queue, serially, before `finish`); the workers share
    // only `state` (a Guarded) and read `file` with pread, which leaves the writer's offset alone.
    private struct State {
        var written: Int64 = 0
        /// The file's final size, once the build has finished it.
        var size: Int64?
        /// MD5s computed ahead, by part number, until a worker takes them.
        var md5: [Int: [UInt8]] = [:]
        /// The next part a worker takes.
        var next = 1
        var stored: [Int: UploadedPart] = [:]
        var failure: PhonePackError?
        var stopped = false
        var retries = 0
    }

    private enum Step {
        case stop
        case send(number: Int, offset: Int64, length: Int64, md5: [UInt8]?)
    }

    public let name: String
    public let path: String
    private let file: OpenFile
    private let store: ObjectStoreClient
    private let key: String
    private let partSize: Int64
    private let jobs: Int
    /// The tar's properties (`application/x-tar` unless the release was told otherwise).
    private let properties: ObjectProperties
    private let state = Guarded(State())
    /// Paces the parts' bytes under `--limit-rate` (nothing shows a progress bar for a release's upload).
    private let progress: TransferProgress
    private var uploadID: String?
    private var threads: WorkerThreads.Group?
    private var sha256: String?
    private var started: Int64 = 0

    /// Creates `path` (it must not exist) for the build to write; nothing is sent before ``start(metadata:)``.
    /// - Parameter estimatedSize: the part size is chosen so that twice this fits in 10,000 parts.
    public init(
        path: String, store: ObjectStoreClient, key: String, estimatedSize: Int64, settings: TransferSettings
    ) throws(PhonePackError) {
        self.path = path
        self.store = store
        self.key = key
        name = store.url(key)
        jobs = max(1, settings.jobs)
        partSize = try PartSizing.choose(size: estimatedSize * 2, requested: settings.partSize)
        progress = TransferProgress(limitRate: settings.limitRate)
        properties = settings.properties.typed(for: key.hasSuffix(".tar") ? key : "release.tar")
        // One descriptor: the build writes at its offset, the hashes read with pread.
        file = try OpenFile.creatingPrivate(path)
    }

    /// Starts the multipart upload: from now on each part is sent once it is written.
    public func start(metadata: [String: String] = [:]) throws(PhonePackError) {
        precondition(uploadID == nil && threads == nil, "started twice")
        started = CloudTime.monotonicMilliseconds()
        let id = try store.initiateMultipart(key, properties: properties, metadata: metadata)
        uploadID = id
        let clients = UncheckedSendable((0..<jobs).map { _ in store.sibling() })
        // Without CRC-64s to compute (OBS, S3), eight-lane MD5 on a thread of its own is the cheapest way to the
        // Content-MD5s; OSS needs a CRC-64 pass over each part anyway, done by its worker with the MD5.
        let ahead = !store.checksCRC64 && MultiMD5.isAccelerated
        let workers = jobs
        threads = WorkerThreads.start(count: workers + (ahead ? 1 : 0)) { [self] worker in
            if worker == workers {
                hashAhead()
            } else {
                send(with: clients.value[worker], uploadID: id, ahead: ahead)
            }
        }
    }

    // MARK: ByteStreamOutput (the build's write queue)

    /// Writes `bytes` to the file; throws the upload's failure, if a part failed, so that the build stops early.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) {
        try file.writeAll(bytes)
        if let failure = state.update({ (state) -> PhonePackError? in
            state.written += Int64(bytes.count)
            return state.failure
        }) {
            throw failure
        }
    }

    /// The first error a part or the MD5 pass met, if any.
    public var failure: PhonePackError? { state.update { $0.failure } }

    public func finish(sha256: String, size: Int64) throws(PhonePackError) {
        self.sha256 = sha256
        state.update { $0.size = size }
    }

    // MARK: Ending

    /// Sends what is left (all of it when the upload had not started), completes the object, checks it, and
    /// stores the `.sha256` beside it; the file is removed once every part is stored. On failure the multipart
    /// upload is aborted and nothing is stored.
    public func complete() throws(PhonePackError) -> TransferSummary {
        guard let sha256, let size = state.update({ $0.size }) else {
            preconditionFailure("complete() before the build finished the file")
        }
        if uploadID == nil { try start(metadata: ["sha256": sha256]) }
        let count = Self.partCount(size: size, partSize: partSize)
        _ = state.wait { $0.failure != nil || $0.stored.count == count ? true : nil }
        stopWorkers()
        let (failure, stored, retries) = state.update { ($0.failure, $0.stored, $0.retries) }
        do throws(PhonePackError) {
            if let failure { throw failure }
            // Every part is stored: the file has served its purpose. Freeing a large file's pages takes a while
            // (0.3 s per GiB on tmpfs), so it is removed on another thread while the store assembles the object.
            let removal = DispatchGroup()
            DispatchQueue.global().async(group: removal) { [path] in _ = unlink(path) }
            defer { removal.wait() }
            let checked = try store.completeAndCheck(
                key, uploadID: uploadID!, parts: (1...count).map { stored[$0]! }, size: size,
                noClobber: properties.noClobber)
            uploadID = nil
            try store.putSidecar(key, ChecksumLine.make(sha256: sha256, name: lastPathComponent(key)))
            let seconds = Double(CloudTime.monotonicMilliseconds() - started) / 1000
            return TransferSummary(
                operation: "upload", source: path, destination: name, bytes: size, seconds: seconds,
                mibPerSecond: seconds > 0 ? Double(size) / 1_048_576 / seconds : 0, multipart: true, parts: count,
                resumedParts: 0, retries: retries, etag: ETagCoding.encode(checked.info.etag ?? checked.etag),
                crc64: checked.crc64.map { String($0) }, sha256: sha256)
        } catch {
            // Before the object is completed nothing is stored; after, only the .sha256 beside it failed.
            guard uploadID != nil else { throw error }
            abandon()
            throw Self.aborted(error)
        }
    }

    /// `error`, saying that the multipart upload was aborted.
    public static func aborted(_ error: PhonePackError) -> PhonePackError {
        var error = error
        error.message += "; the multipart upload was aborted: nothing is stored"
        return error
    }

    /// Stops sending and aborts the multipart upload, if one was started: nothing is stored under the key.
    public func abandon() {
        state.update { $0.stopped = true }
        stopWorkers()
        if let uploadID { try? store.abortMultipart(key, uploadID: uploadID) }
        uploadID = nil
    }

    private func stopWorkers() {
        state.update { $0.stopped = true }
        threads.take()?.join()
    }

    // MARK: Workers

    static func partCount(size: Int64, partSize: Int64) -> Int {
        max(1, Int((size + partSize - 1) / partSize))
    }

    /// Part `number`'s byte range, once it is wholly written (`nil` until then); `.stop` past the last part.
    private func range(of number: Int, in state: State) -> (offset: Int64, length: Int64)?? {
        let offset = Int64(number - 1) * partSize
        if let size = state.size {
            guard number <= Self.partCount(size: size, partSize: partSize) else { return .some(nil) }
            return (offset, min(partSize, size - offset))
        }
        return state.written >= offset + partSize ? (offset, partSize) : nil
    }

    /// Takes the next part once it is written (and its MD5 computed, when `ahead`), sends it, and again.
    private func send(with client: ObjectStoreClient, uploadID: String, ahead: Bool) {
        defer { state.update { $0.retries += client.client.retries } }
        while true {
            let step = state.wait { s -> Step? in
                if s.failure != nil || s.stopped { return .stop }
                guard let found = range(of: s.next, in: s) else { return nil }
                guard let part = found else { return .stop }
                var md5: [UInt8]?
                if ahead {
                    guard let digest = s.md5.removeValue(forKey: s.next) else { return nil }
                    md5 = digest
                }
                s.next += 1
                return .send(number: s.next - 1, offset: part.offset, length: part.length, md5: md5)
            }
            guard case .send(let number, let offset, let length, let md5) = step else { return }
            do throws(PhonePackError) {
                let sums =
                    if let md5 {
                        RangeDigests(md5: md5)
                    } else {
                        try RangeDigests.compute(
                            file: file, offset: offset, length: length, md5: true, crc64: client.checksCRC64)
                    }
                var sent: Int64 = 0
                let part = try client.uploadPart(
                    key, uploadID: uploadID, number: number,
                    body: .file(file, offset: offset, length: length), md5: sums.md5!, crc64: sums.crc64,
                    progress: { [progress] up, _ in
                        progress.add(up - sent)
                        sent = up
                        return true
                    })
                state.update { $0.stored[number] = part }
            } catch {
                state.update { if $0.failure == nil { $0.failure = error } }
                return
            }
        }
    }

    /// Computes the MD5s of eight written parts at a time (fewer at the end), one group behind the writer, with
    /// one set of buffers for the whole file.
    private func hashAhead() {
        var first = 1
        var count = 0
        do throws(PhonePackError) {
            try MultiMD5.digests(
                file: file,
                groups: {
                    first += count
                    let group = state.wait { s -> [(offset: Int64, length: Int64)]? in
                        if s.failure != nil || s.stopped { return [] }
                        var ranges: [(offset: Int64, length: Int64)] = []
                        for number in first..<first + 8 {
                            guard let found = range(of: number, in: s) else { return nil }
                            guard let found else { break }
                            ranges.append(found)
                        }
                        return ranges
                    }
                    count = group.count
                    return group
                }
            ) { index, digest in
                state.update { $0.md5[first + index] = digest }
                return true
            }
        } catch {
            state.update { if $0.failure == nil { $0.failure = error } }
        }
    }
}
