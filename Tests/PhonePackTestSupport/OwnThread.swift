import Foundation
import Testing

/// Runs each test of a suite on threads of its own instead of the shared pool.
///
/// The tests that start `phonepack`, the emulator or a Python server spend most of their time blocked in
/// `waitpid`, `read` or a sleep. On the shared pool, which has one thread per core, two such tests fill a
/// 2-core machine while it sits idle; on their own threads they wait side by side. But not all at once: with every
/// such test started together (about 150), each process got a sliver of the CPU and Python servers took more than
/// 30 s to print READY (seen in CI). `ProcessTestGate` lets a few per core run at a time.
package struct OwnThreadTrait: SuiteTrait, TestTrait, TestScoping {
    package var isRecursive: Bool { true }

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Only the test cases themselves: a suite's scope is entered once around all of them.
        guard testCase != nil else { return try await function() }
        await ProcessTestGate.shared.enter()
        do {
            try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
        } catch {
            await ProcessTestGate.shared.leave()
            throw error
        }
        await ProcessTestGate.shared.leave()
    }
}

extension Trait where Self == OwnThreadTrait {
    /// Each test of the suite runs on threads of its own (see `OwnThreadTrait`).
    package static var ownThread: Self { Self() }
}

/// A counting semaphore for process-driving tests: at most four per core run at a time, the rest wait in order.
actor ProcessTestGate {
    static let shared = ProcessTestGate(limit: 4 * ProcessInfo.processInfo.activeProcessorCount)

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { free = limit }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A task executor that runs every job on a new thread: a job that blocks holds up nothing else.
final class ThreadPerJobExecutor: TaskExecutor {
    static let shared = ThreadPerJobExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread { job.runSynchronously(on: executor) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
