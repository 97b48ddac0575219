import Dispatch
import PhonePackCore
import Synchronization

/// Computes the parts' MD5s ahead of the upload workers on one thread, eight parts at a time (``MultiMD5``),
/// so each worker only waits for its part's digest instead of hashing it itself.
final class PartMD5Ahead: @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `ready[i]` is signalled once, after `results[i]` is set under the lock;
    // the file is read with pread only.
    private let results: Mutex<[Result<[UInt8], PhonePackError>?]>
    private let ready: [DispatchSemaphore]
    private let stop = Atomic<Bool>(false)
    private var thread: WorkerThreads.Group?

    /// Starts hashing `ranges` of `file` in order, on two threads when `jobs` workers send (so hashing keeps pace
    /// on two cores), on one when a single worker does: each thread holds 8 × 512 KiB of buffers, and a sync
    /// sending eight large files at once must not hold 64 MiB for it.
    init(file: OpenFile, ranges: [(offset: Int64, length: Int64)], jobs: Int) {
        results = Mutex(Array(repeating: nil, count: ranges.count))
        ready = ranges.map { _ in DispatchSemaphore(value: 0) }
        let source = UncheckedSendable(file)
        let ranges = UncheckedSendable(ranges)
        // Threads take alternate groups of eight.
        let threads = jobs > 1 ? 2 : 1
        thread = WorkerThreads.start(count: threads) { [self] worker in
            let mine = stride(from: worker * 8, to: ranges.value.count, by: threads * 8).flatMap {
                Array($0..<min($0 + 8, ranges.value.count))
            }
            var next = 0
            do throws(PhonePackError) {
                try MultiMD5.digests(file: source.value, ranges: mine.map { ranges.value[$0] }) { index, digest in
                    publish(mine[index], .success(digest))
                    next = index + 1
                    return !stop.load(ordering: .relaxed)
                }
            } catch {
                for index in mine[next...] { publish(index, .failure(error)) }
                return
            }
            let stopped = PhonePackError(.interrupted, operation: "hash parts", message: "stopped")
            for index in mine[next...] { publish(index, .failure(stopped)) }
        }
    }

    private func publish(_ index: Int, _ result: Result<[UInt8], PhonePackError>) {
        results.withLock { $0[index] = result }
        ready[index].signal()
    }

    /// The MD5 of range `index`, waiting until it is computed.
    func md5(_ index: Int) throws(PhonePackError) -> [UInt8] {
        ready[index].wait()
        defer { ready[index].signal() }
        return try results.withLock { $0[index]! }.get()
    }

    /// Stops hashing what no worker will ask for, and waits for the thread.
    func finish() {
        stop.store(true, ordering: .relaxed)
        thread.take()?.join()
    }
}
