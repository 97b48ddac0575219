import Dispatch
import PhonePackCore
import Synchronization

/// The files a sync compares and copies, handed in one at a time. Files up to one part go to `jobs` workers, each
/// on its own connection reused from file to file, with at most `2 × jobs` waiting (the walk never runs far
/// ahead); larger files are kept for ``finish()``, which sends several at once, each with its parts in parallel
/// when there are fewer files than jobs. Comparing (hashing a same-size file) happens on the workers too. The
/// first failure stops the rest.
final class SyncFeed: @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `large`, `workers` and `transfer` are touched only by the walking
    // thread; the workers share only the Mutex-guarded state and the semaphores.
    struct Item: Sendable {
        /// The name relative to both sides' roots.
        var name: String
        var size: Int64
        /// The local file: the source (up), or the destination's counterpart to compare with (down).
        var file: LocalWalk.File?
        /// The source object (down, store to store).
        var source: ObjectInfo?
        /// The destination's object to compare with (up, store to store): set when its size matches.
        var counterpart: ObjectInfo?
    }

    /// Compares and copies one item; returns whether it copied (false: the same, or kept on purpose).
    typealias Body = @Sendable (ObjectTransfer, Item) throws(PhonePackError) -> Bool

    private let transfer: ObjectTransfer
    private let tally: SyncTally
    private let body: Body
    private let threshold: Int64
    private var large: [Item] = []
    private var workers: WorkerThreads.Group?
    private let queue = Mutex<(items: [Item?], failure: PhonePackError?)>(([], nil))
    private let ready = DispatchSemaphore(value: 0)
    private let room: DispatchSemaphore

    /// Without `--part-size`, a tree moves files up to this size in one request each, and larger ones in parts of
    /// it: many files are in flight at once, so parallel parts of one file gain nothing, and fewer, larger
    /// requests cost less on both ends (s5cmd's parts are 50 MiB for the same reason). Measured: 20 × 50 MiB
    /// in 8 MiB parts took 5.7 s, in single requests 3.x s (benchmarks/README.md).
    static let defaultPartSize: Int64 = 64 << 20

    init(transfer: ObjectTransfer, tally: SyncTally, body: @escaping Body) {
        var settings = transfer.settings
        settings.partSize = settings.partSize ?? Self.defaultPartSize
        self.transfer = transfer.sibling(store: transfer.store, settings: settings)
        self.tally = tally
        self.body = body
        threshold = settings.partSize!
        room = DispatchSemaphore(value: 2 * max(1, settings.jobs))
    }

    func submit(_ item: Item) throws(PhonePackError) {
        if let failure = queue.withLock({ $0.failure }) { throw failure }
        if item.size > threshold { return large.append(item) }
        if workers == nil { startWorkers() }
        room.wait()
        queue.withLock { $0.items.append(item) }
        ready.signal()
    }

    private func startWorkers() {
        let count = max(1, transfer.settings.jobs)
        var single = transfer.settings
        single.jobs = 1
        let clients = transfer.workerClients(count)
        let settings = single
        workers = WorkerThreads.start(count: count) { [self] worker in
            let one = transfer.sibling(store: clients.value[worker], settings: settings)
            while true {
                ready.wait()
                guard let item = queue.withLock({ $0.items.removeFirst() }) else { return }
                defer { room.signal() }
                if queue.withLock({ $0.failure }) != nil { continue }
                run(one, item)
            }
        }
    }

    private func run(_ transfer: ObjectTransfer, _ item: Item) {
        do throws(PhonePackError) {
            if try body(transfer, item) { tally.record(.copied(item.name, bytes: item.size)) } else { tally.skipped() }
        } catch {
            queue.withLock { if $0.failure == nil { $0.failure = error } }
        }
    }

    private func stopWorkers() {
        guard let group = workers.take() else { return }
        for _ in 0..<max(1, transfer.settings.jobs) {
            queue.withLock { $0.items.append(nil) }
            ready.signal()
        }
        group.join()
    }

    /// Waits for the small files, then sends the large ones; throws the first failure.
    func finish() throws(PhonePackError) {
        stopWorkers()
        if let failure = queue.withLock({ $0.failure }) { throw failure }
        guard !large.isEmpty else { return }
        let jobs = max(1, transfer.settings.jobs)
        let files = min(jobs, large.count)
        var outer = transfer.settings
        outer.jobs = files
        var inner = transfer.settings
        inner.jobs = max(1, jobs / files)
        let items = UncheckedSendable((large, inner))
        let outcome = transfer.sibling(store: transfer.store, settings: outer).forEachInParallel(Array(large.indices)) {
            (client, index) throws(PhonePackError) in
            let item = items.value.0[index]
            if try self.body(self.transfer.sibling(store: client, settings: items.value.1), item) {
                self.tally.record(.copied(item.name, bytes: item.size))
            } else {
                self.tally.skipped()
            }
        }
        if let failure = outcome.failure { throw failure }
    }

    /// After a failure on the walking side: lets the workers finish what they hold, sends nothing more.
    func abandon() {
        queue.withLock {
            if $0.failure == nil {
                $0.failure = PhonePackError(.invalidInput, operation: "sync", path: nil, message: "stopped")
            }
        }
        stopWorkers()
    }
}
