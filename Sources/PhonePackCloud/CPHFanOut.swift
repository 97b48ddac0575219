import Glibc
import PhonePackCore
import Synchronization

/// One server's or phone's outcome of a fanned-out operation, as `push` and `jobs wait` report it.
public struct TargetOutcome: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// The job was created and not waited for.
        case submitted
        case running
        case succeeded
        case failed
        /// The request for this target was refused before a job existed.
        case rejected
    }

    public var target: String
    public var state: State
    public var requestID: String?
    public var jobID: String?
    public var errorCode: String?
    public var errorMessage: String?

    public init(
        target: String, state: State, requestID: String? = nil, jobID: String? = nil, errorCode: String? = nil,
        errorMessage: String? = nil
    ) {
        self.target = target
        self.state = state
        self.requestID = requestID
        self.jobID = jobID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// Splits a long id list at an API's limit, sends the pieces on a few threads, and waits for the jobs.
public enum CPHFanOut {
    /// Runs `call` once per chunk of at most `limit` ids, `concurrency` at a time, each thread with its own
    /// connection. Every id ends up in the result: with its job, or rejected with the error of its chunk.
    public static func submit(
        ids: [String], limit: Int, concurrency: Int, client: CPHClient,
        _ call: @escaping @Sendable (CPHClient, [String]) throws(PhonePackError) -> CPHBatchAnswer
    ) -> [TargetOutcome] {
        let chunks = stride(from: 0, to: ids.count, by: limit).map { Array(ids[$0..<min($0 + limit, ids.count)]) }
        let workers = max(1, min(concurrency, chunks.count))
        let clients = UncheckedSendable((0..<workers).map { _ in client.sibling() })
        let shared = Mutex<(next: Int, outcomes: [Int: [TargetOutcome]])>((0, [:]))
        WorkerThreads.run(count: workers) { worker in
            while let index = shared.withLock({ state -> Int? in
                guard state.next < chunks.count else { return nil }
                state.next += 1
                return state.next - 1
            }) {
                let chunk = chunks[index]
                let outcomes: [TargetOutcome]
                do throws(PhonePackError) {
                    let answer = try call(clients.value[worker], chunk)
                    let byTarget = Dictionary(
                        answer.jobs.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
                    outcomes = chunk.map { id in
                        guard let job = byTarget[id] else {
                            return TargetOutcome(
                                target: id, state: .rejected, requestID: answer.request_id, errorCode: nil,
                                errorMessage: "the answer has no job for this id")
                        }
                        let refused = job.job_id == nil || job.error_code != nil
                        return TargetOutcome(
                            target: id, state: refused ? .rejected : .submitted, requestID: answer.request_id,
                            jobID: job.job_id, errorCode: job.error_code, errorMessage: job.error_msg)
                    }
                } catch {
                    outcomes = chunk.map {
                        TargetOutcome(
                            target: $0, state: .rejected, requestID: error.requestID, errorCode: error.vendorCode,
                            errorMessage: error.message)
                    }
                }
                shared.withLock { $0.outcomes[index] = outcomes }
            }
        }
        let outcomes = shared.withLock { $0.outcomes }
        return (0..<chunks.count).flatMap { outcomes[$0] ?? [] }
    }

    /// Polls ListJobs (20 request ids per call, only those with jobs still running) with growing pauses until
    /// every submitted job has ended or `timeout` seconds pass; `progress(done, total)` after each round.
    public static func wait(
        _ outcomes: [TargetOutcome], client: CPHClient, timeout: Double, firstPause: Double = 1, maxPause: Double = 15,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        var results = outcomes
        let started = CloudTime.monotonicSeconds()
        var pause = firstPause
        while true {
            let open = Set(results.filter { $0.state == .submitted || $0.state == .running }.compactMap(\.requestID))
            let waiting = results.filter { $0.jobID != nil }.count
            progress(
                results.filter { $0.jobID != nil && $0.state != .submitted && $0.state != .running }.count, waiting)
            if open.isEmpty { return results }
            if CloudTime.monotonicSeconds() - started > timeout {
                return results.map { outcome in
                    var outcome = outcome
                    if outcome.state == .submitted || outcome.state == .running {
                        outcome.state = .running
                        outcome.errorMessage =
                            "still running after \(Int(timeout)) s (phonepack jobs wait \(outcome.requestID ?? ""))"
                    }
                    return outcome
                }
            }
            usleep(useconds_t(pause * 1_000_000))
            pause = min(maxPause, pause * 1.5)
            let requestIDs = open.sorted()
            var jobs: [String: CPHJob] = [:]
            for start in stride(from: 0, to: requestIDs.count, by: CPHRequestRules.maxRequestIDsPerListJobs) {
                let slice = Array(
                    requestIDs[start..<min(start + CPHRequestRules.maxRequestIDsPerListJobs, requestIDs.count)])
                for job in try client.listJobs(requestIDs: slice) { jobs[job.job_id] = job }
            }
            for index in results.indices {
                guard let id = results[index].jobID, let job = jobs[id] else { continue }
                switch job.status {
                case 2: results[index].state = .succeeded
                case -1:
                    results[index].state = .failed
                    results[index].errorCode = job.error_code
                    results[index].errorMessage = job.error_msg ?? job.execute_msg
                default: results[index].state = .running
                }
            }
        }
    }
}

extension CPHClient {
    /// PushShareApps to any number of servers: checked, split at `batchSize`, sent `concurrency` at a time, then
    /// (with a `waitTimeout`) waited for. Every server gets an outcome.
    public func pushShareApps(
        package: String, tar: ObjectURL, serverIDs: [String], preInstall: Bool,
        batchSize: Int = CPHRequestRules.maxServersPerShareCall, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        for start in stride(from: 0, to: serverIDs.count, by: batchSize) {
            try CPHRequestRules.shareApps(
                packageName: package, bucket: tar.bucket, objectPath: tar.key,
                serverIDs: Array(serverIDs[start..<min(start + batchSize, serverIDs.count)]))
        }
        let submitted = CPHFanOut.submit(ids: serverIDs, limit: batchSize, concurrency: concurrency, client: self) {
            (client, ids) throws(PhonePackError) in
            try client.pushShareApps(
                packageName: package, bucket: tar.bucket, objectPath: tar.key, serverIDs: ids, preInstall: preInstall)
        }
        guard let waitTimeout else { return submitted }
        return try CPHFanOut.wait(submitted, client: self, timeout: waitTimeout, progress: progress)
    }
}
