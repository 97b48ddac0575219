import Glibc
import PhonePackCore
import Synchronization

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
        return try fanOut(
            serverIDs, limit: batchSize, concurrency: concurrency, waitTimeout: waitTimeout, progress: progress
        ) { (client, ids) throws(PhonePackError) in
            try client.pushShareApps(
                packageName: package, bucket: tar.bucket, objectPath: tar.key, serverIDs: ids, preInstall: preInstall)
        }
    }

    /// Sends `call` for every id (in chunks of `limit`), then waits for the jobs with ListJobs.
    public func fanOut(
        _ ids: [String], limit: Int, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in },
        _ call: @escaping @Sendable (CPHClient, [String]) throws(PhonePackError) -> CPHBatchAnswer
    ) throws(PhonePackError) -> [TargetOutcome] {
        let clients = (0..<max(1, concurrency)).map { _ in sibling() }
        let submitted = FanOut.submit(ids: ids, limit: limit, clients: clients) {
            (client, chunk) throws(PhonePackError) in
            try call(client, chunk).outcomes
        }
        guard let waitTimeout else { return submitted }
        return try wait(submitted, timeout: waitTimeout, progress: progress)
    }

    /// Waits for CPH jobs: ListJobs, 20 request ids per call, only requests with jobs still open.
    public func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        try FanOut.wait(outcomes, timeout: timeout, client: client, progress: progress) {
            (open) throws(PhonePackError) in
            let requestIDs = Set(open.compactMap(\.requestID)).sorted()
            var states: [String: JobState] = [:]
            for start in stride(from: 0, to: requestIDs.count, by: CPHRequestRules.maxRequestIDsPerListJobs) {
                let slice = Array(
                    requestIDs[start..<min(start + CPHRequestRules.maxRequestIDsPerListJobs, requestIDs.count)])
                let jobs = try listJobs(requestIDs: slice, stopAtRunning: true)
                for job in jobs { states[job.job_id] = job.state }
                // Jobs of one push run about as long as each other: while these run, the rest are not read.
                if jobs.contains(where: { $0.status != 2 && $0.status != -1 }) { break }
            }
            return states
        }
    }
}

extension CPHBatchAnswer {
    /// One outcome per entry: submitted with its job, or rejected with the entry's own error.
    public var outcomes: [TargetOutcome] {
        jobs.map { job in
            let refused = job.job_id == nil || job.error_code != nil
            return TargetOutcome(
                target: job.target, state: refused ? .rejected : .submitted, requestID: request_id, jobID: job.job_id,
                errorCode: job.error_code, errorMessage: job.error_msg)
        }
    }
}

extension CPHJob {
    public var state: JobState {
        switch status {
        case 2: JobState(state: .succeeded, output: execute_msg)
        case -1:
            JobState(state: .failed, errorCode: error_code, errorMessage: error_msg ?? execute_msg, output: execute_msg)
        default: JobState(state: .running)
        }
    }
}
