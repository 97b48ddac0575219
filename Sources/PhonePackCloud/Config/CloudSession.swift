import PhonePackCore

/// Every endpoint, credential, project and auth decision of one run, in one place: the CLI fills in what the
/// user gave (flags, environment) and asks for a ready client. Anchored on s5cmd's `storage.NewClient(ctx, url,
/// opts)`: the command names what it wants to reach, the library decides how.
///
/// Precedence, the same for all seven services: `--endpoint` (where a command has one), `PHONEPACK_<SERVICE>_ENDPOINT`,
/// the profile's `<service>_endpoint`, the vendor's public endpoint of the region. Plain http only to this machine
/// (``ServiceURL``) unless `allowInsecureHTTP`.
public struct CloudSession {
    public var profile = "default"
    /// `--region`; else the profile's `region`, else `PHONEPACK_REGION`.
    public var region: String?
    /// `--endpoint`, for the services the command talks to with it (a release's `--endpoint` is its store's).
    public var endpoints: [CloudService: String] = [:]
    public var signature: ObjectStoreEndpoint.Signature?
    public var caBundle: String?
    public var allowInsecureHTTP = false
    public var debugSigning = false
    /// Where `-v` lines go (nil: nowhere).
    public var log: ((String) -> Void)?
    public var environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    public func config() throws(PhonePackError) -> CloudConfig {
        try CloudConfig.load(path: CloudConfig.defaultPath(environment: environment))
    }

    /// A client with the CA bundle, stall limits and logging applied.
    func httpClient() -> CloudClient {
        var options = HTTPOptions(environment: environment)
        options.caBundle = caBundle
        let client = CloudClient(options: options)
        client.debugSigning = debugSigning
        client.log = log
        return client
    }

    public func region(_ config: CloudConfig) -> String? {
        [region, config.value("region", profile: profile), environment["PHONEPACK_REGION"]].lazy.compactMap { $0 }
            .first { !$0.isEmpty }
    }

    /// The endpoint of `service`, by the precedence above.
    public func endpoint(_ service: CloudService, config: CloudConfig) throws(PhonePackError) -> ServiceURL {
        guard
            let text = endpoints[service] ?? environment[service.environmentVariable]
                ?? config.value(service.configKey, profile: profile)
                ?? service.publicURL(region: region(config))
        else {
            throw PhonePackError(
                .invalidInput, operation: "find endpoint", path: service.displayName,
                message: "no region or endpoint: give --region (e.g. cn-north-4), or set \(service.environmentVariable)"
            )
        }
        return try ServiceURL(parsing: text, service: service.displayName, allowInsecureHTTP: allowInsecureHTTP)
    }

    // MARK: Object stores

    /// A client for the bucket of `url`, with credentials, endpoint and logging resolved.
    public func objectStore(for url: ObjectURL) throws(PhonePackError) -> ObjectStoreClient {
        let config = try config()
        let service = try endpoint(CloudService(url.scheme), config: config)
        let store = ObjectStoreEndpoint(
            store: url.scheme, service: service, region: region(config), signature: signature)
        let credentials = try CredentialResolver.resolve(
            for: url.scheme, environment: environment, config: config, profile: profile)
        let client = httpClient()
        client.log?("using \(credentials) for \(store.scheme)://\(store.host) (\(store.signature.rawValue))")
        return ObjectStoreClient(bucket: url.bucket, endpoint: store, credentials: credentials, client: client)
    }

    // MARK: Huawei

    /// A CPH client: AK/SK signing (what the official SDK does) unless `huawei_auth = "token"` asks for an IAM
    /// token; project id from `HUAWEICLOUD_SDK_PROJECT_ID`, the profile's `huawei_project_id`, or IAM.
    public func cphClient() throws(PhonePackError) -> CPHClient {
        let config = try config()
        let url = try endpoint(.cph, config: config)
        let credentials = try CredentialResolver.resolve(
            for: .obs, environment: environment, config: config, profile: profile)
        let client = httpClient()
        let projectID: String
        if let configured = environment["HUAWEICLOUD_SDK_PROJECT_ID"]
            ?? config.value("huawei_project_id", profile: profile)
        {
            projectID = configured
        } else {
            guard let region = region(config) else {
                throw PhonePackError(
                    .invalidInput, operation: "find project", path: "huawei_project_id",
                    message: "give --region so the project id can be looked up, or set HUAWEICLOUD_SDK_PROJECT_ID")
            }
            projectID = try identity(config: config, client: client)
                .projectID(region: region, credentials: credentials)
        }
        let useToken =
            (environment["PHONEPACK_HUAWEI_AUTH"] ?? config.value("huawei_auth", profile: profile)) == "token"
        let auth: CPHClient.Auth =
            useToken ? .token(try iamToken(config: config, client: client)) : .accessKey(credentials)
        client.log?("using \(useToken ? "an IAM token" : credentials.description) for \(url), project \(projectID)")
        return CPHClient(endpoint: url, projectID: projectID, auth: auth, client: client)
    }

