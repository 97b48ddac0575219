import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

extension ObjectStoreEndpoint.Signature: ExpressibleByArgument {}

/// Flags every command that talks to a cloud shares. Credentials never come from flags (they would show in `ps`):
/// only from the vendors' environment variables or the config file.
struct CloudOptions: ParsableArguments {
    @Option(help: "Profile in ~/.config/phonepack/config.toml.")
    var profile = "default"

    @Option(help: "Region, e.g. cn-north-4 or cn-shanghai (else the profile's).")
    var region: String?

    @Option(help: "Service endpoint URL (else PHONEPACK_<STORE>_ENDPOINT, the profile's, or the region's public one).")
    var endpoint: String?

    @Option(help: "Signature scheme: obs (OBS native), v4 (SigV4), oss4 or oss1. Default: the store's own.")
    var signature: ObjectStoreEndpoint.Signature?

    @Option(help: "A CA bundle to trust for TLS (verification is always on).")
    var caBundle: String?

    @Flag(help: "Allow plain http:// to endpoints that are not on this machine.")
    var allowInsecureHttp = false

    @Flag(name: .shortAndLong, help: "Log each request: method, URL without its query, status, request id, time.")
    var verbose = false

    @Flag(help: "On a signature mismatch, print our canonical request and string-to-sign next to the server's.")
    var debugSigning = false

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func loadConfig() throws -> CloudConfig {
        try CloudConfig.load(path: CloudConfig.defaultPath(environment: environment))
    }

    /// A client with `--ca-bundle` and the `-v` / `--debug-signing` logging applied.
    func httpClient() -> CloudClient {
        var options = HTTPOptions(environment: environment)
        options.caBundle = caBundle
        let client = CloudClient(options: options)
        client.debugSigning = debugSigning
        if verbose || debugSigning { client.log = logLine }
        return client
    }

    var configuredRegion: (CloudConfig) -> String? {
        { region ?? $0.value("region", profile: profile) ?? environment["PHONEPACK_REGION"] }
    }

    /// A service's endpoint: `explicit` (`--endpoint`), else `PHONEPACK_<NAME>_ENDPOINT`, else the profile's
    /// `<name>_endpoint`, else `regional(region)`; plain http only to this machine.
    func serviceEndpoint(
        _ name: String, explicit: String?, config: CloudConfig, regional: (String?) -> String?
    ) throws -> ServiceURL {
        let variable = "PHONEPACK_\(name.uppercased().replacing("-", with: "_"))_ENDPOINT"
        guard
            let url = explicit ?? environment[variable]
                ?? config.value("\(name.replacing("-", with: "_"))_endpoint", profile: profile)
                ?? regional(configuredRegion(config))
        else {
            throw ValidationError("give --region, or set \(variable)")
        }
        return try ServiceURL(parsing: url, service: name, allowInsecureHTTP: allowInsecureHttp)
    }

    /// A CPH client: AK/SK signing (what the official SDK does) unless `huawei_auth = "token"` asks for an IAM
    /// token; project id from `HUAWEICLOUD_SDK_PROJECT_ID`, the profile's `huawei_project_id`, or IAM.
    func cphClient(endpointOverride: String? = nil) throws -> CPHClient {
        let config = try loadConfig()
        let region = configuredRegion(config)
        let url = try serviceEndpoint("cph", explicit: endpointOverride, config: config) {
            $0.map { "https://cph.\($0).myhuaweicloud.com" }
        }
        let credentials = try CredentialResolver.resolve(
            for: .obs, environment: environment, config: config, profile: profile)
        let client = httpClient()
        var projectID = environment["HUAWEICLOUD_SDK_PROJECT_ID"] ?? config.value("huawei_project_id", profile: profile)
        if projectID == nil {
            guard let region else { throw ValidationError("give --region so the project id can be looked up") }
            projectID = try HuaweiIdentity(endpoint: try iamEndpoint(config), client: client, cacheDirectory: nil)
                .projectID(region: region, credentials: credentials)
        }
        let useToken =
            (environment["PHONEPACK_HUAWEI_AUTH"] ?? config.value("huawei_auth", profile: profile)) == "token"
        let auth: CPHEndpoint.Auth =
            useToken ? .token(try iamToken(config: config, client: client)) : .accessKey(credentials)
        let endpoint = CPHEndpoint(url: url, projectID: projectID!, auth: auth)
        client.log?("using \(useToken ? "an IAM token" : credentials.description) for \(url), project \(projectID!)")
        return CPHClient(endpoint: endpoint, client: client)
    }

    func iamEndpoint(_ config: CloudConfig) throws -> ServiceURL {
        try serviceEndpoint("iam", explicit: nil, config: config) {
            "https://iam.\($0 ?? "cn-north-4").myhuaweicloud.com"
        }
    }

    /// A project-scoped IAM token for the profile's (or PHONEPACK_IAM_*) user, cached until shortly before it
    /// expires.
    func iamToken(config: CloudConfig, client: CloudClient) throws -> String {
        let value = { (key: String) in
            environment["PHONEPACK_IAM_\(key.uppercased())"] ?? config.value("huawei_\(key)", profile: profile)
        }
        guard let user = value("user"), let password = value("password") else {
            throw ValidationError(
                "an IAM token needs huawei_user and huawei_password (phonepack config set), or PHONEPACK_IAM_USER / PHONEPACK_IAM_PASSWORD"
            )
        }
        return try HuaweiIdentity(
            endpoint: try iamEndpoint(config), client: client,
            cacheDirectory: HuaweiIdentity.defaultCacheDirectory(environment: environment)
        ).token(
            user: user, password: password, domain: value("domain") ?? user,
            project: configuredRegion(config) ?? "cn-north-4"
        ).value
    }

    /// A KooPhone client (one public endpoint) with an IAM token for the configured user.
    func kooPhoneClient() throws -> KooPhoneClient {
        let config = try loadConfig()
        let url = try serviceEndpoint("koophone", explicit: endpoint, config: config) { _ in
            "https://koophone.myhuaweicloud.com"
        }
        let client = httpClient()
        return KooPhoneClient(endpoint: url, token: try iamToken(config: config, client: client), client: client)
    }

    /// An Alibaba Cloud Phone (eds-aic) client, with Alibaba AK/SK from the environment or profile.
    func alibabaClient(endpointOverride: String? = nil) throws -> AlibabaPhoneClient {
        let config = try loadConfig()
        let url = try serviceEndpoint("eds-aic", explicit: endpointOverride, config: config) {
            $0.map { "https://eds-aic.\($0).aliyuncs.com" }
        }
        let credentials = try CredentialResolver.resolve(
            for: .oss, environment: environment, config: config, profile: profile)
        return AlibabaPhoneClient(endpoint: url, credentials: credentials, client: httpClient())
    }

    /// A client for the bucket of `url`, with credentials, endpoint and logging resolved.
    func objectStore(for url: ObjectURL) throws -> ObjectStoreClient {
        let config = try loadConfig()
        let endpoint = try ObjectStoreEndpoint.resolve(
            for: url, endpoint: self.endpoint, region: region, signature: signature, environment: environment,
            config: config, profile: profile, allowInsecureHTTP: allowInsecureHttp)
        let credentials = try CredentialResolver.resolve(
            for: url.scheme, environment: environment, config: config, profile: profile)
        let client = httpClient()
        client.log?("using \(credentials) for \(endpoint.scheme)://\(endpoint.host) (\(endpoint.signature.rawValue))")
        return ObjectStoreClient(bucket: url.bucket, endpoint: endpoint, credentials: credentials, client: client)
    }
}
