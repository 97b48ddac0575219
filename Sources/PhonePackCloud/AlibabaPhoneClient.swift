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

/// eds-aic's documented rules, checked before sending.
public enum AlibabaRules {
    /// RunCommand takes at most 50 instances; SendFile and FetchFile document no limit, so phonepack uses the
    /// same 50 for every batch call rather than find the real one in production.
    public static let maxInstancesPerCall = 50
    public static let maxTaskIDsPerQuery = 100
    static let savedBucketPrefix = "cloudphone-saved-bucket-"

    public static func check(_ call: AlibabaFileCall) -> FieldCheck {
        func invalid(_ text: String) -> FieldCheck { FieldCheck(violation: text) }
        guard (1...maxInstancesPerCall).contains(call.instanceIDs.count) else {
            return invalid("AndroidInstanceIdList must list 1..\(maxInstancesPerCall) instances per call")
        }
        guard call.sourceFilePath.hasPrefix("/") else {
            return invalid("SourceFilePath must be an absolute path on the phone, e.g. /sdcard/Download/")
        }
        let types = call.action == "FetchFile" ? ["OSS"] : ["OSS", "DOWNLOAD_URL", "OSS_BRIDGED"]
        guard types.contains(call.uploadType) else {
            return invalid("UploadType must be \(types.joined(separator: ", ")) for \(call.action)")
        }
        if call.uploadType == "OSS" {
            guard call.uploadURL.hasPrefix("oss://" + savedBucketPrefix) else {
                return invalid("UploadUrl must be oss://\(savedBucketPrefix)…/… (the service reads only such buckets)")
            }
            let bucket = String(call.uploadURL.dropFirst(6).prefix { $0 != "/" })
            if let violation = FieldRules.cloudPhoneBucketName(bucket).violation {
                return invalid("UploadUrl bucket: \(violation)")
            }
        } else if !(call.uploadURL.hasPrefix("https://") || call.uploadURL.hasPrefix("http://")) {
            return invalid("UploadUrl must be an http(s) URL for \(call.uploadType)")
        }
        if call.uploadType != "DOWNLOAD_URL" && call.uploadEndpoint.isEmpty {
            return invalid(
                "UploadEndpoint is required for \(call.uploadType), e.g. oss-cn-shanghai-internal.aliyuncs.com")
        }
        if call.uploadType == "DOWNLOAD_URL" && call.sourceFilePath.hasSuffix("/") {
            return invalid("SourceFilePath must be the full file path on the phone for DOWNLOAD_URL")
        }
        if let token = call.clientToken, !(1...100).contains(token.count) {
            return invalid("ClientToken must be 1..100 characters")
        }
        return FieldCheck(violation: nil)
    }

    public static func checkCommand(content: String, instanceIDs: [String]) -> FieldCheck {
        guard !content.isEmpty else { return FieldCheck(violation: "CommandContent must not be empty") }
        guard (1...maxInstancesPerCall).contains(instanceIDs.count) else {
            return FieldCheck(violation: "InstanceIds must list 1..\(maxInstancesPerCall) instances per call")
        }
        return FieldCheck(violation: nil)
    }
}

/// The Alibaba Cloud Phone API (eds-aic 2023-09-30): RPC actions as `POST /` with every parameter in the query,
/// signed with ACS3-HMAC-SHA256 (a fresh nonce and time each attempt); SendFile and FetchFile carry a
/// ClientToken so a retry never runs them twice.
public final class AlibabaPhoneClient {
    public let endpoint: ServiceURL
    public let credentials: Credentials
    public let client: CloudClient
    static let version = "2023-09-30"
    var scheme: String { endpoint.scheme }
    var host: String { endpoint.host }

