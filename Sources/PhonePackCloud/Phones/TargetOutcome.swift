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
    /// What a command printed on the phone.
    public var output: String?

    public init(
        target: String, state: State, requestID: String? = nil, jobID: String? = nil, errorCode: String? = nil,
        errorMessage: String? = nil, output: String? = nil
    ) {
        self.target = target
        self.state = state
        self.requestID = requestID
        self.jobID = jobID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.output = output
    }

    var isOpen: Bool { state == .submitted || state == .running }
}

/// A job's state as a poll reports it.
public struct JobState: Sendable {
    public var state: TargetOutcome.State
    public var errorCode: String?
    public var errorMessage: String?
    public var output: String?

    public init(
        state: TargetOutcome.State, errorCode: String? = nil, errorMessage: String? = nil, output: String? = nil
    ) {
        self.state = state
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.output = output
    }
}
