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

/// A cloud phone as ListCloudPhones reports it (the fields phonepack uses).
public struct CPHPhone: Codable, Sendable, Equatable {
    public var phone_id: String
    public var phone_name: String?
    public var server_id: String?
    public var status: Int?

    public init(phone_id: String, phone_name: String? = nil, server_id: String? = nil, status: Int? = nil) {
        self.phone_id = phone_id
        self.phone_name = phone_name
        self.server_id = server_id
        self.status = status
    }
}

/// A phone image as ListCloudPhoneImages reports it.
public struct CPHImage: Codable, Sendable, Equatable {
    public var image_id: String
    public var image_name: String?
    public var os_type: String?
    public var os_name: String?
    public var image_label: String?
}

/// One phone's export: what BatchExportCloudPhoneData takes per phone.
public struct CPHStorageInfo: Codable, Sendable, Equatable {
    public var phone_id: String
    public var include_files: [String]
    public var exclude_files: [String]?
    public var bucket_name: String
    public var object_path: String

    public init(
        phone_id: String, include_files: [String], exclude_files: [String]?, bucket_name: String, object_path: String
    ) {
        self.phone_id = phone_id
        self.include_files = include_files
        self.exclude_files = exclude_files
        self.bucket_name = bucket_name
        self.object_path = object_path
    }
}

/// Where and how to reach CPH: endpoint, project, and AK/SK signing (what the official SDK does) or an IAM token.
public struct CPHEndpoint: Sendable {
    public enum Auth: Sendable {
        case accessKey(Credentials)
        case token(String)
    }

    public var url: ServiceURL
    public var projectID: String
    public var auth: Auth
    public var scheme: String { url.scheme }
    public var host: String { url.host }

