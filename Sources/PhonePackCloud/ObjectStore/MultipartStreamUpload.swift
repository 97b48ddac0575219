import Dispatch
import PhonePackCore
import Synchronization

/// Uploads a stream whose bytes are being made (`phonepack build -o obs://…`) with no temporary file: the stream
/// is cut into parts in memory, `jobs` of them in flight at once, each sent with its Content-MD5 and checked.
/// Memory stays at (jobs + 1) × part size. A stream cannot be replayed, so an interrupted one is aborted, not
/// resumed; each part is still retried on its own, since its bytes are kept until the server has them.
///
/// The SHA-256 is only known at the end, after the object's metadata is fixed, so it goes into a `KEY.sha256`
/// object beside it (the same `HEX  NAME` line `build` writes locally), which `download` reads.
public final class MultipartStreamUpload: ByteStreamOutput, @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `buffer`, `nextNumber`, `uploadID` and `workers` are touched only by
    // the producer (the build's write queue); the workers share only the Mutex-guarded state and the semaphores.
    private let store: ObjectStoreClient
    private let key: String
    private let partSize: Int
    private let jobs: Int
    private let properties: ObjectProperties
    private var buffer: [UInt8] = []
    private var nextNumber = 1
    private var uploadID: String?
    private var workers: WorkerThreads.Group?
    private let queue = Mutex<[(number: Int, bytes: [UInt8])?]>([])
    private let items = DispatchSemaphore(value: 0)
    private let slots = DispatchSemaphore(value: 0)
    private let state = Mutex<(parts: [Int: UploadedPart], failure: PhonePackError?)>(([:], nil))
    public let progress: TransferProgress
    public let name: String

    /// - Parameters:
    ///   - name: how messages name the destination (`obs://bucket/key`).
    ///   - partSize: the size of every part but the last; by default chosen so twice `estimatedSize` fits.
    public init(
        store: ObjectStoreClient, key: String, name: String, estimatedSize: Int64, jobs: Int,
        partSize: Int64? = nil, properties: ObjectProperties,
        progress: TransferProgress = TransferProgress()
    ) throws(PhonePackError) {
        self.store = store
        self.key = key
        self.jobs = max(1, jobs)
        self.properties = properties
        self.progress = progress
        self.partSize = Int(try PartSizing.choose(size: estimatedSize * 2, requested: partSize))
        self.name = name
        for _ in 0..<self.jobs { slots.signal() }
        progress.total.store(estimatedSize, ordering: .relaxed)
    }

    /// `write(_:)` for bytes in an array (`withUnsafeBytes` cannot throw a typed error).
    public func write(bytes: [UInt8]) throws(PhonePackError) {
        var failure: PhonePackError?
        bytes.withUnsafeBytes { raw in
            do throws(PhonePackError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) {
        var rest = bytes[...]
        while !rest.isEmpty {
            let take = min(partSize - buffer.count, rest.count)
            buffer.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            if buffer.count == partSize { try emit() }
        }
    }

    /// Hands the filled buffer to the workers, waiting while `jobs` parts are already outstanding.
    private func emit() throws(PhonePackError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
        if uploadID == nil { try start() }
        slots.wait()
        let part = (nextNumber, buffer)
        nextNumber += 1
        buffer = []
        buffer.reserveCapacity(partSize)
        queue.withLock { $0.append(part) }
        items.signal()
    }

    private func start() throws(PhonePackError) {
        uploadID = try store.initiateMultipart(key, properties: properties)
        let id = uploadID!
        let clients = UncheckedSendable(
            (0..<jobs).map { _ in store.sibling() })
        workers = WorkerThreads.start(count: jobs) { [self] worker in
            let client = clients.value[worker]
            while true {
                items.wait()
                guard let part = queue.withLock({ $0.removeFirst() }) else { return }
                defer { slots.signal() }
                if state.withLock({ $0.failure }) != nil { continue }
                do throws(PhonePackError) {
                    let md5 = Digest.hash(.md5, part.bytes)
                    let stored = try client.uploadPart(
                        key, uploadID: id, number: part.number, body: .bytes(part.bytes), md5: md5,
                        crc64: CRC64.checksum(part.bytes))
                    progress.add(Int64(part.bytes.count))
                    state.withLock { $0.parts[part.number] = stored }
                } catch {
                    state.withLock { if $0.failure == nil { $0.failure = error } }
                }
            }
        }
    }

    /// Stops the workers once the queue is drained.
    private func stopWorkers() {
        guard let group = workers.take() else { return }
        for _ in 0..<jobs {
            queue.withLock { $0.append(nil) }
            items.signal()
        }
        group.join()
    }

    public func finish(sha256: String, size: Int64) throws(PhonePackError) {
        let sidecar = ChecksumLine.make(sha256: sha256, name: lastPathComponent(key))
        if uploadID == nil {
            // It all fitted in one part: one PUT, with the SHA-256 as metadata too.
            try store.put(key, body: .bytes(buffer), properties: properties, metadata: ["sha256": sha256])
            try store.putSidecar(key, sidecar)
            progress.add(Int64(buffer.count))
            return
        }
        if !buffer.isEmpty { try emit() }
        stopWorkers()
        let outcome = state.withLock { $0 }
        if let failure = outcome.failure { throw failure }
        _ = try store.completeAndCheck(
            key, uploadID: uploadID!, parts: (1..<nextNumber).map { outcome.parts[$0]! }, size: size,
            noClobber: properties.noClobber)
        uploadID = nil
        try store.putSidecar(key, sidecar)
    }

    public func abandon() {
        stopWorkers()
        if let uploadID { try? store.abortMultipart(key, uploadID: uploadID) }
        uploadID = nil
    }
}

extension BuildOptions {
    /// Builds straight into a multipart upload of `url` (no temporary file), `jobs` parts in flight.
    public mutating func streamUpload(to store: ObjectStoreClient, url: ObjectURL, jobs: Int, limitRate: Int64? = nil) {
        let store = UncheckedSendable(store)
        stream = { (estimatedSize) throws(PhonePackError) in
            try MultipartStreamUpload(
                store: store.value, key: url.key, name: url.description, estimatedSize: estimatedSize, jobs: jobs,
                properties: ObjectProperties().typed(for: "build.tar"), progress: TransferProgress(limitRate: limitRate)
            )
        }
    }
}
