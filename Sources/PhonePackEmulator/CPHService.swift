import HTTPTypes
import Hummingbird
import PhonePackCloud
import PhonePackCore
import Synchronization

/// One emulated CPH job: created running, ending `finishAt` with its outcome fixed at submission.
struct EmulatedJob: Sendable {
    var id: String
    var requestID: String
    var serverID: String?
    var phoneID: String?
    var created: Int64
    var finishAt: Double
    var errorCode: String?
    var errorMessage: String?

    func snapshot(now: Double) -> CPHJob {
        let done = now >= finishAt
        return CPHJob(
            job_id: id, status: done ? (errorCode == nil ? 2 : -1) : 1, server_id: serverID, phone_id: phoneID,
            error_code: done ? errorCode : nil, error_msg: done ? errorMessage : nil,
            begin_time: CloudTime.iso8601(created), end_time: done ? CloudTime.iso8601(Int64(finishAt)) : nil)
    }
}

/// The CPH API as phonepack uses it: PushShareApps (the tar in the OBS store is read and checked against the
/// share-app layout; a tar that breaks it fails every job), ListJobs / ShowJob with jobs that run for
/// `jobSeconds`, and ListCloudPhoneServers. Requests are checked with API-gateway AK/SK signatures
/// (SDK-HMAC-SHA256, recomputed over the received body) and the 15-minute clock window; errors come as CPH's
/// JSON `{request_id, error_code, error_msg}`.
public struct CPHService: HTTPResponder {
    public typealias Context = BasicRequestContext

    let credentials: Credentials
    let obs: ObjectStorage
    let servers: [String]
    let jobSeconds: Double
    let faults: FaultInjector
    let log: RequestLog
    private let jobs = JobTable()

    public init(
        credentials: Credentials, storage obs: ObjectStorage, serverCount: Int, jobSeconds: Double,
        faults: FaultInjector,
        log: RequestLog
    ) {
        self.credentials = credentials
        self.obs = obs
        servers = (1...max(1, serverCount)).map { "server" + format4($0) }
        self.jobSeconds = jobSeconds
        self.faults = faults
        self.log = log
    }

