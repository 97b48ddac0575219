import PhonePackCore

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
        try AlibabaRules.check(call)
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
    func describeTasks(_ taskIDs: [String]) throws(PhonePackError) -> [AlibabaTask] {
        precondition(taskIDs.count <= AlibabaRules.maxTaskIDsPerQuery)
        var tasks: [AlibabaTask] = []
        var next: String?
        // At most 100 tasks were asked for: a few pages at most.
        var pages = PageGuard("DescribeTasks", limit: 100)
        repeat {
            var parameters = Self.flatten("TaskIds", taskIDs) + [("MaxResults", "100")]
            if let next { parameters.append(("NextToken", next)) }
            let page = try call("DescribeTasks", parameters, as: AlibabaTaskPage.self, idempotent: true)
            tasks += page.tasks
            next = try pages.next(page.nextToken, items: page.tasks.count)
        } while next != nil
        return tasks
    }

    /// RunCommand (async): one task per instance, its output in the task's Result.
    public func runCommand(_ content: String, instanceIDs: [String]) throws(PhonePackError) -> AlibabaBatchAnswer {
        try AlibabaRules.checkCommand(content: content, instanceIDs: instanceIDs)
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
            requestID: answer.RequestId, taskID: answer.TaskId,
            items: (answer.RunCommandInfos ?? []).map {
                .init(instanceID: $0.InstanceId, taskID: $0.ChildTaskId ?? "")
            })
    }

    /// RunSyncCommand: each instance's status and output (commands that finish in milliseconds).
    public func runSyncCommand(_ content: String, instanceIDs: [String]) throws(PhonePackError) -> AlibabaSyncAnswer {
        try AlibabaRules.checkCommand(content: content, instanceIDs: instanceIDs)
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
        return AlibabaSyncAnswer(
            results: try call("RunSyncCommand", parameters, as: Answer.self, idempotent: false).Data.map {
                ($0.InstanceId, $0.InvocationStatus?.lowercased() == "success", $0.Output ?? "")
            })
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
            next = try pages.next(page.NextToken, items: page.InstanceModel?.count ?? 0)
        } while next != nil
        return instances
    }
}
