import ArgumentParser
import FoundationEssentials
import PhonePackCloud
import PhonePackCore

extension ObjectStoreEndpoint.Signature: ExpressibleByArgument {}

/// Flags every command that talks to a cloud shares. Credentials never come from flags (they would show in `ps`):
/// only from the vendors' environment variables or the config file. Everything they decide is
/// PhonePackCloud's ``CloudSession``: this type only carries the flags there.
struct CloudOptions: ParsableArguments {
    @Option(
        help: "Config-file profile (else PHONEPACK_PROFILE, else default); a chosen profile beats the environment.",
        completion: Completions.profiles)
    var profile: String?

    @Option(help: "Region, e.g. cn-north-4 or cn-shanghai (else the profile's).")
    var region: String?

    @Option(
        help: "Service endpoint URL (else PHONEPACK_<SERVICE>_ENDPOINT, the profile's, or the region's public one).")
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

    /// The session, with `--endpoint` applying to `services` (the object stores unless the command talks to a
    /// phone service with it).
    func session(endpointFor services: Set<CloudService> = CloudService.objectStores) -> CloudSession {
        var session = CloudSession(environment: ProcessInfo.processInfo.environment, profile: profile)
        session.region = region
        if let endpoint { for service in services { session.endpoints[service] = endpoint } }
        session.signature = signature
        session.caBundle = caBundle
        session.allowInsecureHTTP = allowInsecureHttp
        session.debugSigning = debugSigning
        if verbose || debugSigning { session.log = logLine }
        session.notice = logLine
        return session
    }

    /// A client for the bucket of `url`.
    func objectStore(for url: ObjectURL) throws -> ObjectStoreClient { try session().objectStore(for: url) }
}
