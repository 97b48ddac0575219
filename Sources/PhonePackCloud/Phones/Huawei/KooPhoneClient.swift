import PhonePackCore

/// The KooPhone API (`https://koophone.myhuaweicloud.com`): shell commands on instances, sync or async, with a
/// project-scoped IAM token and a fresh `x-request-id` per request.
public final class KooPhoneClient {
    public let endpoint: ServiceURL
    public let token: String
    public let client: CloudClient
    var scheme: String { endpoint.scheme }
    var host: String { endpoint.host }

    public init(endpoint: ServiceURL, token: String, client: CloudClient) {
        self.endpoint = endpoint
        self.token = token
        self.client = client
    }

    public func sibling() -> KooPhoneClient {
        KooPhoneClient(endpoint: endpoint, token: token, client: client.sibling())
    }

    private struct Envelope<T: Decodable>: Decodable {
        var error_code: String?
        var error_msg: String?
        var data: T?
    }

    private func call<T: Decodable>(_ method: String, _ path: String, body: [UInt8]?, as type: T.Type, idempotent: Bool)
        throws(PhonePackError) -> T
    {
        var request = SignableRequest(method: method, host: host, path: path)
        request.setHeader("Content-Type", "application/json")
        let response = try client.send(
            request, scheme: scheme, body: body.map { .bytes($0) } ?? .none, idempotent: idempotent
        ) { request, _ in
            request.setHeader("X-Auth-Token", self.token)
            request.setHeader("x-request-id", randomHex(32))
            return .unsigned
        }
        let envelope: Envelope<T>
        do {
            envelope = try JSONCoding.decode(Envelope<T>.self, from: response.body)
        } catch {
            throw PhonePackError(
                .service, operation: "KooPhone \(path)", path: "\(scheme)://\(host)\(path)",
                message: "the answer is not what the API documents: \(error.message)")
        }
        guard envelope.error_code == nil || envelope.error_code == "0", let data = envelope.data else {
            var error = PhonePackError(
                .service, operation: "KooPhone \(path)", path: "\(scheme)://\(host)\(path)",
                message: envelope.error_msg ?? "the answer has no data")
            error.vendorCode = envelope.error_code
            error.requestID = response.requestID
            throw error
        }
        return data
    }

    struct CommandBody: Encodable {
        var command: String
        var instance_ids: [String]
    }

    /// Runs `command` on up to 32 instances and returns each one's result (short commands only).
    func syncCommand(_ command: String, instanceIDs: [String]) throws(PhonePackError) -> KooPhoneSyncAnswer {
        try check(command, instanceIDs)
        struct Data: Decodable { var cmd_results: [KooPhoneResult] }
        let body = try JSONCoding.encode(CommandBody(command: command, instance_ids: instanceIDs))
        return KooPhoneSyncAnswer(
            results: try call("POST", "/v1/instances/sync-command", body: body, as: Data.self, idempotent: false)
                .cmd_results)
    }

    /// Starts `command` on up to 32 instances; returns the task id and each instance's job id.
    func asyncCommand(_ command: String, instanceIDs: [String]) throws(PhonePackError) -> KooPhoneTask {
        try check(command, instanceIDs)
        struct Data: Decodable {
            struct Job: Decodable {
                var instance_id: String
                var job_id: String
            }
            var task_id: String
            var cmd_jobs: [Job]
        }
        let body = try JSONCoding.encode(CommandBody(command: command, instance_ids: instanceIDs))
        let data = try call("POST", "/v1/instances/async-command", body: body, as: Data.self, idempotent: false)
        return KooPhoneTask(taskID: data.task_id, jobs: data.cmd_jobs.map { ($0.instance_id, $0.job_id) })
    }

    /// The jobs of an async task (joined to instances through the job ids `asyncCommand` returned).
    public func task(_ taskID: String) throws(PhonePackError) -> [KooPhoneResult] {
        struct Data: Decodable { var jobs: [KooPhoneResult] }
        return try call("GET", "/v1/instances/tasks/\(taskID)", body: nil, as: Data.self, idempotent: true).jobs
    }

    private func check(_ command: String, _ instanceIDs: [String]) throws(PhonePackError) {
        try KooPhoneRules.check(command: command, instanceIDs: instanceIDs)
        guard instanceIDs.count <= KooPhoneRules.maxInstancesPerCall else {
            throw .ruleViolation(
                field: "instance_ids", value: "\(instanceIDs.count) ids",
                rule: "at most \(KooPhoneRules.maxInstancesPerCall) per call")
        }
    }
}

/// `count` random lowercase hex digits (request ids, nonces, client tokens).
package func randomHex(_ count: Int) -> String {
    var text = ""
    while text.count < count { text += String(UInt64.random(in: 0...UInt64.max) | 1 << 63, radix: 16) }
    return String(text.prefix(count))
}
