import Glibc

/// Runs blocking work (libcurl transfers) on threads of our own: the Swift concurrency pool and Dispatch's
/// are sized to the cores, and a thread blocked in a network call must not starve them.
package enum WorkerThreads {
    private final class Job {
        let index: Int
        let body: @Sendable (Int) -> Void
        init(index: Int, body: @escaping @Sendable (Int) -> Void) {
            self.index = index
            self.body = body
        }
    }

    /// Calls `body(i)` for `i` in `0..<count`, each on a new thread, and returns when all have returned.
    public static func run(count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        start(count: count, body).join()
    }

    /// Threads started by ``start(count:_:)``; ``join()`` waits for them.
    public struct Group: ~Copyable {
        fileprivate let threads: [pthread_t]

        public consuming func join() {
            for thread in threads { pthread_join(thread, nil) }
        }
    }

    /// Starts `body(i)` for `i` in `0..<count`, each on a new thread, and returns at once.
    public static func start(count: Int, _ body: @escaping @Sendable (Int) -> Void) -> Group {
        var threads: [pthread_t] = []
        for index in 0..<count {
            let job = Unmanaged.passRetained(Job(index: index, body: body)).toOpaque()
            var thread = pthread_t()
            let result = pthread_create(
                &thread, nil,
                { raw in
                    let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
                    job.body(job.index)
                    return nil
                }, job)
            // Only resource exhaustion makes this fail; there is no sensible way on without the thread.
            precondition(result == 0, "pthread_create failed: \(result)")
            threads.append(thread)
        }
        return Group(threads: threads)
    }
}
