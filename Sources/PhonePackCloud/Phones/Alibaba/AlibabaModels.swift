import PhonePackCore

/// The parameters of SendFile / FetchFile that the rules look at.
public struct AlibabaFileCall: Sendable, Equatable {
    public var action: String
    public var instanceIDs: [String]
    public var sourceFilePath: String
    public var uploadType: String
    public var uploadEndpoint: String
    public var uploadURL: String
    public var targetFileName: String?
    public var autoInstall = false
    public var clientToken: String?

    public init(
        action: String, instanceIDs: [String], sourceFilePath: String, uploadType: String, uploadEndpoint: String,
        uploadURL: String
    ) {
        self.action = action
        self.instanceIDs = instanceIDs
        self.sourceFilePath = sourceFilePath
        self.uploadType = uploadType
        self.uploadEndpoint = uploadEndpoint
        self.uploadURL = uploadURL
    }
}

/// What SendFile / FetchFile answer: the batch task and one task per instance.
public struct AlibabaBatchAnswer: Codable, Sendable {
    /// One instance's task.
    public struct Item: Codable, Sendable {
        public var instanceID: String
        public var taskID: String

        public init(instanceID: String, taskID: String) {
            self.instanceID = instanceID
            self.taskID = taskID
        }

        enum CodingKeys: String, CodingKey {
            case instanceID = "AndroidInstanceId"
            case taskID = "TaskId"
        }
    }
    public var requestID: String
    public var taskID: String?
    public var items: [Item]

    public init(requestID: String, taskID: String?, items: [Item]) {
        self.requestID = requestID
        self.taskID = taskID
        self.items = items
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "RequestId"
        case taskID = "TaskId"
        case items = "Data"
    }
}

/// One task as DescribeTasks reports it. `TaskStatus`: Processing, Finished, Failed (``state`` decodes it).
public struct AlibabaTask: Codable, Sendable, Equatable {
    public var taskID: String
    public var parentTaskID: String?
    public var level: Int?
    public var status: String?
    public var instanceID: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var result: String?

    public init(
        taskID: String, parentTaskID: String? = nil, level: Int? = nil, status: String? = nil,
        instanceID: String? = nil, errorCode: String? = nil, errorMessage: String? = nil, result: String? = nil
    ) {
        self.taskID = taskID
        self.parentTaskID = parentTaskID
        self.level = level
        self.status = status
        self.instanceID = instanceID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.result = result
    }

    enum CodingKeys: String, CodingKey {
        case taskID = "TaskId"
        case parentTaskID = "ParentTaskId"
        case level = "Level"
        case status = "TaskStatus"
        case instanceID = "InstanceId"
        case errorCode = "ErrorCode"
        case errorMessage = "ErrorMsg"
        case result = "Result"
    }

    /// Finished succeeded, Failed failed (with the error and the output), anything else still running.
    public var state: JobState {
        switch status?.lowercased() {
        case "finished": JobState(state: .succeeded, output: result)
        case "failed": JobState(state: .failed, errorCode: errorCode, errorMessage: errorMessage, output: result)
        default: JobState(state: .running)
        }
    }
}

/// A page of DescribeTasks.
package struct AlibabaTaskPage: Codable, Sendable {
    public var requestID: String
    public var totalCount: Int?
    public var nextToken: String?
    public var tasks: [AlibabaTask]

    public init(requestID: String, totalCount: Int?, nextToken: String?, tasks: [AlibabaTask]) {
        self.requestID = requestID
        self.totalCount = totalCount
        self.nextToken = nextToken
        self.tasks = tasks
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "RequestId"
        case totalCount = "TotalCount"
        case nextToken = "NextToken"
        case tasks = "Data"
    }
}

/// An instance as DescribeAndroidInstances reports it (the fields phonepack shows).
public struct AlibabaInstance: Codable, Sendable, Equatable {
    public var instanceID: String
    public var name: String?
    public var status: String?

    public init(instanceID: String, name: String?, status: String?) {
        self.instanceID = instanceID
        self.name = name
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case instanceID = "AndroidInstanceId"
        case name = "AndroidInstanceName"
        case status = "AndroidInstanceStatus"
    }
}

/// What RunSyncCommand answers: each instance's result, final at once.
public struct AlibabaSyncAnswer: Sendable, BatchAnswer {
    public var results: [(instanceID: String, ok: Bool, output: String)]

    public var outcomes: [TargetOutcome] {
        results.map { TargetOutcome(target: $0.instanceID, state: $0.ok ? .succeeded : .failed, output: $0.output) }
    }
}
