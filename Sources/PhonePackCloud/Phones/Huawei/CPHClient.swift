import PhonePackCore

/// The CPH REST API (`/v1/{project_id}/cloud-phone/…`): the calls phonepack makes, each validated before
/// anything is sent, signed per attempt, and answered as typed values.
public final class CPHClient {
    /// AK/SK signing (what the official SDK does) or an IAM token.
    public enum Auth: Sendable {
        case accessKey(Credentials)
        case token(String)
    }

    public let endpoint: ServiceURL
    public let projectID: String
    public let auth: Auth
    public let client: CloudClient

    public init(endpoint: ServiceURL, projectID: String, auth: Auth, client: CloudClient) {
        self.endpoint = endpoint
        self.projectID = projectID
        self.auth = auth
        self.client = client
    }

    /// A client with its own connection, for another thread.
    public func sibling() -> CPHClient {
        CPHClient(endpoint: endpoint, projectID: projectID, auth: auth, client: client.sibling())
    }

    /// Sends `body` (JSON) to `/v1/{project}/path`. `idempotent`: safe to send twice (reads; pushes of the
    /// same object, whose second run changes nothing).
    func send(
        _ method: String, _ path: String, query: [(name: String, value: String?)] = [], body: [UInt8]? = nil,
        idempotent: Bool = true
    ) throws(PhonePackError) -> ServiceResponse {
        var request = SignableRequest(
            method: method, host: endpoint.host, path: "/v1/\(projectID)/\(path)", query: query)
        request.setHeader("Content-Type", "application/json")
        request.setHeader("X-Project-Id", projectID)
        let bodySHA256 = Digest.hash(.sha256, body ?? []).hexString
        return try client.send(
            request, scheme: endpoint.scheme, body: body.map { .bytes($0) } ?? .none, idempotent: idempotent
        ) { request, time in
            switch self.auth {
            case .accessKey(let credentials):
                return APIGatewaySigner(credentials: credentials)
                    .sign(&request, date: CloudTime.compact(time), bodySHA256: bodySHA256)
            case .token(let token):
                request.setHeader("X-Auth-Token", token)
                return .unsigned
            }
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: ServiceResponse, operation: String) throws(PhonePackError)
        -> T
    {
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
    func deleteShareApps(packageName: String, serverIDs: [String]) throws(PhonePackError) -> CPHBatchAnswer {
        try FieldRules.packageName(packageName).require("package_name", value: packageName)
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
    func pushShareFiles(bucket: String, objectPath: String, serverIDs: [String]) throws(PhonePackError)
        -> CPHBatchAnswer
    {
        try FieldRules.obsBucketName(bucket).require("bucket_name", value: bucket)
        try FieldRules.cphObjectPath(objectPath).require("object_path", value: objectPath)
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
    func deleteShareFiles(paths: [String], serverIDs: [String]) throws(PhonePackError) -> CPHBatchAnswer {
        for path in paths {
            try FieldRules.shareFilePath(path).require("file_paths", value: path)
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
        try FieldRules.obsBucketName(bucket).require("bucket_name", value: bucket)
        try FieldRules.cphObjectPath(objectPath).require("object_path", value: objectPath)
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
        try CPHCommandRules.require(command: command, content: content)
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
            marker = try pages.next(answer.page_info?.next_marker, items: answer.phone_images.count)
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
            try pages.next(ids: answer.phones.map(\.phoneID))
            if answer.phones.count < 200 || phones.count >= (answer.count ?? Int.max) { return phones }
        }
    }

    /// ListJobs for up to 20 request ids at once, every page (or, with `stopAtRunning`, up to the first page
    /// that shows a job still running: a poll need not read the rest of a batch that is not done).
    func listJobs(requestIDs: [String], stopAtRunning: Bool = false) throws(PhonePackError) -> [CPHJob] {
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
            try pages.next(ids: page.map(\.jobID))
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
            try pages.next(ids: answer.servers.map(\.serverID))
            if answer.servers.count < 100 || servers.count >= (answer.count ?? Int.max) { return servers }
        }
    }
}
