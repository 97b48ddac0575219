import PhonePackCore

/// One instance's command result (sync), or one job's state (async task query: no `instance_id`).
/// `status`: 1 running, 2 succeeded, -1 failed; `execute_msg` holds the output either way.
public struct KooPhoneResult: Codable, Sendable, Equatable {
    public var instanceID: String?
    public var jobID: String?
    public var status: Int
    public var errorCode: String?
    public var errorMessage: String?
    public var executeMessage: String?

    public init(
        instanceID: String?, jobID: String? = nil, status: Int, errorCode: String? = nil, errorMessage: String? = nil,
        executeMessage: String? = nil
    ) {
        self.instanceID = instanceID
        self.jobID = jobID
        self.status = status
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.executeMessage = executeMessage
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "instance_id"
        case jobID = "job_id"
        case status
        case errorCode = "error_code"
        case errorMessage = "error_msg"
        case executeMessage = "execute_msg"
    }

    /// 2 succeeded, -1 failed (with the error and the output), anything else still running.
    public var state: JobState {
        switch status {
        case 2: JobState(state: .succeeded, output: executeMessage)
        case -1: JobState(state: .failed, errorCode: errorCode, errorMessage: errorMessage, output: executeMessage)
        default: JobState(state: .running)
        }
    }
}

/// What a sync command answers: each instance's result, final at once.
struct KooPhoneSyncAnswer: Sendable, BatchAnswer {
    public var results: [KooPhoneResult]

    public var outcomes: [TargetOutcome] {
        results.map { result in
            let state = result.state
            return TargetOutcome(
                target: result.instanceID ?? "?", state: state.state, errorCode: state.errorCode,
                errorMessage: state.errorMessage, output: state.output)
        }
    }
}

/// What an async command answers: its task and each instance's job in it.
struct KooPhoneTask: Sendable, BatchAnswer {
    public var taskID: String
    public var jobs: [(instanceID: String, jobID: String)]

    public var outcomes: [TargetOutcome] {
        jobs.map { TargetOutcome(target: $0.instanceID, state: .submitted, requestID: taskID, jobID: $0.jobID) }
    }
}
