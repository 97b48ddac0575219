import FoundationEssentials
import Glibc
import PhonePackCore

/// An IAM token: what CPH and KooPhone calls carry as `X-Auth-Token`. `description` never shows the value.
public struct IAMToken: Sendable, Codable, CustomStringConvertible {
    public var value: String
    /// Unix seconds, from the token's `expires_at`.
    public var expiresAt: Int64
    public var description: String { "IAM token valid until \(CloudTime.iso8601(expiresAt))" }
}

/// Huawei IAM: project-scoped tokens (password method, cached until shortly before they expire) and the
/// project id of a region (looked up with an AK/SK-signed request when not configured).
public final class HuaweiIdentity {
    public let client: CloudClient
    /// `https://iam.<region>.myhuaweicloud.com`, or a test server.
    public let endpoint: ServiceURL
    /// Where tokens are cached (0600 files); `nil` disables the cache.
    public let cacheDirectory: String?
    /// A cached token is reused until this many seconds before it expires.
    static let renewalMargin: Int64 = 300
    var scheme: String { endpoint.scheme }
    var host: String { endpoint.host }

    public init(endpoint: ServiceURL, client: CloudClient, cacheDirectory: String?) {
        self.endpoint = endpoint
        self.client = client
        self.cacheDirectory = cacheDirectory
    }

    /// `$XDG_CACHE_HOME/phonepack` or `~/.cache/phonepack`.
    static func defaultCacheDirectory(environment: [String: String]) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/phonepack" }
        return (environment["HOME"] ?? "/root") + "/.cache/phonepack"
    }

    /// A token scoped to `project` (a region name such as cn-north-4), from the cache when still valid.
    public func token(user: String, password: String, domain: String, project: String) throws(PhonePackError)
        -> IAMToken
    {
        let cacheFile = cacheDirectory.map {
            "\($0)/iam-\(Digest.hash(.sha256, Array("\(host)\n\(domain)\n\(user)\n\(project)".utf8)).hexString.prefix(16)).json"
        }
        if let cacheFile, let cached = try? readCache(cacheFile),
            cached.expiresAt - Self.renewalMargin > CloudTime.now()
        {
            return cached
        }
        let body: [UInt8] = Array(
            #"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"\#(jsonEscape(user))","password":"\#(jsonEscape(password))","domain":{"name":"\#(jsonEscape(domain))"}}}},"scope":{"project":{"name":"\#(jsonEscape(project))"}}}}"#
                .utf8)
        var request = SignableRequest(
            method: "POST", host: host, path: "/v3/auth/tokens", query: [("nocatalog", "true")],
            headers: [("Content-Type", "application/json;charset=utf8")])
        request.setHeader("Host", host)
        let response = try client.send(request, scheme: scheme, body: .bytes(body), idempotent: true) { _, _ in
            .unsigned
        }
        struct Answer: Decodable {
            struct Token: Decodable { var expires_at: String }
            var token: Token
        }
        guard let value = response.header("X-Subject-Token"),
            let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)),
            let expires = CloudTime.parseISO8601(answer.token.expires_at)
        else {
            throw PhonePackError(
                .service, operation: "get IAM token", path: "\(scheme)://\(host)/v3/auth/tokens",
                message: "answered \(response.status) without a token")
        }
        let token = IAMToken(value: value, expiresAt: expires)
        if let cacheFile { try? writeCache(token, to: cacheFile) }
        return token
    }

    /// The id of the project named after `region`, looked up with AK/SK signing (`GET /v3/projects?name=`).
    public func projectID(region: String, credentials: Credentials) throws(PhonePackError) -> String {
        let request = SignableRequest(
            method: "GET", host: host, path: "/v3/projects", query: [("name", region)],
            headers: [("Content-Type", "application/json")])
        let signer = APIGatewaySigner(credentials: credentials)
        let response = try client.send(request, scheme: scheme, idempotent: true) {
            signer.sign(&$0, date: CloudTime.compact($1))
        }
        struct Answer: Decodable {
            struct Project: Decodable {
                var id: String
                var name: String
            }
            var projects: [Project]
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)),
            let project = answer.projects.first(where: { $0.name == region }) ?? answer.projects.first
        else {
            throw PhonePackError(
                .service, operation: "look up project", path: "\(scheme)://\(host)/v3/projects",
                message: "no project named \(region); check --region, or set huawei_project_id")
        }
        return project.id
    }

    func readCache(_ path: String) throws -> IAMToken {
        try JSONDecoder().decode(IAMToken.self, from: Data(try OpenFile.forReading(path).readToEnd(limit: 1 << 20)))
    }

    func writeCache(_ token: IAMToken, to path: String) throws {
        try makeDirectories(parentDirectory(path))
        let output = try AtomicOutputFile(destination: path, permissions: 0o600)
        try output.file.writeAll(Array(try JSONEncoder().encode(token)))
        try output.commit()
    }
}

/// Escapes a string for a JSON string literal.
func jsonEscape(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            out +=
                "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                + String(scalar.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
