import PhonePackCore

/// One target's answer inside a CPH batch response: a job id, or an error for that target alone.
public struct CPHJobEntry: Codable, Sendable, Equatable {
    public var server_id: String?
    public var phone_id: String?
    public var job_id: String?
    public var error_code: String?
    public var error_msg: String?

    public init(
        server_id: String? = nil, phone_id: String? = nil, job_id: String? = nil, error_code: String? = nil,
        error_msg: String? = nil
    ) {
        self.server_id = server_id
        self.phone_id = phone_id
        self.job_id = job_id
        self.error_code = error_code
        self.error_msg = error_msg
    }

    public var target: String { server_id ?? phone_id ?? "?" }
}

/// What every mutating CPH call answers: the jobs it created, one per server or phone.
public struct CPHBatchAnswer: Codable, Sendable {
    public var request_id: String
    public var jobs: [CPHJobEntry]

    public init(request_id: String, jobs: [CPHJobEntry]) {
        self.request_id = request_id
        self.jobs = jobs
    }
}

/// A job as ShowJob / ListJobs report it. `status`: 1 running, 2 succeeded, -1 failed.
public struct CPHJob: Codable, Sendable, Equatable {
    public var job_id: String
    public var status: Int
    public var server_id: String?
    public var phone_id: String?
    public var error_code: String?
    public var error_msg: String?
    public var execute_msg: String?
    public var begin_time: String?
    public var end_time: String?

    public init(
        job_id: String, status: Int, server_id: String? = nil, phone_id: String? = nil, error_code: String? = nil,
        error_msg: String? = nil, execute_msg: String? = nil, begin_time: String? = nil, end_time: String? = nil
    ) {
        self.job_id = job_id
        self.status = status
        self.server_id = server_id
        self.phone_id = phone_id
        self.error_code = error_code
        self.error_msg = error_msg
        self.execute_msg = execute_msg
        self.begin_time = begin_time
        self.end_time = end_time
    }
}

/// A cloud-phone server as ListCloudPhoneServers reports it (the fields phonepack uses).
public struct CPHServer: Codable, Sendable, Equatable {
    public var server_id: String
    public var server_name: String?
    public var status: Int?

    public init(server_id: String, server_name: String? = nil, status: Int? = nil) {
        self.server_id = server_id
        self.server_name = server_name
        self.status = status
    }
}

/// Where and how to reach CPH: endpoint, project, and AK/SK signing (what the official SDK does) or an IAM token.
public struct CPHEndpoint: Sendable {
    public enum Auth: Sendable {
        case accessKey(Credentials)
        case token(String)
    }

    public var scheme: String
    public var host: String
    public var projectID: String
    public var auth: Auth

    public init(url: String, projectID: String, auth: Auth) throws(PhonePackError) {
        let parts = url.split(separator: "://", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "https" || parts[0] == "http", !parts[1].isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "parse CPH endpoint", path: url, message: "is not an http(s) URL")
        }
        scheme = parts[0]
        host = String(parts[1].prefix { $0 != "/" })
        self.projectID = projectID
        self.auth = auth
    }
}

/// The CPH REST API (`/v1/{project_id}/cloud-phone/…`): the calls phonepack makes, each validated before
/// anything is sent, signed per attempt, and answered as typed values.
public final class CPHClient {
    public let endpoint: CPHEndpoint
    public let client: CloudClient

    public init(endpoint: CPHEndpoint, client: CloudClient) {
        self.endpoint = endpoint
        self.client = client
    }

    /// A client with its own connection, for another thread.
    public func sibling() -> CPHClient { CPHClient(endpoint: endpoint, client: client.sibling()) }

