import Glibc
import PhonePackCore
import Synchronization

/// Splits a long id list at an API's limit, sends the pieces on a few threads, and waits for the jobs: the same
/// for CPH, KooPhone and Alibaba, each supplying its call and its poll.
public enum FanOut {
    /// Runs `call` once per chunk of at most `limit` ids, `concurrency` at a time, each worker with its own
    /// client (`clients[i]`). Every id ends up in the result: with its job, or rejected with its chunk's error.
    public static func submit<Client>(
        ids: [String], limit: Int, clients: [Client],
        _ call: @escaping @Sendable (Client, [String]) throws(PhonePackError) -> [TargetOutcome]
    ) -> [TargetOutcome] {
        let chunks = stride(from: 0, to: ids.count, by: limit).map { Array(ids[$0..<min($0 + limit, ids.count)]) }
        let workers = max(1, min(clients.count, chunks.count))
        let boxed = UncheckedSendable(clients)
        let shared = Mutex<(next: Int, outcomes: [Int: [TargetOutcome]])>((0, [:]))
        WorkerThreads.run(count: workers) { worker in
            while let index = shared.withLock({ state -> Int? in
                guard state.next < chunks.count else { return nil }
                state.next += 1
                return state.next - 1
            }) {
                let chunk = chunks[index]
                var outcomes: [TargetOutcome]
                do throws(PhonePackError) {
                    outcomes = accepted(try call(boxed.value[worker], chunk), asked: chunk)
                } catch {
                    let outage = [.network, .service, .timedOut].contains(error.code)
                    outcomes = chunk.map {
                        var outcome = TargetOutcome(
                            target: $0, state: .rejected, requestID: error.requestID, errorCode: error.vendorCode,
                            errorMessage: error.message)
                        outcome.callFailed = outage ? true : nil
                        return outcome
                    }
                }
                shared.withLock { $0.outcomes[index] = outcomes }
            }
        }
        let outcomes = shared.withLock { $0.outcomes }
        return (0..<chunks.count).flatMap { outcomes[$0] ?? [] }
    }

    /// The outcomes of an answer, checked against the ids that were asked for (compared as bytes: Swift's
    /// `String` equality would take another Unicode spelling for the same id). An answer that names an id nobody
    /// asked for is not believed at all: every id of the chunk fails with an error naming the stranger, so a
    /// server-chosen name never reaches a local path. Ids the answer leaves out are rejected.
    static func accepted(_ outcomes: [TargetOutcome], asked chunk: [String]) -> [TargetOutcome] {
        let asked = Set(chunk.map(NameKey.init))
        if let stranger = outcomes.first(where: { !asked.contains(NameKey($0.target)) }) {
            return chunk.map {
                TargetOutcome(
                    target: $0, state: .failed, requestID: stranger.requestID, errorCode: "PHONEPACK.UnexpectedTarget",
                    errorMessage:
                        "the service answered for \"\(stranger.target.terminalSafe)\", which was not asked for; its answer for this batch was ignored"
                )
            }
        }
        var seen = Set<NameKey>()
        var result = outcomes.filter { seen.insert(NameKey($0.target)).inserted }
        result += chunk.filter { !seen.contains(NameKey($0)) }.map {
            TargetOutcome(target: $0, state: .rejected, errorMessage: "the answer has no job for this id")
        }
        return result
    }

    /// Polls with pauses growing by 30 % (1 s up to 10 s) until every open job has ended or `timeout` seconds pass.
    /// `poll` gets the open outcomes and returns the state of each job it found, by job id. `client`'s deadline
    /// is set to the timeout, so a poll that hangs, trickles or pages without end cannot outlast it.
    public static func wait(
        _ outcomes: [TargetOutcome], timeout: Double, client: CloudClient, firstPause: Double = 1,
        maxPause: Double = 10, progress: (Int, Int) -> Void = { _, _ in },
        poll: ([TargetOutcome]) throws(PhonePackError) -> [String: JobState]
    ) throws(PhonePackError) -> [TargetOutcome] {
        var results = outcomes
        let saved = client.deadline
        let deadline = min(saved ?? .infinity, CloudTime.monotonicSeconds() + timeout)
        client.deadline = deadline
        defer { client.deadline = saved }
        var pause = firstPause
        let total = results.filter { $0.jobID != nil }.count
        let stillRunning = { (results: inout [TargetOutcome]) in
            for index in results.indices where results[index].isOpen {
                results[index].state = .running
                results[index].errorMessage =
                    "still running after \(Int(timeout)) s (phonepack jobs wait \(results[index].requestID ?? results[index].jobID ?? ""))"
            }
        }
        while true {
            let open = results.filter { $0.isOpen && $0.jobID != nil }
            progress(total - open.count, total)
            if open.isEmpty { return results }
            let left = deadline - CloudTime.monotonicSeconds()
            if left <= 0 {
                stillRunning(&results)
                return results
            }
            usleep(useconds_t(min(pause, left) * 1_000_000))
            pause = min(maxPause, pause * 1.3)
            let states: [String: JobState]
            do {
                states = try poll(open)
            } catch  where CloudTime.monotonicSeconds() >= deadline {
                stillRunning(&results)
                return results
            }
            for index in results.indices {
                guard let id = results[index].jobID, let state = states[id] else { continue }
                results[index].state = state.state
                results[index].errorCode = state.errorCode ?? results[index].errorCode
                results[index].errorMessage = state.errorMessage ?? results[index].errorMessage
                results[index].output = state.output ?? results[index].output
            }
        }
    }
}
