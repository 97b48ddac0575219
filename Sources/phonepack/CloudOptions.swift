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

    /// A client for the bucket of `url`, with credentials, endpoint and logging resolved.
    func objectStore(for url: ObjectURL) throws -> ObjectStoreClient {
        let config = try loadConfig()
        let endpoint = try ObjectStoreEndpoint.resolve(
            for: url, endpoint: self.endpoint, region: region, signature: signature, environment: environment,
            config: config, profile: profile, allowInsecureHTTP: allowInsecureHttp)
        let credentials = try CredentialResolver.resolve(
            for: url.scheme, environment: environment, config: config, profile: profile)
        var options = HTTPOptions()
        options.caBundle = caBundle
        let client = CloudClient(options: options)
        client.debugSigning = debugSigning
        if verbose || debugSigning {
            client.log = { writeToStandardError("phonepack: \($0)\n") }
            client.log?(
                "using \(credentials) for \(endpoint.scheme)://\(endpoint.host) (\(endpoint.signature.rawValue))")
        }
        return ObjectStoreClient(bucket: url.bucket, endpoint: endpoint, credentials: credentials, client: client)
    }
}