    /// Sends `body` (JSON) to `/v1/{project}/path`. `idempotent`: safe to send twice (reads; pushes of the
    /// same object, whose second run changes nothing).
    func send(
        _ method: String, _ path: String, query: [(name: String, value: String?)] = [], body: [UInt8]? = nil,
        idempotent: Bool = true
    ) throws(PhonePackError) -> HTTPResponse {
        var request = SignableRequest(
            method: method, host: endpoint.host, path: "/v1/\(endpoint.projectID)/\(path)", query: query)
        request.setHeader("Content-Type", "application/json")
        request.setHeader("X-Project-Id", endpoint.projectID)
        let bodySHA256 = Digest.hash(.sha256, body ?? []).hexString
        return try client.send(
            request, scheme: endpoint.scheme, body: body.map { .bytes($0) } ?? .none, idempotent: idempotent
        ) { request, time in
            switch self.endpoint.auth {
            case .accessKey(let credentials):
                return APIGatewaySigner(credentials: credentials)
                    .sign(&request, date: CloudTime.compact(time), bodySHA256: bodySHA256)
            case .token(let token):
                request.setHeader("X-Auth-Token", token)
                return .unsigned
            }
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: HTTPResponse, operation: String) throws(PhonePackError) -> T {
        do {
            return try JSONCoding.decode(type, from: response.body)
        } catch {
            throw PhonePackError(
                .service, operation: operation, path: "\(endpoint.scheme)://\(endpoint.host)",
                message: "the answer is not what the API documents: \(error.message)")
        }
    }

    /// PushShareApps: the tar at `bucket/objectPath` into the shared storage of up to 100 servers.
    public func pushShareApps(
        packageName: String, bucket: String, objectPath: String, serverIDs: [String], preInstall: Bool
    ) throws(PhonePackError) -> CPHBatchAnswer {
        try CPHRequestRules.shareApps(
            packageName: packageName, bucket: bucket, objectPath: objectPath, serverIDs: serverIDs)
        struct Body: Encodable {
            var package_name: String
            var pre_install_app: Int
            var bucket_name: String
            var object_path: String
            var server_ids: [String]
        }
        let body = try JSONCoding.encode(
            Body(
                package_name: packageName, pre_install_app: preInstall ? 1 : 0, bucket_name: bucket,
                object_path: objectPath, server_ids: serverIDs))
        let response = try send("POST", "cloud-phone/phones/share-apps", body: body)
        return try decode(CPHBatchAnswer.self, response, operation: "push share apps")
    }

    /// ListJobs for up to 20 request ids at once, every page.
    public func listJobs(requestIDs: [String]) throws(PhonePackError) -> [CPHJob] {
        precondition(requestIDs.count <= CPHRequestRules.maxRequestIDsPerListJobs)
        struct Answer: Decodable {
            var jobs: [CPHJob]
        }
        var jobs: [CPHJob] = []
        var offset = 0
        while true {
            let response = try send(
                "GET", "cloud-phone/jobs",
                query: [
                    ("request_ids", requestIDs.joined(separator: ",")), ("offset", String(offset)), ("limit", "100"),
                ])
            let page = try decode(Answer.self, response, operation: "list jobs").jobs
            jobs += page
            if page.count < 100 { return jobs }
            offset += page.count
        }
    }

    /// ListCloudPhoneServers, every page.
    public func listServers() throws(PhonePackError) -> [CPHServer] {
        struct Answer: Decodable {
            var servers: [CPHServer]
            var count: Int?
        }
        var servers: [CPHServer] = []
        while true {
            let response = try send(
                "GET", "cloud-phone/servers", query: [("offset", String(servers.count)), ("limit", "100")])
            let answer = try decode(Answer.self, response, operation: "list servers")
            servers += answer.servers
            if answer.servers.count < 100 || servers.count >= (answer.count ?? Int.max) { return servers }
        }
    }
}

/// CPH's documented field rules, checked before anything is sent: a violation names the field and the rule.
public enum CPHRequestRules {
    /// PushShareApps / PushShareFiles take at most this many server ids per call (current documentation).
    public static let maxServersPerShareCall = 100
    public static let maxRequestIDsPerListJobs = 20

    public static func shareApps(packageName: String, bucket: String, objectPath: String, serverIDs: [String])
        throws(PhonePackError)
    {
        try check(FieldRules.packageName(packageName), field: "package_name", value: packageName)
        try check(FieldRules.obsBucketName(bucket), field: "bucket_name", value: bucket)
        try check(FieldRules.cphObjectPath(objectPath), field: "object_path", value: objectPath)
        if !objectPath.hasSuffix(".tar") {
            throw violation(field: "object_path", value: objectPath, rule: "must name a .tar (CPH takes nothing else)")
        }
        guard (1...maxServersPerShareCall).contains(serverIDs.count) else {
            throw violation(
                field: "server_ids", value: "\(serverIDs.count) ids",
                rule: "1 to \(maxServersPerShareCall) per call (phonepack splits longer lists)")
        }
        if let bad = serverIDs.first(where: { $0.isEmpty || $0.count > 64 || !$0.allSatisfy(isIDCharacter) }) {
            throw violation(field: "server_ids", value: bad, rule: "ids are 1 to 64 letters, digits, - or _")
        }
    }

    static func check(_ result: FieldCheck, field: String, value: String) throws(PhonePackError) {
        if let rule = result.violation { throw violation(field: field, value: value, rule: rule) }
    }

    static func isIDCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }

    static func violation(field: String, value: String, rule: String) -> PhonePackError {
        PhonePackError(
            .invalidInput, operation: "check request", path: field,
            message: "'\(value)' breaks the rule: \(rule); nothing was sent")
    }
}
