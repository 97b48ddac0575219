import PhonePackCore

extension AlibabaPhoneClient: CloudPhoneClient {
    public static var maxTargetsPerCall: Int { AlibabaRules.maxInstancesPerCall }

    /// DescribeTasks, 100 task ids per call; while the first page's tasks run, the rest are not read.
    public func states(of open: [TargetOutcome]) throws(PhonePackError) -> [String: JobState] {
        let ids = open.compactMap(\.jobID)
        var states: [String: JobState] = [:]
        for start in stride(from: 0, to: ids.count, by: AlibabaRules.maxTaskIDsPerQuery) {
            let tasks = try describeTasks(Array(ids[start..<min(start + AlibabaRules.maxTaskIDsPerQuery, ids.count)]))
            for task in tasks { states[task.taskID] = task.state }
            if tasks.contains(where: { $0.state.state == .running }) { break }
        }
        return states
    }

    /// Runs `command` on every instance, 50 per call: RunCommand waited for with DescribeTasks, or RunSyncCommand
    /// (`sync`, answered at once).
    public func run(
        _ command: String, instanceIDs: [String], sync: Bool, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        try AlibabaRules.checkCommand(
            content: command, instanceIDs: Array(instanceIDs.prefix(AlibabaRules.maxInstancesPerCall)))
        if sync {
            return try fanOut(instanceIDs, concurrency: concurrency, waitTimeout: nil) {
                (client, chunk) throws(PhonePackError) in try client.runSyncCommand(command, instanceIDs: chunk)
            }
        }
        return try fanOut(instanceIDs, concurrency: concurrency, waitTimeout: waitTimeout, progress: progress) {
            (client, chunk) throws(PhonePackError) in try client.runCommand(command, instanceIDs: chunk)
        }
    }

    /// An instance task id names its one job.
    public func jobs(startedBy id: String) throws(PhonePackError) -> [TargetOutcome] {
        [TargetOutcome(target: id, state: .submitted, jobID: id)]
    }
}

extension AlibabaBatchAnswer: BatchAnswer {
    /// One outcome per instance: submitted with its task, or rejected when the answer has no task for it.
    public var outcomes: [TargetOutcome] {
        items.map {
            TargetOutcome(
                target: $0.instanceID, state: $0.taskID.isEmpty ? .rejected : .submitted,
                requestID: taskID ?? requestID,
                jobID: $0.taskID.isEmpty ? nil : $0.taskID)
        }
    }
}
