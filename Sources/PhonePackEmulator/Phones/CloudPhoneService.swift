import HTTPTypes
import Hummingbird
import PhonePackCloud
import PhonePackCore
import Synchronization

/// One emulated job (a CPH job, a KooPhone command job, an Alibaba instance task): created running, ending
/// at `finishAt` with the outcome fixed when it was submitted.
struct EmulatedJob: Sendable {
    var id: String
    /// The CPH request id, KooPhone task id or Alibaba batch task id the job belongs to.
    var group: String
    var target: String
    var created: Int64
    var finishAt: Double
    var errorCode: String?
    var errorMessage: String?
    var output: String?

    func done(_ now: Double) -> Bool { now >= finishAt }
    var failed: Bool { errorCode != nil }
}

/// The cloud-phone APIs on one port, told apart by path: IAM (`/v3/…`: password tokens, project lookup),
/// CPH (`/v1/{project}/cloud-phone/…`), KooPhone (`/v1/instances/…`) and Alibaba eds-aic (`POST /` with an
/// action). Each checks its own authentication (API-gateway AK/SK or an IAM token; IAM tokens for KooPhone;
/// ACS3 or RPC signatures for eds-aic), answers in its own error format, and runs jobs against the emulated
/// phones in ``PhoneFleet``: pushes unpack real tars, exports write real tars into the OBS store, SendFile
/// reads from the OSS store, FetchFile writes to it.
public struct CloudPhoneService: HTTPResponder {
    public typealias Context = BasicRequestContext

    let credentials: Credentials
    let obs: ObjectStorage
    let oss: ObjectStorage
    let fleet: PhoneFleet
    let servers: [String]
    let phonesPerServer: Int
    let instances: [String]
    let aliInstances: [String]
    let jobSeconds: Double
    let failTargets: Set<String>
    let faults: FaultInjector
    let log: RequestLog
    let iamUser: String
    let iamPassword: String
    let jobs = JobTable()
    let tokens = TokenTable()
    let nonces = NonceSet()
    let clientTokens = ClientTokenTable()

    /// `obs` and `oss` are the storages the store services answer from, so that what the phones write is listed.
    public init(
        configuration: EmulatorConfiguration, obs: ObjectStorage, oss: ObjectStorage, faults: FaultInjector,
        log: RequestLog
    ) {
        let root = configuration.dataDirectory
        credentials = configuration.credentials
        self.obs = obs
        self.oss = oss
        fleet = PhoneFleet(
            root: joinPath(root, "phones"), apiLevel: configuration.phoneAPILevel, abis: configuration.phoneABIs)
        servers = (1...max(1, configuration.serverCount)).map { "server" + format4($0) }
        phonesPerServer = max(1, configuration.phonesPerServer)
        instances = (1...max(1, configuration.instanceCount)).map { "kp" + format4($0) }
        aliInstances = (1...max(1, configuration.instanceCount)).map { "acp-" + format4($0) }
        jobSeconds = configuration.jobSeconds
        failTargets = configuration.failTargets
        self.faults = faults
        self.log = log
        iamUser = configuration.iamUser
        iamPassword = configuration.iamPassword
    }

    /// The phones of a server: `phone0001` … in server order.
    func phones(of server: String) -> [String] {
        guard let index = servers.firstIndex(of: server) else { return [] }
        return (0..<phonesPerServer).map { "phone" + format4(index * phonesPerServer + $0 + 1) }
    }

    var allPhones: [String] { servers.flatMap { phones(of: $0) } }

    /// A refusal in the format of the API that refused.
    struct Failure: Error {
        var status: Int
        var code: String
        var message: String

        /// Runs a shared field-rule check; a broken rule becomes a 400 with `code` and "FIELD RULE", as the
        /// service words it.
        static func refusing(code: String, _ check: () throws(PhonePackError) -> Void) throws(Failure) {
            do {
                try check()
            } catch {
                let message = error.ruleViolation.map { "\($0.field) \($0.rule)" } ?? error.message
                throw Failure(status: 400, code: code, message: message)
            }
        }
    }