    struct Failure: Error {
        var status: Int
        var code: String
        var message: String
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var incoming = ObjectStoreService.incoming(request)
        incoming.bucket = nil
        incoming.key = nil
        let rawPath = String((request.head.path ?? "/").prefix { $0 != "?" })
        let requestID = (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16) }.joined()
        var body: [UInt8] = []
        var response: Response
        var note: String?
        do {
            for try await buffer in request.body { body += buffer.readableBytesView }
            if let fault = faults.next(), fault != .slow {
                note = fault.rawValue
                throw fault == .tooMany
                    ? Failure(
                        status: 429, code: "APIGW.0308", message: "The throttling threshold has been reached (injected)"
                    )
                    : Failure(status: 500, code: "CPS.0003", message: "Service internal error. (injected)")
            }
            try verifySignature(incoming, path: percentDecoded(rawPath), body: body)
            response = try route(incoming, path: percentDecoded(rawPath), body: body, requestID: requestID)
        } catch let failure as Failure {
            response = json(
                ["request_id": requestID, "error_code": failure.code, "error_msg": failure.message],
                status: failure.status)
        } catch {
            response = json(
                ["request_id": requestID, "error_code": "CPS.0003", "error_msg": "\(error)"], status: 500)
        }
        var logged = incoming
        logged.key = String(rawPath.dropFirst())
        log.record(store: "cph", logged, status: Int(response.status.code), note: note)
        response.headers[HTTPField.Name("X-Request-Id")!] = requestID
        return response
    }

    // MARK: Signature

    private func verifySignature(_ request: IncomingRequest, path: String, body: [UInt8]) throws {
        if request.header("X-Auth-Token") != nil {
            throw Failure(
                status: 401, code: "APIGW.0301",
                message: "Incorrect IAM authentication information: the emulator takes AK/SK signatures only")
        }
        guard let authorization = request.header("Authorization"), authorization.hasPrefix("SDK-HMAC-SHA256 ") else {
            throw Failure(
                status: 401, code: "APIGW.0101",
                message: "Incorrect IAM authentication information: Authorization missing")
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(16).split(separator: ",") {
            let item = part.drop { $0 == " " }
            if let equals = item.firstIndex(of: "=") {
                fields[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
        }
        guard fields["Access"] == credentials.accessKey else {
            throw Failure(
                status: 401, code: "APIGW.0301", message: "Incorrect IAM authentication information: AK not found")
        }
        guard let date = request.header("X-Sdk-Date"), let time = CloudTime.parseCompact(date),
            abs(time - CloudTime.now()) <= 900
        else {
            throw Failure(
                status: 401, code: "APIGW.0301",
                message: "Incorrect IAM authentication information: request time expired or X-Sdk-Date missing")
        }
        let signed = Set((fields["SignedHeaders"] ?? "").split(separator: ";").map(String.init))
        var signable = SignableRequest(
            method: request.method, host: request.host, path: path, query: request.query,
            headers: request.headers.filter { signed.contains($0.name.lowercased()) })
        APIGatewaySigner(credentials: credentials)
            .sign(&signable, date: date, bodySHA256: Digest.hash(.sha256, body).hexString)
        guard signable.header("Authorization") == authorization else {
            throw Failure(
                status: 401, code: "APIGW.0301",
                message: "Incorrect IAM authentication information: verify aksk signature fail")
        }
    }

    // MARK: Routes

    private func route(_ request: IncomingRequest, path: String, body: [UInt8], requestID: String) throws -> Response {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "v1" else {
            throw Failure(status: 404, code: "APIGW.0101", message: "The API does not exist or has not been published")
        }
        let route = parts.dropFirst(2).joined(separator: "/")
        switch (request.method, route) {
        case ("POST", "cloud-phone/phones/share-apps"):
            return try pushShareApps(body, requestID: requestID)
        case ("GET", "cloud-phone/jobs"):
            return listJobs(request)
        case ("GET", _) where route.hasPrefix("cloud-phone/jobs/"):
            let id = String(route.dropFirst("cloud-phone/jobs/".count))
            guard let job = jobs.withLock({ $0.byID[id] }) else {
                throw Failure(status: 404, code: "CPS.0015", message: "Job is not found.")
            }
            return encode(job.snapshot(now: CloudTime.monotonicSeconds()))
        case ("GET", "cloud-phone/servers"):
            let offset = Int(request.queryValue("offset") ?? "") ?? 0
            let limit = min(Int(request.queryValue("limit") ?? "") ?? 100, 100)
            struct Answer: Encodable {
                var request_id: String
                var count: Int
                var servers: [CPHServer]
            }
            let page = servers.dropFirst(offset).prefix(limit).map {
                CPHServer(server_id: $0, server_name: "emulated-\($0)", status: 5)
            }
            return encode(Answer(request_id: requestID, count: servers.count, servers: Array(page)))
        default:
            throw Failure(status: 404, code: "APIGW.0101", message: "The API does not exist or has not been published")
        }
    }

    private func pushShareApps(_ body: [UInt8], requestID: String) throws -> Response {
        struct Body: Decodable {
            var package_name: String
            var pre_install_app: Int?
            var bucket_name: String
            var object_path: String
            var server_ids: [String]
        }
        guard let push = try? JSONCoding.decode(Body.self, from: body) else {
            throw Failure(status: 400, code: "CPS.0118", message: "Parameter: body is invalid.")
        }
        do {
            try CPHRequestRules.shareApps(
                packageName: push.package_name, bucket: push.bucket_name, objectPath: push.object_path,
                serverIDs: push.server_ids)
        } catch {
            throw Failure(status: 400, code: "CPS.0118", message: "Parameter invalid: \(error.description)")
        }
        // One check of the tar serves every server of the call, as the service fetches it once.
        var failure: (code: String, message: String)?
        if let path = obs.dataPath(bucket: push.bucket_name, key: push.object_path) {
            let report = try? PackageVerifier.verify(
                path: path, options: VerifyOptions(profile: .huaweiShareApp, packageName: push.package_name))
            if let report, !report.passed {
                let rule = report.rules.first { $0.status == .fail }
                failure = (
                    "EMULATOR.LayoutRejected",
                    "the tar breaks the share-app layout: \(rule?.id ?? ""): \(rule?.detail ?? "")"
                )
            } else if report == nil {
                failure = ("EMULATOR.LayoutRejected", "the object is not a readable tar")
            }
        } else {
            failure = ("EMULATOR.NoSuchObject", "obs://\(push.bucket_name)/\(push.object_path) does not exist")
        }
        let known = Set(servers)
        let now = CloudTime.monotonicSeconds()
        let entries = jobs.withLock { state -> [CPHJobEntry] in
            push.server_ids.map { server in
                guard known.contains(server) else {
                    return CPHJobEntry(server_id: server, error_code: "CPS.0016", error_msg: "server_id is invalid.")
                }
                state.counter += 1
                let id = "job\(format4(state.counter))\(requestID.prefix(8))"
                state.byID[id] = EmulatedJob(
                    id: id, requestID: requestID, serverID: server, created: CloudTime.now(),
                    finishAt: now + jobSeconds, errorCode: failure?.code, errorMessage: failure?.message)
                state.byRequest[requestID, default: []].append(id)
                return CPHJobEntry(server_id: server, job_id: id)
            }
        }
        return encode(CPHBatchAnswer(request_id: requestID, jobs: entries))
    }

    private func listJobs(_ request: IncomingRequest) -> Response {
        let ids = (request.queryValue("request_ids") ?? request.queryValue("request_id") ?? "")
            .split(separator: ",").map(String.init)
        let offset = Int(request.queryValue("offset") ?? "") ?? 0
        let limit = min(Int(request.queryValue("limit") ?? "") ?? 100, 100)
        let now = CloudTime.monotonicSeconds()
        let all = jobs.withLock { state in
            ids.flatMap { state.byRequest[$0] ?? [] }.compactMap { state.byID[$0]?.snapshot(now: now) }
        }
        struct Answer: Encodable {
            var request_id: String
            var count: Int
            var jobs: [CPHJob]
        }
        return encode(
            Answer(request_id: ids.first ?? "", count: all.count, jobs: Array(all.dropFirst(offset).prefix(limit))))
    }

    // MARK: JSON

    private func encode(_ value: some Encodable) -> Response {
        let bytes = (try? JSONCoding.encode(value)) ?? Array("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func json(_ fields: [String: String], status: Int) -> Response {
        var response = encode(fields)
        response.status = HTTPResponse.Status(code: status)
        return response
    }
}

/// The emulated jobs, shared by every request.
final class JobTable: Sendable {
    private let state = Mutex<(byID: [String: EmulatedJob], byRequest: [String: [String]], counter: Int)>(([:], [:], 0))

    func withLock<T>(_ body: (inout (byID: [String: EmulatedJob], byRequest: [String: [String]], counter: Int)) -> T)
        -> T
    {
        state.withLock { body(&$0) }
    }
}

/// `7` → `"0007"`: ids that sort as numbers.
func format4(_ value: Int) -> String {
    let text = String(value)
    return text.count >= 4 ? text : String(repeating: "0", count: 4 - text.count) + text
}
