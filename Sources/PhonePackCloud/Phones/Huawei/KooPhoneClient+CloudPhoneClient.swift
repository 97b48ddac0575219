import PhonePackCore

extension KooPhoneClient: CloudPhoneClient {
    public static var maxTargetsPerCall: Int { KooPhoneRules.maxInstancesPerCall }

    /// One task query per open task, joined to instances by job id.
    public func states(of open: [TargetOutcome]) throws(PhonePackError) -> [String: JobState] {
        var states: [String: JobState] = [:]
        for taskID in Set(open.compactMap(\.requestID)) {
            for job in try task(taskID) {
                guard let id = job.jobID else { continue }
                states[id] = job.state
            }
        }
        return states
    }

    /// A task id names its jobs; the task query does not say which instance runs which, so the job id stands in.
    public func jobs(startedBy id: String) throws(PhonePackError) -> [TargetOutcome] {
        try task(id).compactMap { job in
            job.jobID.map { TargetOutcome(target: $0, state: .submitted, requestID: id, jobID: $0) }
        }
    }

    /// Runs `command` on every instance, 32 per call: synchronously (results at once) or as async tasks
    /// waited for.
    public func run(
        _ command: String, instanceIDs: [String], async: Bool, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        try KooPhoneRules.check(
            command: command, instanceIDs: Array(instanceIDs.prefix(KooPhoneRules.maxInstancesPerCall)))
        if !async {
            return try fanOut(instanceIDs, concurrency: concurrency, waitTimeout: nil) {
                (client, chunk) throws(PhonePackError) in try client.syncCommand(command, instanceIDs: chunk)
            }
        }
        return try fanOut(instanceIDs, concurrency: concurrency, waitTimeout: waitTimeout, progress: progress) {
            (client, chunk) throws(PhonePackError) in try client.asyncCommand(command, instanceIDs: chunk)
        }
    }
}