    enum API: String { case iam, cph, koophone, edsaic = "eds-aic" }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var incoming = ObjectStoreService.incoming(request)
        let rawPath = String((request.head.path ?? "/").prefix { $0 != "?" })
        let path = percentDecoded(rawPath)
        incoming.bucket = nil
        incoming.key = String(path.dropFirst())
        let api: API =
            path.hasPrefix("/v3/") ? .iam : path.hasPrefix("/v1/instances/") ? .koophone : path == "/" ? .edsaic : .cph
        let requestID = randomHex(32)
        var body: [UInt8] = []
        var response: Response
        var note: String?
        do {
            for try await buffer in request.body { body += buffer.readableBytesView }
            if let fault = faults.next(), fault != .slow {
                note = fault.rawValue
                throw fault == .tooMany
                    ? Failure(
                        status: 429, code: api == .edsaic ? "Throttling.User" : "APIGW.0308",
                        message: "The throttling threshold has been reached (injected)")
                    : Failure(
                        status: fault == .unavailable ? 503 : 500,
                        code: api == .edsaic ? "ServiceUnavailable" : "CPS.0003",
                        message: "Service internal error. (injected)")
            }
            switch api {
            case .iam: response = try iam(incoming, path: path, body: body)
            case .cph: response = try cph(incoming, path: path, body: body, requestID: requestID)
            case .koophone: response = try koophone(incoming, path: path, body: body, requestID: requestID)
            case .edsaic: response = try edsAic(incoming, body: body, requestID: requestID)
            }
        } catch let failure as Failure {
            response = errorResponse(failure, api: api, requestID: requestID)
        } catch {
            response = errorResponse(
                Failure(status: 500, code: "InternalError", message: "\(error)"), api: api, requestID: requestID)
        }
        let action =
            api == .edsaic
            ? incoming.header("x-acs-action") ?? incoming.query.first { $0.name == "Action" }?.value : nil
        log.record(store: api.rawValue, incoming, status: Int(response.status.code), note: note, action: action)
        let verdict = incoming.verdict.value
        log.wire.record(
            service: api.rawValue, method: incoming.method, target: request.head.path ?? "/",
            headers: incoming.headers, body: body, verdict: verdict.verdict, code: verdict.code)
        response.headers[HTTPField.Name("X-Request-Id")!] = requestID
        return response
    }

    func errorResponse(_ failure: Failure, api: API, requestID: String) -> Response {
        let fields: [String: String] =
            switch api {
            case .edsaic:
                [
                    "RequestId": requestID, "HostId": "eds-aic.emulator", "Code": failure.code,
                    "Message": failure.message,
                    "Recommend":
                        "https://api.aliyun.com/troubleshoot?q=\(failure.code)&product=eds-aic&requestId=\(requestID)",
                ]
            case .koophone: ["error_code": failure.code, "error_msg": failure.message]
            case .iam: ["error_code": failure.code, "error_msg": failure.message]
            case .cph: ["request_id": requestID, "error_code": failure.code, "error_msg": failure.message]
            }
        var response = encode(fields)
        response.status = HTTPResponse.Status(code: failure.status)
        return response
    }

    // MARK: IAM

    private func iam(_ request: IncomingRequest, path: String, body: [UInt8]) throws -> Response {
        switch (request.method, path) {
        case ("POST", "/v3/auth/tokens"):
            struct Body: Decodable {
                struct Auth: Decodable {
                    struct Identity: Decodable {
                        struct Password: Decodable {
                            struct User: Decodable {
                                var name: String
                                var password: String
                            }
                            var user: User
                        }
                        var password: Password?
                    }
                    var identity: Identity
                }
                var auth: Auth
            }
            guard let user = (try? JSONCoding.decode(Body.self, from: body))?.auth.identity.password?.user else {
                throw Failure(
                    status: 400, code: "IAM.0001", message: "the request body is not a password authentication")
            }
            guard user.name == iamUser, user.password == iamPassword else {
                throw Failure(status: 401, code: "IAM.0002", message: "The username or password is wrong.")
            }
            let token = "MII" + randomHex(60)
            let expires = CloudTime.now() + 86_400
            tokens.add(token, expires: expires)
            var response = encode(["token": ["expires_at": CloudTime.iso8601(expires).replacing("Z", with: ".000000Z")]]
            )
            response.status = .created
            response.headers[HTTPField.Name("X-Subject-Token")!] = token
            return response
        case ("GET", "/v3/projects"):
            try checkSignatureOrToken(request, path: path, body: body)
            let region = request.queryValue("name") ?? "cn-north-4"
            let id = Digest.hash(.sha256, Array(region.utf8)).hexString.prefix(32)
            return encode(["projects": [["id": String(id), "name": region]]])
        default:
            throw Failure(status: 404, code: "IAM.0100", message: "no such IAM API in the emulator")
        }
    }

    /// API-gateway AK/SK signature (SDK-HMAC-SHA256, over the received body) or a token this emulator issued.
    func checkSignatureOrToken(_ request: IncomingRequest, path: String, body: [UInt8]) throws {
        if let token = request.header("X-Auth-Token") {
            guard tokens.isValid(token) else {
                throw Failure(status: 401, code: "APIGW.0307", message: "The token must be updated.")
            }
            return
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
        let signed = (fields["SignedHeaders"] ?? "").split(separator: ";").map { $0.lowercased() }
        let computed = APISignatures.apiGateway(
            request, path: path, signed: signed, date: date, body: body, secret: credentials.secretKey)
        guard fields["Signature"] == computed.signature else {
            request.verdict.set(.mismatch, code: "APIGW.0301")
            throw Failure(
                status: 401, code: "APIGW.0301",
                message: "Incorrect IAM authentication information: verify aksk signature fail")
        }
        request.verdict.set(.accepted)
    }

    // MARK: Jobs

    /// Records jobs for `targets`, each ending after the emulated job time; `outcome(target)` runs now and
    /// says how the job will end (nil: success, with optional output).
    func submitJobs(group: String, targets: [String], outcome: (String) -> (failure: EmulatedFailure?, output: String?))
        -> [(target: String, jobID: String)]
    {
        let now = CloudTime.monotonicSeconds()
        return targets.map { target in
            let result =
                failTargets.contains(target)
                ? (
                    EmulatedFailure(
                        code: "EMULATOR.InjectedFailure", message: "\(target) fails every job (--fail-targets)"), nil
                )
                : outcome(target)
            let id = jobs.nextID()
            jobs.add(
                EmulatedJob(
                    id: id, group: group, target: target, created: CloudTime.now(), finishAt: now + jobSeconds,
                    errorCode: result.failure?.code, errorMessage: result.failure?.message, output: result.output))
            return (target, id)
        }
    }

    // MARK: JSON

    func encode(_ value: some Encodable) -> Response {
        let bytes = (try? JSONCoding.encode(value)) ?? Array("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The emulated jobs, shared by every request.
final class JobTable: Sendable {
    private let state = Mutex<(byID: [String: EmulatedJob], byGroup: [String: [String]], counter: Int)>(([:], [:], 0))

    func nextID() -> String {
        state.withLock { state in
            state.counter += 1
            return "job" + format4(state.counter) + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        }
    }

    func add(_ job: EmulatedJob) {
        state.withLock { state in
            state.byID[job.id] = job
            state.byGroup[job.group, default: []].append(job.id)
        }
    }

    func job(_ id: String) -> EmulatedJob? { state.withLock { $0.byID[id] } }

    func group(_ id: String) -> [EmulatedJob] {
        state.withLock { state in (state.byGroup[id] ?? []).compactMap { state.byID[$0] } }
    }
}

/// IAM tokens this emulator issued, with their expiry.
final class TokenTable: Sendable {
    private let tokens = Mutex<[String: Int64]>([:])
    func add(_ token: String, expires: Int64) { tokens.withLock { $0[token] = expires } }
    func isValid(_ token: String) -> Bool { tokens.withLock { ($0[token] ?? 0) > CloudTime.now() } }
}

/// `7` → `"0007"`: ids that sort as numbers.
func format4(_ value: Int) -> String {
    let text = String(value)
    return text.count >= 4 ? text : String(repeating: "0", count: 4 - text.count) + text
}
