import Dispatch
import Synchronization

/// Reads a file from its start (with `pread`, whatever the descriptor's offset) on a thread of its own, a few buffers ahead of the consumer, hashing each buffer as
/// it lands. The consumer (libarchive's read callback) then only parses: reading, hashing and parsing overlap.
///
/// A chunk returned by ``next()`` stays valid until the following call, the contract libarchive's read callback
/// needs. Memory is `bufferCount` × `bufferSize` whatever the file's size.
final class ReadAhead: @unchecked Sendable {
    // Invariants behind @unchecked Sendable: a buffer slot is written only by the producer between `free.wait()`
    // and `ready.signal()`, read only by the consumer between `ready.wait()` and its release; `digest` only by the
    // producer until it has finished (`done`), then by `finish()`.
    private let file: OpenFile
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let lengths: Mutex<[Int]>
    private let free: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)
    private let failure = Mutex<PhonePackError?>(nil)
    private var digest: Digest?
    private var consumed = 0
    private var holding = false
    private var reachedEnd = false

    init(file: OpenFile, hashing: Bool, bufferSize: Int = 1 << 20, bufferCount: Int = 4) {
        self.file = file
        digest = hashing ? Digest(.sha256) : nil
        buffers = (0..<bufferCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
        }
        lengths = Mutex(Array(repeating: 0, count: bufferCount))
        // Created at 0 and raised: libdispatch traps if a semaphore dies below its initial value.
        free = DispatchSemaphore(value: 0)
        for _ in 0..<bufferCount { free.signal() }
        DispatchQueue(label: "phonepack.read-ahead").async { [self] in produce() }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    private func produce() {
        defer { done.signal() }
        var slot = 0
        var offset: Int64 = 0
        while true {
            free.wait()
            if cancelled.load(ordering: .acquiring) { return }
            let buffer = buffers[slot]
            var filled = 0
            do throws(PhonePackError) {
                while filled < buffer.count {
                    let n = try file.read(
                        fromAbsoluteOffset: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                    if n == 0 { break }
                    filled += n
                    offset += Int64(n)
                }
            } catch {
                failure.withLock { $0 = error }
                filled = 0
            }
            digest?.update(UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
            lengths.withLock { $0[slot] = filled }
            ready.signal()
            if filled < buffer.count { return }  // end of file (or an error, reported to the consumer)
            slot = (slot + 1) % buffers.count
        }
    }

    /// The next chunk of the file; empty at the end. Releases the chunk returned before.
    func next() throws(PhonePackError) -> UnsafeRawBufferPointer {
        if holding {
            free.signal()
            holding = false
        }
        if reachedEnd { return UnsafeRawBufferPointer(start: nil, count: 0) }
        ready.wait()
        let slot = consumed % buffers.count
        consumed += 1
        if let error = failure.withLock({ $0 }) { throw error }
        let length = lengths.withLock { $0[slot] }
        if length < buffers[slot].count { reachedEnd = true }
        holding = true
        return UnsafeRawBufferPointer(rebasing: buffers[slot][0..<length])
    }

    /// Reads what is left, waits for the reading thread, and returns the SHA-256 of the whole file (if hashing).
    func finish() throws(PhonePackError) -> [UInt8]? {
        while !reachedEnd { _ = try next() }
        if holding {
            free.signal()
            holding = false
        }
        done.wait()
        done.signal()
        return digest?.finalize()
    }

    /// Stops the reading thread early (the consumer gave up); safe to call more than once.
    func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for _ in buffers { free.signal() }
        ready.signal()
        done.wait()
        done.signal()
    }
}
