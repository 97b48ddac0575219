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

    /// Resolves the endpoint for `url`: `--endpoint`, else `PHONEPACK_<STORE>_ENDPOINT`, else the profile's,
    /// else the public endpoint of the region. IP and `localhost` endpoints are addressed path-style.
    /// Plain `http://` is accepted for loopback only, unless `allowInsecureHTTP`.
    public static func resolve(
        for url: ObjectURL, endpoint explicit: String?, region: String?, signature: Signature?,
        environment: [String: String], config: CloudConfig, profile: String, allowInsecureHTTP: Bool
    ) throws(PhonePackError) -> ObjectStoreEndpoint {
        let store = url.scheme.rawValue
        let region = region ?? config.value("region", profile: profile) ?? environment["PHONEPACK_REGION"]
        let configured =
            explicit ?? environment["PHONEPACK_\(store.uppercased())_ENDPOINT"]
            ?? config.value("\(store)_endpoint", profile: profile)
        let text: String
        if let configured {
            text = configured
        } else {
            guard let region else {
                throw PhonePackError(
                    .invalidInput, operation: "find endpoint", path: url.description,
                    message: "no region or endpoint: give --region (e.g. cn-north-4) or --endpoint URL")
            }
            text =
                switch url.scheme {
                case .obs: "https://obs.\(region).myhuaweicloud.com"
                case .oss: "https://oss-\(region).aliyuncs.com"
                case .s3: "https://s3.\(region).amazonaws.com"
                }
        }
        let service = try ServiceURL(parsing: text, service: store.uppercased(), allowInsecureHTTP: allowInsecureHTTP)
        let defaultSignature: Signature =
            switch url.scheme {
            case .obs: .obs
            case .oss: .oss4
            case .s3: .v4
            }
        return ObjectStoreEndpoint(
            store: url.scheme, scheme: service.scheme, host: service.host, region: region ?? "us-east-1",
            pathStyle: service.isIPLiteral || service.hostName.lowercased() == "localhost",
            signature: signature ?? defaultSignature)
    }
}
