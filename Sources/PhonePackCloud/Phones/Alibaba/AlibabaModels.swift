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
    public struct Item: Codable, Sendable {
        public var AndroidInstanceId: String
        public var TaskId: String
        public init(AndroidInstanceId: String, TaskId: String) {
            self.AndroidInstanceId = AndroidInstanceId
            self.TaskId = TaskId
        }
    }
    public var RequestId: String
    public var TaskId: String?
    public var Data: [Item]

    public init(RequestId: String, TaskId: String?, Data: [Item]) {
        self.RequestId = RequestId
        self.TaskId = TaskId
        self.Data = Data
    }
}

/// One task as DescribeTasks reports it. `TaskStatus`: Processing, Finished, Failed.
public struct AlibabaTask: Codable, Sendable, Equatable {
    public var TaskId: String
    public var ParentTaskId: String?
    public var Level: Int?
    public var TaskStatus: String?
    public var InstanceId: String?
    public var ErrorCode: String?
    public var ErrorMsg: String?
    public var Result: String?

    public init(
        TaskId: String, ParentTaskId: String?, Level: Int?, TaskStatus: String?, InstanceId: String?,
        ErrorCode: String?,
        ErrorMsg: String?, Result: String?
    ) {
        self.TaskId = TaskId
        self.ParentTaskId = ParentTaskId
        self.Level = Level
        self.TaskStatus = TaskStatus
        self.InstanceId = InstanceId
        self.ErrorCode = ErrorCode
        self.ErrorMsg = ErrorMsg
        self.Result = Result
    }
}

public struct AlibabaTaskPage: Codable, Sendable {
    public var RequestId: String
    public var TotalCount: Int?
    public var NextToken: String?
    public var Data: [AlibabaTask]

    public init(RequestId: String, TotalCount: Int?, NextToken: String?, Data: [AlibabaTask]) {
        self.RequestId = RequestId
        self.TotalCount = TotalCount
        self.NextToken = NextToken
        self.Data = Data
    }
}

/// An instance as DescribeAndroidInstances reports it (the fields phonepack shows).
public struct AlibabaInstance: Codable, Sendable, Equatable {
    public var AndroidInstanceId: String
    public var AndroidInstanceName: String?
    public var AndroidInstanceStatus: String?

    public init(AndroidInstanceId: String, AndroidInstanceName: String?, AndroidInstanceStatus: String?) {
        self.AndroidInstanceId = AndroidInstanceId
        self.AndroidInstanceName = AndroidInstanceName
        self.AndroidInstanceStatus = AndroidInstanceStatus
    }
}
