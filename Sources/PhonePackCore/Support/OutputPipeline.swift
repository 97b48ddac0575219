import Dispatch
import Synchronization

/// Where a stream of bytes (a tar being built) goes instead of a local file: an object-store upload.
/// `write` is called on one thread, in order; `finish` once at the end with the stream's SHA-256 and size;
/// `abandon` when the build fails, to clean up what was sent.
public protocol ByteStreamOutput: AnyObject, Sendable {
    var name: String { get }
    func write(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError)
    func finish(sha256: String, size: Int64) throws(PhonePackError)
    func abandon()
}

/// The local file a pipeline writes to, as a stream output.
final class FileStreamOutput: ByteStreamOutput, @unchecked Sendable {
    let file: OpenFile
    init(_ file: OpenFile) { self.file = file }
    var name: String { file.path }
    func write(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) { try file.writeAll(bytes) }
    func finish(sha256: String, size: Int64) throws(PhonePackError) {}
    func abandon() {}
}

/// Standard output as a stream output (`build -o -`): the bytes go out in order and nothing else does; a reader
/// that goes away (EPIPE) ends the build with an error.
public final class StandardOutputStream: ByteStreamOutput, @unchecked Sendable {
    let file = OpenFile.standardOutput()
    public init() {}
    public var name: String { "standard output" }
    public func write(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) { try file.writeAll(bytes) }
    public func finish(sha256: String, size: Int64) throws(PhonePackError) {}
    public func abandon() {}
}

/// Writes a byte stream to a file and hashes it, each on its own serial queue, while the producer goes on.
///
/// The producer's bytes are copied into one of a few fixed buffers (so memory stays at `bufferCount` ×
/// `bufferSize` whatever the stream's length); a buffer returns to the pool once both the hash and the write
/// are done with it. On two cores this lets reading the inputs, hashing, and the `write` system calls overlap
/// instead of adding up.
final class OutputPipeline: @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `digest` is touched only on `hashQueue` (and by `finish` after both
    // queues drained); buffer contents are written only by the producer while the buffer is out of the pool and
    // read only by the two jobs it was submitted to; shared counters live in Mutexes.
    private let output: any ByteStreamOutput
    private let hashQueue = DispatchQueue(label: "phonepack.output.hash")
    private let writeQueue = DispatchQueue(label: "phonepack.output.write")
    private var digest: Digest?
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let freeBuffers: Mutex<[Int]>
    private let freeCount: DispatchSemaphore
    private let users: Mutex<[Int]>
    private let failure = Mutex<PhonePackError?>(nil)
    let bufferSize: Int

    init(output: any ByteStreamOutput, hashing: Bool, bufferSize: Int, bufferCount: Int = 4) {
        self.output = output
        self.bufferSize = bufferSize
        digest = hashing ? Digest(.sha256) : nil
        buffers = (0..<bufferCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
        }
        freeBuffers = Mutex(Array(0..<bufferCount))
        // Created at 0 and raised: libdispatch traps if a semaphore dies below its initial value.
        freeCount = DispatchSemaphore(value: 0)
        for _ in 0..<bufferCount { freeCount.signal() }
        users = Mutex(Array(repeating: 0, count: bufferCount))
    }

    deinit {
        drain()
        for buffer in buffers { buffer.deallocate() }
    }

    /// Queues `bytes` (at most `bufferSize`) for hashing and writing. Throws the first write error seen so far.
    func submit(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) {
        if let error = failure.withLock({ $0 }) { throw error }
        precondition(bytes.count <= bufferSize, "block larger than the pipeline's buffers")
        freeCount.wait()
        let index = freeBuffers.withLock { $0.removeLast() }
        let buffer = buffers[index]
        buffer.copyMemory(from: bytes)
        let job = PipelineJob(bytes: UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count]), index: index)
        let hashing = digest != nil
        users.withLock { $0[index] = hashing ? 2 : 1 }
        if hashing {
            hashQueue.async { [self] in
                digest!.update(job.bytes)
                release(job.index)
            }
        }
        writeQueue.async { [self] in
            if failure.withLock({ $0 }) == nil {
                do throws(PhonePackError) {
                    try output.write(job.bytes)
                } catch {
                    failure.withLock { $0 = error }
                }
            }
            release(job.index)
        }
    }

    /// Waits for every queued block, then returns the SHA-256 of the stream (if hashing) or the write error.
    func finish() throws(PhonePackError) -> [UInt8]? {
        drain()
        if let error = failure.withLock({ $0 }) { throw error }
        return digest?.finalize()
    }

    private func drain() {
        hashQueue.sync {}
        writeQueue.sync {}
    }

    private func release(_ index: Int) {
        let free = users.withLock { counts in
            counts[index] -= 1
            return counts[index] == 0
        }
        if free {
            freeBuffers.withLock { $0.append(index) }
            freeCount.signal()
        }
    }
}

private struct PipelineJob: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    let index: Int
}
