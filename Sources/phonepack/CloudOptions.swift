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
        var options = HTTPOptions()
        options.caBundle = caBundle
        let client = CloudClient(options: options)
        client.debugSigning = debugSigning
        if verbose || debugSigning { client.log = { writeToStandardError("phonepack: \($0)\n") } }
        return client
    }

    /// A CPH client: endpoint from `--endpoint`, `PHONEPACK_CPH_ENDPOINT`, the profile's `cph_endpoint` or the
    /// region's; AK/SK from the environment or profile; project id from `HUAWEICLOUD_SDK_PROJECT_ID`, the
    /// profile's `huawei_project_id`, or looked up through IAM.
    func cphClient(endpointOverride: String? = nil) throws -> CPHClient {
        let config = try loadConfig()
        let region = self.region ?? config.value("region", profile: profile) ?? environment["PHONEPACK_REGION"]
        guard
            let url = endpointOverride ?? environment["PHONEPACK_CPH_ENDPOINT"]
                ?? config.value("cph_endpoint", profile: profile)
                ?? region.map({ "https://cph.\($0).myhuaweicloud.com" })
        else {
            throw ValidationError("give --region (e.g. cn-north-4), or set PHONEPACK_CPH_ENDPOINT")
        }
        try requireSafeScheme(url)
        let credentials = try CredentialResolver.resolve(
            for: .obs, environment: environment, config: config, profile: profile)
        let client = httpClient()
        var projectID = environment["HUAWEICLOUD_SDK_PROJECT_ID"] ?? config.value("huawei_project_id", profile: profile)
        if projectID == nil {
            guard let region else { throw ValidationError("give --region so the project id can be looked up") }
            let iam =
                environment["PHONEPACK_IAM_ENDPOINT"] ?? config.value("iam_endpoint", profile: profile)
                ?? "https://iam.\(region).myhuaweicloud.com"
            projectID = try HuaweiIdentity(endpoint: iam, client: client, cacheDirectory: nil)
                .projectID(region: region, credentials: credentials)
        }
        // AK/SK signing by default (what the official SDK does); an IAM token when the profile asks for one.
        let useToken =
            (environment["PHONEPACK_HUAWEI_AUTH"] ?? config.value("huawei_auth", profile: profile)) == "token"
        let auth: CPHEndpoint.Auth =
            useToken ? .token(try iamToken(config: config, region: region, client: client)) : .accessKey(credentials)
        let endpoint = try CPHEndpoint(url: url, projectID: projectID!, auth: auth)
        client.log?("using \(useToken ? "an IAM token" : credentials.description) for \(url), project \(projectID!)")
        return CPHClient(endpoint: endpoint, client: client)
    }

    /// A project-scoped IAM token for the profile's (or PHONEPACK_IAM_*) user, cached until shortly before it
    /// expires.
    func iamToken(config: CloudConfig, region: String?, client: CloudClient) throws -> String {
        let value = { (key: String) in
            environment["PHONEPACK_IAM_\(key.uppercased())"] ?? config.value("huawei_\(key)", profile: profile)
        }
        guard let user = value("user"), let password = value("password") else {
            throw ValidationError(
                "an IAM token needs huawei_user and huawei_password (phonepack config set), or PHONEPACK_IAM_USER / PHONEPACK_IAM_PASSWORD"
            )
        }
        let project = region ?? "cn-north-4"
        let iam =
            environment["PHONEPACK_IAM_ENDPOINT"] ?? config.value("iam_endpoint", profile: profile)
            ?? "https://iam.\(project).myhuaweicloud.com"
        try requireSafeScheme(iam)
        return try HuaweiIdentity(
            endpoint: iam, client: client,
            cacheDirectory: HuaweiIdentity.defaultCacheDirectory(environment: environment)
        ).token(user: user, password: password, domain: value("domain") ?? user, project: project).value
    }

    /// A KooPhone client: PHONEPACK_KOOPHONE_ENDPOINT or the profile's koophone_endpoint, else the public one;
    /// an IAM token for the configured user.
    func kooPhoneClient() throws -> KooPhoneClient {
        let config = try loadConfig()
        let url =
            endpoint ?? environment["PHONEPACK_KOOPHONE_ENDPOINT"] ?? config.value(
                "koophone_endpoint", profile: profile)
            ?? "https://koophone.myhuaweicloud.com"
        try requireSafeScheme(url)
        let client = httpClient()
        let region = self.region ?? config.value("region", profile: profile) ?? environment["PHONEPACK_REGION"]
        return try KooPhoneClient(
            endpoint: url, token: iamToken(config: config, region: region, client: client), client: client)
    }

    /// An Alibaba Cloud Phone (eds-aic) client: PHONEPACK_EDS_AIC_ENDPOINT, the profile's eds_aic_endpoint, or
    /// the region's; Alibaba AK/SK from the environment or profile.
    func alibabaClient(endpointOverride: String? = nil) throws -> AlibabaPhoneClient {
        let config = try loadConfig()
        let region = self.region ?? config.value("region", profile: profile) ?? environment["PHONEPACK_REGION"]
        guard
            let url = endpointOverride ?? environment["PHONEPACK_EDS_AIC_ENDPOINT"]
                ?? config.value("eds_aic_endpoint", profile: profile)
                ?? region.map({ "https://eds-aic.\($0).aliyuncs.com" })
        else {
            throw ValidationError("give --region (e.g. cn-shanghai), or set PHONEPACK_EDS_AIC_ENDPOINT")
        }
        try requireSafeScheme(url)
        let credentials = try CredentialResolver.resolve(
            for: .oss, environment: environment, config: config, profile: profile)
        return try AlibabaPhoneClient(endpoint: url, credentials: credentials, client: httpClient())
    }

    /// Plain http only to this machine, unless `--allow-insecure-http`.
    func requireSafeScheme(_ url: String) throws {
        guard url.hasPrefix("http://"), !allowInsecureHttp else { return }
        let rest = url.dropFirst(7)
        guard rest.hasPrefix("localhost") || rest.hasPrefix("127.") || rest.hasPrefix("[::1]") else {
            throw ValidationError(
                "\(url): plain http sends your requests unencrypted; use https, or --allow-insecure-http")
        }
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
