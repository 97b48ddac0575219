import PhonePackCore

/// One instance's command result (sync), or one job's state (async task query: no `instance_id`).
/// `status`: 1 running, 2 succeeded, -1 failed; `execute_msg` holds the output either way.
public struct KooPhoneResult: Codable, Sendable, Equatable {
    public var instance_id: String?
    public var job_id: String?
    public var status: Int
    public var error_code: String?
    public var error_msg: String?
    public var execute_msg: String?

    public init(
        instance_id: String?, job_id: String? = nil, status: Int, error_code: String? = nil, error_msg: String? = nil,
        execute_msg: String? = nil
    ) {
        self.instance_id = instance_id
        self.job_id = job_id
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.execute_msg = execute_msg
    }
}

extension KooPhoneResult {
    /// 2 succeeded, -1 failed (with the error and the output), anything else still running.
    var state: JobState {
        switch status {
        case 2: JobState(state: .succeeded, output: execute_msg)
        case -1: JobState(state: .failed, errorCode: error_code, errorMessage: error_msg, output: execute_msg)
        default: JobState(state: .running)
        }
    }
}
