import PhonePackCore

/// Where and how to reach an object store: the endpoint, the addressing style and the signature scheme.
public struct ObjectStoreEndpoint: Sendable {
    public enum Signature: String, Sendable, CaseIterable {
        /// OBS native (`OBS AK:sig`).
        case obs
        /// AWS SigV4 with UNSIGNED-PAYLOAD (S3; OBS accepts it too).
        case v4
        /// OSS V4 (`OSS4-HMAC-SHA256`).
        case oss4
        /// OSS V1 (`OSS AK:sig`).
        case oss1
    }

    /// Which kind of store: OSS reports CRC-64s, the others do not.
    public var store: ObjectURL.Scheme
    public var scheme: String
    /// host[:port] of the service, without a bucket.
    public var host: String
    public var region: String
    public var pathStyle: Bool
    public var signature: Signature

    /// A store at `service`: IP and `localhost` endpoints are addressed path-style, DNS names virtual-hosted;
    /// the signature is the store's own unless one is asked for.
    public init(store: ObjectURL.Scheme, service: ServiceURL, region: String?, signature: Signature? = nil) {
        let defaultSignature: Signature =
            switch store {
            case .obs: .obs
            case .oss: .oss4
            case .s3: .v4
            }
        self.store = store
        self.scheme = service.scheme
        self.host = service.host
        self.region = region ?? "us-east-1"
        self.pathStyle = service.isIPLiteral || service.hostName.lowercased() == "localhost"
        self.signature = signature ?? defaultSignature
    }
}
