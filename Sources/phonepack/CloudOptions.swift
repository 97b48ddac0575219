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
        let endpoint = try CPHEndpoint(url: url, projectID: projectID!, auth: .accessKey(credentials))
        client.log?("using \(credentials) for \(url), project \(projectID!)")
        return CPHClient(endpoint: endpoint, client: client)
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
