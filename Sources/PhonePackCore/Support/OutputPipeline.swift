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
/// Bytes reach the pipeline two ways. Small pieces (tar headers, padding, small files) are copied into the
/// buffer being filled, which goes out once full. Large data is read by the producer straight into a buffer it
/// borrowed (``borrow()``) and goes out from there with no copy at all. Memory stays at `bufferCount` ×
/// `bufferSize` whatever the stream's length; a buffer returns to the pool once its hash and write jobs are done
/// (and the producer has given it back). On two cores reading the inputs, hashing, and the `write` system calls
/// overlap instead of adding up.
final class OutputPipeline: @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `digest` is touched only on `hashQueue` (and by `finish` after both
    // queues drained); buffer contents are written only by the producer while the buffer is out of the pool and
    // read only by the jobs it was submitted to; `filling` and `borrowed` are the producer's alone; shared
    // counters live in Mutexes.
    private let output: any ByteStreamOutput
    private let hashQueue = DispatchQueue(label: "phonepack.output.hash")
    private let writeQueue = DispatchQueue(label: "phonepack.output.write")
    private var digest: Digest?
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let freeBuffers: Mutex<[Int]>
    private let freeCount: DispatchSemaphore
    /// Per buffer: the jobs still using it, plus one while the producer holds it.
    private let users: Mutex<[Int]>
    private let failure = Mutex<PhonePackError?>(nil)
    /// The buffer small pieces are copied into, and how much of it is used.
    private var filling: (index: Int, count: Int)?
    /// The buffer the producer borrowed, if any.
    private var borrowed: Int?
    let bufferSize: Int

    init(output: any ByteStreamOutput, hashing: Bool, bufferSize: Int, bufferCount: Int = 4) {
        precondition(bufferCount >= 2, "one buffer being filled and one borrowed at a time")
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

    /// A free buffer, held (by the producer) until ``giveBack(_:)``, for data to be read into and then submitted
    /// from where it lies.
    func borrow() -> (index: Int, buffer: UnsafeMutableRawBufferPointer) {
        precondition(borrowed == nil, "one borrowed buffer at a time")
        let index = take()
        borrowed = index
        return (index, buffers[index])
    }

    /// The producer is done with a borrowed buffer; it goes back to the pool once its jobs are done.
    func giveBack(_ index: Int) {
        borrowed = nil
        release(index)
    }

    /// Queues `bytes` for hashing and writing: sent from where they lie when they are inside the borrowed
    /// buffer, else copied into the buffer being filled. Throws the first write error seen so far.
    func submit(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) {
        if let error = failure.withLock({ $0 }) { throw error }
        guard bytes.count > 0 else { return }
        if let index = borrowed, let base = bytes.baseAddress, let start = buffers[index].baseAddress,
            base >= UnsafeRawPointer(start), base + bytes.count <= UnsafeRawPointer(start) + bufferSize
        {
            flush()
            dispatch(bytes, index: index)
            return
        }
        var rest = bytes
        while !rest.isEmpty {
            let (index, count) = filling ?? (take(), 0)
            let n = min(rest.count, bufferSize - count)
            UnsafeMutableRawBufferPointer(rebasing: buffers[index][count..<count + n])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            filling = (index, count + n)
            if count + n == bufferSize { flush() }
        }
    }

    /// Sends the buffer being filled, if it holds anything.
    private func flush() {
        guard let (index, count) = filling else { return }
        filling = nil
        guard count > 0 else { return release(index) }
        dispatch(UnsafeRawBufferPointer(rebasing: buffers[index][0..<count]), index: index)
        release(index)
    }

    /// A free buffer, held by the producer (one use).
    private func take() -> Int {
        freeCount.wait()
        let index = freeBuffers.withLock { $0.removeLast() }
        users.withLock { $0[index] = 1 }
        return index
    }

    /// Queues the hash and the write of `bytes` (inside buffer `index`), each holding the buffer until done.
    private func dispatch(_ bytes: UnsafeRawBufferPointer, index: Int) {
        let job = PipelineJob(bytes: bytes, index: index)
        let hashing = digest != nil
        users.withLock { $0[index] += hashing ? 2 : 1 }
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

    /// Sends what is still being filled, waits for every queued block, then returns the SHA-256 of the stream
    /// (if hashing) or the write error.
    func finish() throws(PhonePackError) -> [UInt8]? {
        flush()
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
