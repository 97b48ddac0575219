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
