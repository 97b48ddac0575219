import Dispatch

/// Hashes a byte stream on a thread of its own while the caller goes on writing or parsing the same bytes.
///
/// The caller hands over a buffer with ``submit(_:)`` and must leave it untouched until the next ``submit(_:)``,
/// ``waitUntilIdle()`` or ``finalize()`` returns: the hasher reads the caller's memory directly (no copy), which is
/// what lets a tar be written and hashed at the speed of the slower of the two instead of the sum.
///
/// - Important: one producer only. The hashing runs on a private serial queue, never on the cooperative pool.
public final class StreamHasher: @unchecked Sendable {
    // Invariant that makes @unchecked Sendable sound: `digest` and `byteCount` are touched only by the job running on
    // `queue`, or by the producer after `idle.wait()` proved no job is running.
    private var digest: Digest
    private var byteCount: Int64 = 0
    private let queue = DispatchQueue(label: "phonepack.stream-hasher")
    private let idle = DispatchSemaphore(value: 1)

    public init(_ algorithm: DigestAlgorithm = .sha256) {
        digest = Digest(algorithm)
    }

    /// Starts hashing `bytes` in the background after the previous buffer is done.
    public func submit(_ bytes: UnsafeRawBufferPointer) {
        idle.wait()
        let job = BufferJob(bytes: bytes)
        queue.async { [self] in
            digest.update(job.bytes)
            byteCount += Int64(job.bytes.count)
            idle.signal()
        }
    }

    /// Blocks until every submitted buffer has been hashed, so the caller may reuse them.
    public func waitUntilIdle() {
        idle.wait()
        idle.signal()
    }

    /// Total bytes hashed so far (waits for the pending buffer).
    public var totalBytes: Int64 {
        waitUntilIdle()
        return byteCount
    }

    /// Waits for the pending buffer and returns the digest of the whole stream.
    public func finalize() -> [UInt8] {
        idle.wait()
        defer { idle.signal() }
        return digest.finalize()
    }
}

/// Carries the producer's buffer to the hashing queue; the ``StreamHasher`` protocol keeps it alive and unchanged.
private struct BufferJob: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
}
