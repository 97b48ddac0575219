import Glibc
import PhonePackCore

extension AlibabaPhoneClient {
    /// Sends `call` for every instance (in chunks of 50), then waits with DescribeTasks.
    public func fanOut(
        _ ids: [String], limit: Int = AlibabaRules.maxInstancesPerCall, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in },
        _ call: @escaping @Sendable (AlibabaPhoneClient, [String]) throws(PhonePackError) -> AlibabaBatchAnswer
    ) throws(PhonePackError) -> [TargetOutcome] {
        let clients = (0..<max(1, concurrency)).map { _ in sibling() }
        let submitted = FanOut.submit(ids: ids, limit: limit, clients: clients) {
            (client, chunk) throws(PhonePackError) in
            let answer = try call(client, chunk)
            return answer.Data.map {
                TargetOutcome(
                    target: $0.AndroidInstanceId, state: $0.TaskId.isEmpty ? .rejected : .submitted,
                    requestID: answer.TaskId ?? answer.RequestId, jobID: $0.TaskId.isEmpty ? nil : $0.TaskId)
            }
        }
        guard let waitTimeout else { return submitted }
        return try wait(submitted, timeout: waitTimeout, progress: progress)
    }

    /// Waits for instance tasks with DescribeTasks, 100 task ids per call.
    public func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        try FanOut.wait(outcomes, timeout: timeout, client: client, progress: progress) {
            (open) throws(PhonePackError) in
            let ids = open.compactMap(\.jobID)
            var states: [String: JobState] = [:]
            for start in stride(from: 0, to: ids.count, by: AlibabaRules.maxTaskIDsPerQuery) {
                let slice = Array(ids[start..<min(start + AlibabaRules.maxTaskIDsPerQuery, ids.count)])
                let tasks = try describeTasks(slice)
                for task in tasks {
                    switch task.TaskStatus?.lowercased() {
                    case "finished": states[task.TaskId] = JobState(state: .succeeded, output: task.Result)
                    case "failed":
                        states[task.TaskId] = JobState(
                            state: .failed, errorCode: task.ErrorCode, errorMessage: task.ErrorMsg, output: task.Result)
                    default: states[task.TaskId] = JobState(state: .running)
                    }
                }
                if tasks.contains(where: { !["finished", "failed"].contains($0.TaskStatus?.lowercased() ?? "") }) {
                    break
                }
            }
            return states
        }
    }
}