    public init(url: ServiceURL, projectID: String, auth: Auth) {
        self.url = url
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

    /// DeleteShareApps (a DELETE with a JSON body): fails on a server while any phone still has the app.
    public func deleteShareApps(packageName: String, serverIDs: [String]) throws(PhonePackError) -> CPHBatchAnswer {
        try CPHRequestRules.check(FieldRules.packageName(packageName), field: "package_name", value: packageName)
        try CPHRequestRules.serverIDs(serverIDs)
        struct Body: Encodable {
            var package_name: String
            var server_ids: [String]
        }
        let body = try JSONCoding.encode(Body(package_name: packageName, server_ids: serverIDs))
        return try decode(
            CPHBatchAnswer.self, send("DELETE", "cloud-phone/phones/share-apps", body: body),
            operation: "delete share apps")
    }

    /// PushShareFiles: a tar from OBS into the servers' shared storage (`/data` and `/cache` trees only).
    public func pushShareFiles(bucket: String, objectPath: String, serverIDs: [String]) throws(PhonePackError)
        -> CPHBatchAnswer
    {
        try CPHRequestRules.check(FieldRules.obsBucketName(bucket), field: "bucket_name", value: bucket)
        try CPHRequestRules.check(FieldRules.cphObjectPath(objectPath), field: "object_path", value: objectPath)
        try CPHRequestRules.serverIDs(serverIDs)
        struct Body: Encodable {
            var bucket_name: String
            var object_path: String
            var server_ids: [String]
        }
        let body = try JSONCoding.encode(Body(bucket_name: bucket, object_path: objectPath, server_ids: serverIDs))
        return try decode(
            CPHBatchAnswer.self, send("POST", "cloud-phone/phones/share-files", body: body),
            operation: "push share files")
    }

    /// DeleteShareFiles (POST to the same path as the push, told apart by the body).
    public func deleteShareFiles(paths: [String], serverIDs: [String]) throws(PhonePackError) -> CPHBatchAnswer {
        for path in paths {
            try CPHRequestRules.check(FieldRules.shareFilePath(path), field: "file_paths", value: path)
        }
        try CPHRequestRules.serverIDs(serverIDs)
        struct Body: Encodable {
            var server_ids: [String]
            var file_paths: [String]
        }
        let body = try JSONCoding.encode(Body(server_ids: serverIDs, file_paths: paths))
        return try decode(
            CPHBatchAnswer.self, send("POST", "cloud-phone/phones/share-files", body: body),
            operation: "delete share files")
    }

    /// BatchExportCloudPhoneData: each phone's selected paths as a tar in OBS.
    public func exportData(_ infos: [CPHStorageInfo]) throws(PhonePackError) -> CPHBatchAnswer {
        for info in infos { try CPHRequestRules.export(info) }
        struct Body: Encodable { var storage_infos: [CPHStorageInfo] }
        let body = try JSONCoding.encode(Body(storage_infos: infos))
        return try decode(
            CPHBatchAnswer.self, send("POST", "cloud-phone/phones/batch-storage", body: body), operation: "export data")
    }

    /// BatchImportCloudPhoneData: restore each phone from a tar in OBS.
    public func restoreData(phoneIDs: [String], bucket: String, objectPath: String) throws(PhonePackError)
        -> CPHBatchAnswer
    {
        try CPHRequestRules.check(FieldRules.obsBucketName(bucket), field: "bucket_name", value: bucket)
        try CPHRequestRules.check(FieldRules.cphObjectPath(objectPath), field: "object_path", value: objectPath)
        struct Info: Encodable {
            var phone_id: String
            var bucket_name: String
            var object_path: String
        }
        struct Body: Encodable { var restore_infos: [Info] }
        let body = try JSONCoding.encode(
            Body(restore_infos: phoneIDs.map { Info(phone_id: $0, bucket_name: bucket, object_path: objectPath) }))
        return try decode(
            CPHBatchAnswer.self, send("POST", "cloud-phone/phones/batch-restore", body: body), operation: "restore data"
        )
    }

    /// A phone command (`push`, `install`, `install-multiple`, `uninstall`, `shell`) on phones.
    public func command(_ command: String, content: String, phoneIDs: [String]) throws(PhonePackError) -> CPHBatchAnswer
    {
        try CPHRequestRules.check(
            CPHCommandRules.check(command: command, content: content), field: "content", value: content)
        struct Body: Encodable {
            var command: String
            var content: String
            var phone_ids: [String]
        }
        let body = try JSONCoding.encode(Body(command: command, content: content, phone_ids: phoneIDs))
        // Not idempotent: a shell command may do something each time it runs.
        return try decode(
            CPHBatchAnswer.self,
            send("POST", "cloud-phone/phones/commands", body: body, idempotent: command != "shell"),
            operation: "run phone command")
    }

    /// ShowJob.
    public func job(_ id: String) throws(PhonePackError) -> CPHJob {
        try decode(CPHJob.self, send("GET", "cloud-phone/jobs/\(id)"), operation: "show job")
    }

    /// ListCloudPhoneImages of a type (`public`, `private`, `share`, `all`), every page.
    public func images(type: String) throws(PhonePackError) -> [CPHImage] {
        struct Answer: Decodable {
            struct PageInfo: Decodable { var next_marker: String? }
            var phone_images: [CPHImage]
            var page_info: PageInfo?
        }
        var images: [CPHImage] = []
        var marker: String?
        var pages = PageGuard("list images", limit: 1_000)
        repeat {
            var query: [(name: String, value: String?)] = [("image_type", type), ("limit", "500")]
            if let marker { query.append(("marker", marker)) }
            let answer = try decode(
                Answer.self, send("GET", "cloud-phone/phone-images", query: query), operation: "list images")
            images += answer.phone_images
            marker = try pages.next(answer.page_info?.next_marker)
        } while marker != nil
        return images
    }

    /// ListCloudPhones (of one server, or all), every page.
    public func listPhones(serverID: String? = nil) throws(PhonePackError) -> [CPHPhone] {
        struct Answer: Decodable {
            var phones: [CPHPhone]
            var count: Int?
        }
        var phones: [CPHPhone] = []
        var pages = PageGuard("list phones", limit: 1_000)
        while true {
            var query: [(name: String, value: String?)] = [("offset", String(phones.count)), ("limit", "200")]
            if let serverID { query.append(("server_id", serverID)) }
            let answer = try decode(
                Answer.self, send("GET", "cloud-phone/phones", query: query), operation: "list phones")
            phones += answer.phones
            try pages.next(ids: answer.phones.map(\.phone_id))
            if answer.phones.count < 200 || phones.count >= (answer.count ?? Int.max) { return phones }
        }
    }

    /// ListJobs for up to 20 request ids at once, every page (or, with `stopAtRunning`, up to the first page
    /// that shows a job still running: a poll need not read the rest of a batch that is not done).
    public func listJobs(requestIDs: [String], stopAtRunning: Bool = false) throws(PhonePackError) -> [CPHJob] {
        precondition(requestIDs.count <= CPHRequestRules.maxRequestIDsPerListJobs)
        struct Answer: Decodable {
            var jobs: [CPHJob]
        }
        var jobs: [CPHJob] = []
        var offset = 0
        // A request has at most one job per server or phone it named (100 per call, 1,000 for phone commands).
        var pages = PageGuard("list jobs", limit: requestIDs.count * 10 + 1)
        while true {
            let response = try send(
                "GET", "cloud-phone/jobs",
                query: [
                    ("request_ids", requestIDs.joined(separator: ",")), ("offset", String(offset)), ("limit", "100"),
                ])
            let page = try decode(Answer.self, response, operation: "list jobs").jobs
            jobs += page
            try pages.next(ids: page.map(\.job_id))
            if page.count < 100 || (stopAtRunning && page.contains { $0.status != 2 && $0.status != -1 }) {
                return jobs
            }
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
        var pages = PageGuard("list servers", limit: 1_000)
        while true {
            let response = try send(
                "GET", "cloud-phone/servers", query: [("offset", String(servers.count)), ("limit", "100")])
            let answer = try decode(Answer.self, response, operation: "list servers")
            servers += answer.servers
            try pages.next(ids: answer.servers.map(\.server_id))
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
        try self.serverIDs(serverIDs)
    }

    /// BatchExportCloudPhoneData's rules for one phone's entry.
    public static func export(_ info: CPHStorageInfo) throws(PhonePackError) {
        try check(
            FieldRules.exportIncludeFiles(info.include_files), field: "include_files",
            value: info.include_files.joined(separator: ","))
        for path in info.exclude_files ?? [] {
            try check(FieldRules.exportPath(path), field: "exclude_files", value: path)
        }
        try check(FieldRules.obsBucketName(info.bucket_name), field: "bucket_name", value: info.bucket_name)
        try check(FieldRules.cphObjectPath(info.object_path), field: "object_path", value: info.object_path)
    }

    public static func serverIDs(_ ids: [String], field: String = "server_ids", limit: Int = maxServersPerShareCall)
        throws(PhonePackError)
    {
        guard (1...limit).contains(ids.count) else {
            throw violation(
                field: field, value: "\(ids.count) ids", rule: "1 to \(limit) per call (phonepack splits longer lists)")
        }
        if let bad = ids.first(where: { $0.isEmpty || $0.count > 64 || !$0.allSatisfy(isIDCharacter) }) {
            throw violation(field: field, value: bad, rule: "ids are 1 to 64 letters, digits, - or _")
        }
    }

    public static func check(_ result: FieldCheck, field: String, value: String) throws(PhonePackError) {
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

/// The phone-command rules of CPH's `commands` API.
public enum CPHCommandRules {
    public static func check(command: String, content: String) -> FieldCheck {
        switch command {
        case "push":
            let check = FieldRules.cphPushFileContent(content)
            if check.isValid && !content.hasPrefix("obs://") {
                return FieldCheck(violation: "must be obs://bucket/path/file.tar")
            }
            return check
        case "install":
            guard content.utf8.count <= 1024 else { return FieldCheck(violation: "length must be at most 1024 bytes") }
            return content.contains("obs://")
                ? FieldCheck(violation: nil) : FieldCheck(violation: "must name an obs:// APK")
        case "install-multiple":
            guard content.utf8.count <= 8100 else { return FieldCheck(violation: "length must be at most 8100 bytes") }
            let apks = content.split(separator: " ").filter { $0.hasPrefix("obs://") }
            return (1...50).contains(apks.count)
                ? FieldCheck(violation: nil) : FieldCheck(violation: "must name 1 to 50 obs:// APKs of one app")
        case "uninstall":
            return FieldRules.packageName(content)
        case "shell":
            guard (1...2048).contains(content.utf8.count) else {
                return FieldCheck(violation: "length must be 1..2048 bytes")
            }
            return FieldCheck(violation: nil)
        default:
            return FieldCheck(violation: "command must be push, install, install-multiple, uninstall or shell")
        }
    }
}

/// `https://host[:port][/…]` → (scheme, host[:port]); the error names the service whose endpoint it is.
