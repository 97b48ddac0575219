import Glibc
import PhonePackCore
import Synchronization

/// Uploads and downloads whole files, in parallel parts or ranges, resumable and checked end to end.
public final class ObjectTransfer {
    public let store: ObjectStoreClient
    public let settings: TransferSettings
    public let progress: TransferProgress
    /// Says what a resume found, why it started over, or that a file changed and is sent again. One line each;
    /// called from worker threads too.
    public var notice: (@Sendable (String) -> Void)?

    public init(store: ObjectStoreClient, settings: TransferSettings) {
        self.store = store
        self.settings = settings
        progress = TransferProgress(limitRate: settings.limitRate)
    }

    /// Another transfer like this one, with its notices, on `store` with `settings`.
    func sibling(store: ObjectStoreClient, settings: TransferSettings) -> ObjectTransfer {
        let copy = ObjectTransfer(store: store, settings: settings)
        copy.notice = notice
        return copy
    }

    var endpointName: String { "\(store.endpoint.scheme)://\(store.endpoint.host)" }

    /// One client per worker, each with its own connection; made here, on the calling thread.
    func workerClients(_ count: Int) -> UncheckedSendable<[ObjectStoreClient]> {
        UncheckedSendable(
            (0..<count).map { _ in store.sibling() })
    }

    /// Runs `body(client, item)` for every item, `settings.jobs` at a time, each worker with its own client and
    /// connection. After the first failure no new item starts. Returns that failure and the retries made.
    func forEachInParallel(
        _ items: [Int], _ body: @escaping @Sendable (ObjectStoreClient, Int) throws(PhonePackError) -> Void
    ) -> (failure: PhonePackError?, retries: Int) {
        let workers = min(settings.jobs, items.count)
        let clients = workerClients(workers)
        let shared = Mutex<(next: Int, failure: PhonePackError?, retries: Int)>((0, nil, store.client.retries))
        WorkerThreads.run(count: workers) { worker in
            let client = clients.value[worker]
            defer { shared.withLock { $0.retries += client.client.retries } }
            while let item = shared.withLock({ state -> Int? in
                guard state.failure == nil, state.next < items.count else { return nil }
                state.next += 1
                return items[state.next - 1]
            }) {
                do throws(PhonePackError) {
                    try body(client, item)
                } catch {
                    shared.withLock { if $0.failure == nil { $0.failure = error } }
                    return
                }
            }
        }
        return shared.withLock { ($0.failure, $0.retries) }
    }
}

func currentDirectory() -> String {
    guard let path = getcwd(nil, 0) else { return "." }
    defer { free(path) }
    return String(cString: path)
}