    public init(endpoint: ServiceURL, credentials: Credentials, client: CloudClient) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.client = client
    }

    public func sibling() -> AlibabaPhoneClient {
        AlibabaPhoneClient(endpoint: endpoint, credentials: credentials, client: client.sibling())
    }

    /// Sends `action` with flattened `parameters`; `idempotent` when a retry cannot repeat the effect.
    func call<T: Decodable>(
        _ action: String, _ parameters: [(name: String, value: String?)], as type: T.Type, idempotent: Bool
    )
        throws(PhonePackError) -> T
    {
        var request = SignableRequest(method: "POST", host: host, path: "/", query: parameters)
        request.setHeader("x-acs-action", action)
        request.setHeader("x-acs-version", Self.version)
        request.setHeader("accept", "application/json")
        let response = try client.send(request, scheme: scheme, idempotent: idempotent) { request, time in
            ACS3Signer(credentials: self.credentials)
                .sign(&request, date: CloudTime.iso8601(time), nonce: randomHex(32))
        }
        do {
            return try JSONCoding.decode(type, from: response.body)
        } catch {
            throw PhonePackError(
                .service, operation: action, path: "\(scheme)://\(host)/",
                message: "the answer is not what the API documents: \(error.message)")
        }
    }

    static func flatten(_ name: String, _ values: [String]) -> [(name: String, value: String?)] {
        values.enumerated().map { ("\(name).\($0.offset + 1)", $0.element) }
    }

    /// SendFile or FetchFile, checked first; the ClientToken makes a retried call safe.
    public func fileCall(_ call: AlibabaFileCall) throws(PhonePackError) -> AlibabaBatchAnswer {
        var call = call
        if call.clientToken == nil { call.clientToken = randomHex(32) }
        if let violation = AlibabaRules.check(call).violation {
            throw PhonePackError(
                .invalidInput, operation: "check request", path: call.action, message: "\(violation); nothing was sent")
        }
        var parameters = Self.flatten("AndroidInstanceIdList", call.instanceIDs)
        parameters += [
            ("SourceFilePath", call.sourceFilePath), ("UploadType", call.uploadType), ("UploadUrl", call.uploadURL),
            ("ClientToken", call.clientToken),
        ]
        if !call.uploadEndpoint.isEmpty { parameters.append(("UploadEndpoint", call.uploadEndpoint)) }
        if let name = call.targetFileName { parameters.append(("TargetFileName", name)) }
        if call.action == "SendFile" && call.autoInstall { parameters.append(("AutoInstall", "true")) }
        return try self.call(call.action, parameters, as: AlibabaBatchAnswer.self, idempotent: true)
    }

    /// DescribeTasks for up to 100 task ids, every page.
    public func describeTasks(_ taskIDs: [String]) throws(PhonePackError) -> [AlibabaTask] {
        precondition(taskIDs.count <= AlibabaRules.maxTaskIDsPerQuery)
        var tasks: [AlibabaTask] = []
        var next: String?
        // At most 100 tasks were asked for: a few pages at most.
        var pages = PageGuard("DescribeTasks", limit: 100)
        repeat {
            var parameters = Self.flatten("TaskIds", taskIDs) + [("MaxResults", "100")]
            if let next { parameters.append(("NextToken", next)) }
            let page = try call("DescribeTasks", parameters, as: AlibabaTaskPage.self, idempotent: true)
            tasks += page.Data
            next = try pages.next(page.NextToken)
        } while next != nil
        return tasks
    }

    /// RunCommand (async): one task per instance, its output in the task's Result.
    public func runCommand(_ content: String, instanceIDs: [String]) throws(PhonePackError) -> AlibabaBatchAnswer {
        if let violation = AlibabaRules.checkCommand(content: content, instanceIDs: instanceIDs).violation {
            throw PhonePackError(
                .invalidInput, operation: "check request", path: "RunCommand", message: "\(violation); nothing was sent"
            )
        }
        struct Answer: Decodable {
            struct Info: Decodable {
                var InstanceId: String
                var ChildTaskId: String?
            }
            var RequestId: String
            var TaskId: String?
            var RunCommandInfos: [Info]?
        }
        let parameters =
            Self.flatten("InstanceIds", instanceIDs) + [
                ("CommandContent", Array(content.utf8).base64String), ("ContentEncoding", "Base64"),
            ]
        let answer = try call("RunCommand", parameters, as: Answer.self, idempotent: false)
        return AlibabaBatchAnswer(
            RequestId: answer.RequestId, TaskId: answer.TaskId,
            Data: (answer.RunCommandInfos ?? []).map {
                .init(AndroidInstanceId: $0.InstanceId, TaskId: $0.ChildTaskId ?? "")
            })
    }

    /// RunSyncCommand: each instance's status and output (commands that finish in milliseconds).
    public func runSyncCommand(_ content: String, instanceIDs: [String]) throws(PhonePackError) -> [(
        instanceID: String, ok: Bool, output: String
    )] {
        if let violation = AlibabaRules.checkCommand(content: content, instanceIDs: instanceIDs).violation {
            throw PhonePackError(
                .invalidInput, operation: "check request", path: "RunSyncCommand",
                message: "\(violation); nothing was sent")
        }
        struct Answer: Decodable {
            struct Item: Decodable {
                var InstanceId: String
                var InvocationStatus: String?
                var Output: String?
            }
            var Data: [Item]
        }
        let parameters =
            Self.flatten("InstanceIds", instanceIDs) + [
                ("CommandContent", Array(content.utf8).base64String), ("ContentEncoding", "Base64"),
                ("WaitTime", "3000"),
            ]
        return try call("RunSyncCommand", parameters, as: Answer.self, idempotent: false).Data.map {
            ($0.InstanceId, $0.InvocationStatus?.lowercased() == "success", $0.Output ?? "")
        }
    }

    /// DescribeAndroidInstances, every page.
    public func describeInstances() throws(PhonePackError) -> [AlibabaInstance] {
        struct Answer: Decodable {
            var InstanceModel: [AlibabaInstance]?
            var NextToken: String?
        }
        var instances: [AlibabaInstance] = []
        var next: String?
        var pages = PageGuard("DescribeAndroidInstances")
        repeat {
            var parameters: [(name: String, value: String?)] = [("MaxResults", "100")]
            if let next { parameters.append(("NextToken", next)) }
            let page = try call("DescribeAndroidInstances", parameters, as: Answer.self, idempotent: true)
            instances += page.InstanceModel ?? []
            next = try pages.next(page.NextToken)
        } while next != nil
        return instances
    }
}
