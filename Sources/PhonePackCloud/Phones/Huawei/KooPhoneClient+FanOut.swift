import Glibc
import PhonePackCore

extension KooPhoneClient {
    /// Runs `command` on every instance, 32 per call: synchronously (results at once) or as async tasks
    /// waited for.
    public func run(
        _ command: String, instanceIDs: [String], async: Bool, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        if let violation = KooPhoneRules.check(
            command: command, instanceIDs: Array(instanceIDs.prefix(KooPhoneRules.maxInstancesPerCall))
        ).violation {
            throw PhonePackError(
                .invalidInput, operation: "check request", path: "command", message: "\(violation); nothing was sent")
        }
        let clients = (0..<max(1, concurrency)).map { _ in sibling() }
        let submitted = FanOut.submit(ids: instanceIDs, limit: KooPhoneRules.maxInstancesPerCall, clients: clients) {
            (client, chunk) throws(PhonePackError) in
            if !async {
                return try client.syncCommand(command, instanceIDs: chunk).map { result in
                    let state = result.state
                    return TargetOutcome(
                        target: result.instance_id ?? "?", state: state.state, errorCode: state.errorCode,
                        errorMessage: state.errorMessage, output: state.output)
                }
            }
            let task = try client.asyncCommand(command, instanceIDs: chunk)
            return task.jobs.map {
                TargetOutcome(target: $0.instanceID, state: .submitted, requestID: task.taskID, jobID: $0.jobID)
            }
        }
        guard async, let waitTimeout else { return submitted }
        return try wait(submitted, timeout: waitTimeout, progress: progress)
    }

    /// Waits for async command jobs: one task query per open task, joined to instances by job id.
    public func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        try FanOut.wait(outcomes, timeout: timeout, client: client, progress: progress) {
            (open) throws(PhonePackError) in
            var states: [String: JobState] = [:]
            for taskID in Set(open.compactMap(\.requestID)) {
                for job in try task(taskID) {
                    guard let id = job.job_id else { continue }
                    states[id] = job.state
                }
            }
            return states
        }
    }
}
