import PhonePackCore

extension CPHClient: CloudPhoneClient {
    public static var maxTargetsPerCall: Int { CPHRequestRules.maxServersPerShareCall }

    /// ListJobs, 20 request ids per call, for jobs whose request is known; ShowJob for the others (`jobs wait
    /// --job-ids`). Jobs of one push run about as long as each other: while the first page's jobs run, the rest
    /// are not read.
    public func states(of open: [TargetOutcome]) throws(PhonePackError) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for outcome in open where outcome.requestID == nil {
            guard let id = outcome.jobID else { continue }
            let job = try job(id)
            states[job.jobID] = job.state
        }
        let requestIDs = Set(open.compactMap(\.requestID)).sorted()
        for start in stride(from: 0, to: requestIDs.count, by: CPHRequestRules.maxRequestIDsPerListJobs) {
            let slice = Array(
                requestIDs[start..<min(start + CPHRequestRules.maxRequestIDsPerListJobs, requestIDs.count)])
            let jobs = try listJobs(requestIDs: slice, stopAtRunning: true)
            for job in jobs { states[job.jobID] = job.state }
            if jobs.contains(where: { $0.state.state == .running }) { break }
        }
        return states
    }

    /// One ListJobs per request id: with several at once, the answer does not say which job is whose.
    public func jobs(startedBy id: String) throws(PhonePackError) -> [TargetOutcome] {
        try listJobs(requestIDs: [id]).map {
            TargetOutcome(
                target: $0.serverID ?? $0.phoneID ?? $0.jobID, state: .submitted, requestID: id, jobID: $0.jobID)
        }
    }
}

extension CPHBatchAnswer: BatchAnswer {
    /// One outcome per entry: submitted with its job, or rejected with the entry's own error.
    public var outcomes: [TargetOutcome] {
        jobs.map { job in
            let refused = job.jobID == nil || job.errorCode != nil
            return TargetOutcome(
                target: job.target, state: refused ? .rejected : .submitted, requestID: requestID, jobID: job.jobID,
                errorCode: job.errorCode, errorMessage: job.errorMessage)
        }
    }
}