    /// A KooPhone client (one public endpoint) with an IAM token for the configured user.
    public func kooPhoneClient() throws(PhonePackError) -> KooPhoneClient {
        let config = try config()
        let url = try endpoint(.koophone, config: config)
        let client = httpClient()
        return KooPhoneClient(endpoint: url, token: try iamToken(config: config, client: client), client: client)
    }

    /// IAM for this profile, at its endpoint by the usual precedence.
    public func identity(config: CloudConfig, client: CloudClient) throws(PhonePackError) -> HuaweiIdentity {
        HuaweiIdentity(
            endpoint: try endpoint(.iam, config: config), client: client,
            cacheDirectory: HuaweiIdentity.defaultCacheDirectory(environment: environment))
    }

    /// The IAM user of the profile (or `PHONEPACK_IAM_*`): user, password, domain; nil when none is configured.
    public func iamUser(config: CloudConfig) -> (user: String, password: String, domain: String)? {
        let value = { (key: String) in
            environment["PHONEPACK_IAM_\(key.uppercased())"] ?? config.value("huawei_\(key)", profile: profile)
        }
        guard let user = value("user"), let password = value("password") else { return nil }
        return (user, password, value("domain") ?? user)
    }

    /// A project-scoped IAM token for the profile's user, cached until shortly before it expires.
    func iamToken(config: CloudConfig, client: CloudClient) throws(PhonePackError) -> String {
        guard let user = iamUser(config: config) else {
            throw PhonePackError(
                .invalidInput, operation: "get IAM token", path: "huawei_user",
                message:
                    "an IAM token needs huawei_user and huawei_password (phonepack config set), or PHONEPACK_IAM_USER / PHONEPACK_IAM_PASSWORD"
            )
        }
        return try identity(config: config, client: client).token(
            user: user.user, password: user.password, domain: user.domain, project: region(config) ?? "cn-north-4"
        ).value
    }

    // MARK: Alibaba

    /// An Alibaba Cloud Phone (eds-aic) client, with Alibaba AK/SK from the environment or profile.
    public func alibabaClient() throws(PhonePackError) -> AlibabaPhoneClient {
        let config = try config()
        let url = try endpoint(.edsAic, config: config)
        let credentials = try CredentialResolver.resolve(
            for: .oss, environment: environment, config: config, profile: profile)
        return AlibabaPhoneClient(endpoint: url, credentials: credentials, client: httpClient())
    }

    /// The OSS endpoint the phones themselves use for SendFile/FetchFile (`UploadEndpoint`): `explicit`, else the
    /// host of `PHONEPACK_OSS_ENDPOINT`, else the region's internal endpoint.
    /// Where transfer journals live (``transferStateDirectory(environment:)``).
    public var stateDirectory: String { transferStateDirectory(environment: environment) }

    public func phoneSideOSSEndpoint(explicit: String?) -> String {
        if let explicit { return explicit }
        if let configured = environment[CloudService.oss.environmentVariable] {
            return String(configured.split(separator: "://").last ?? Substring(configured))
        }
        return "oss-\(region ?? "cn-shanghai")-internal.aliyuncs.com"
    }
}

/// What `auth huawei` reports: the region's project id and where it came from, and a token when an IAM user is
/// configured (the token's value is never printed, only its expiry).
public struct HuaweiAuthCheck: Sendable {
    public var region: String
    public var projectID: String
    /// True when the id came from the profile or `HUAWEICLOUD_SDK_PROJECT_ID`, false when IAM was asked.
    public var projectConfigured: Bool
    public var token: IAMToken?
}

extension CloudSession {
    /// Looks up (or reads) the project id of the region and, with an IAM user configured, gets a token.
    public func checkHuaweiAuth() throws(PhonePackError) -> HuaweiAuthCheck {
        let config = try config()
        guard let region = region(config) else {
            throw PhonePackError(
                .invalidInput, operation: "check auth", path: "region",
                message: "give --region (e.g. cn-north-4) or set region in the profile")
        }
        let client = httpClient()
        let identity = try identity(config: config, client: client)
        var check: HuaweiAuthCheck
        if let id = environment["HUAWEICLOUD_SDK_PROJECT_ID"] ?? config.value("huawei_project_id", profile: profile) {
            check = HuaweiAuthCheck(region: region, projectID: id, projectConfigured: true)
        } else {
            let credentials = try CredentialResolver.resolve(
                for: .obs, environment: environment, config: config, profile: profile)
            check = HuaweiAuthCheck(
                region: region, projectID: try identity.projectID(region: region, credentials: credentials),
                projectConfigured: false)
        }
        if let user = iamUser(config: config) {
            check.token = try identity.token(
                user: user.user, password: user.password, domain: user.domain, project: region)
        }
        return check
    }
}
