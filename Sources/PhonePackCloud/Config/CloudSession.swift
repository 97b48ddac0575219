import PhonePackCore

/// Every endpoint, credential, project and auth decision of one run, in one place: the CLI fills in what the
/// user gave (flags, environment) and asks for a ready client. Anchored on s5cmd's `storage.NewClient(ctx, url,
/// opts)`: the command names what it wants to reach, the library decides how.
///
/// Precedence of every setting (region, endpoints, credentials, project, auth): a flag, then a profile the user
/// chose (`--profile` or `PHONEPACK_PROFILE`), then the environment (`PHONEPACK_<SERVICE>_ENDPOINT`,
/// `OBS_ACCESS_KEY_ID`, …), then the default profile, then the vendor's public endpoint of the region. A profile
/// named on purpose is never silently overridden by variables left in the environment; the default one is. Plain
/// http only to this machine (``ServiceURL``) unless `allowInsecureHTTP`.
public struct CloudSession {
    /// `--profile`, else `PHONEPACK_PROFILE`, else "default".
    public let profile: String
    /// Whether the profile was chosen (`--profile` or `PHONEPACK_PROFILE`): then its values beat the environment's.
    public let profileChosen: Bool
    /// `--region`; else the setting `region` / `PHONEPACK_REGION`.
    public var region: String?
    /// `--endpoint`, for the services the command talks to with it (a release's `--endpoint` is its store's).
    public var endpoints: [CloudService: String] = [:]
    public var signature: ObjectStoreEndpoint.Signature?
    public var caBundle: String?
    public var allowInsecureHTTP = false
    public var debugSigning = false
    /// Where `-v` lines go (nil: nowhere).
    public var log: ((String) -> Void)?
    /// Where notices go that a person waiting should see (a silent server); `nil`: nowhere.
    public var notice: ((String) -> Void)?
    public var environment: [String: String]

    /// `profile` is the `--profile` flag, if given.
    public init(environment: [String: String], profile: String? = nil) {
        self.environment = environment
        let chosen = Self.chosenProfile(flag: profile, environment: environment)
        self.profile = chosen ?? "default"
        profileChosen = chosen != nil
    }

    /// `--profile`, else a non-empty `PHONEPACK_PROFILE`.
    public static func chosenProfile(flag: String?, environment: [String: String]) -> String? {
        flag ?? environment["PHONEPACK_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A setting after any flag: the chosen profile's `key`, the first non-empty of `variables`, the default
    /// profile's `key` — in that order when a profile was chosen (a key it lacks falls back, key by key), else the
    /// environment first.
    public func setting(_ key: String, environment variables: [String], config: CloudConfig) -> String? {
        settingWithSource(key, environment: variables, config: config)?.value
    }

    /// The setting and where it came from, in words: `profile staging`, `OBS_ACCESS_KEY_ID`, `profile default`.
    /// With `-v`, each lookup is logged with its source (never a secret's value).
    public func settingWithSource(
        _ key: String, environment variables: [String], config: CloudConfig, logged: Bool = true
    ) -> (value: String, source: String)? {
        let fromProfile = config.value(key, profile: profile).map { ($0, "profile \(profile)") }
        let fromEnvironment = variables.lazy.compactMap { name in
            self.environment[name].flatMap { $0.isEmpty ? nil : ($0, name) }
        }.first
        let fromDefault =
            profile == "default" ? nil : config.value(key, profile: "default").map { ($0, "profile default") }
        let found = profileChosen ? fromProfile ?? fromEnvironment ?? fromDefault : fromEnvironment ?? fromProfile
        if logged, let found, let log {
            let secret = key.contains("secret") || key.contains("password") || key.contains("key") || key == "proxy"
            log("setting \(key)\(secret ? "" : " = " + found.0.terminalSafe) from \(found.1)")
        }
        return found
    }

    /// The config file; a profile chosen by `--profile` or `PHONEPACK_PROFILE` that it does not have is an error
    /// naming the profiles it has, never silently the environment's values.
    public func config() throws(PhonePackError) -> CloudConfig {
        let path = CloudConfig.defaultPath(environment: environment)
        let config = try CloudConfig.load(path: path)
        if profileChosen, profile != "default", config.profiles[profile] == nil {
            let known = config.profiles.keys.sorted()
            throw PhonePackError(
                .invalidInput, operation: "read settings", path: "profile \(profile.terminalSafe)",
                message:
                    "is not in \(path) (\(known.isEmpty ? "it has no profiles" : "profiles: " + known.joined(separator: ", "))); add it with: phonepack config set KEY VALUE --profile \(profile.terminalSafe)"
            )
        }
        return config
    }

    /// A client with the CA bundle, stall limit, retries, proxy and logging applied.
    func httpClient(_ config: CloudConfig, for service: CloudService? = nil) throws(PhonePackError) -> CloudClient {
        let defaults = try commandDefaults(config)
        var options = HTTPOptions(environment: environment)
        options.caBundle = caBundle
        if let seconds = defaults.stallTimeout { options.lowSpeedTime = seconds }
        options.proxy = defaults.proxy
        let client = CloudClient(options: options, retry: RetryPolicy(maxAttempts: (defaults.retries ?? 3) + 1))
        client.debugSigning = debugSigning
        client.log = log
        client.endpointSources = endpointSources(config, preferring: service)
        client.notice = notice
        return client
    }

    /// Each configured endpoint's host (with and without its port) and where it was set: named in an error when
    /// the host cannot be reached.
    /// When two services share a host, `preferred`'s source is named.
    func endpointSources(_ config: CloudConfig, preferring preferred: CloudService?) -> [String: String] {
        var sources: [String: String] = [:]
        for service in CloudService.allCases.filter({ $0 != preferred }) + (preferred.map { [$0] } ?? []) {
            let found: (value: String, source: String)? =
                endpoints[service].map { ($0, "--endpoint") }
                ?? settingWithSource(
                    service.configKey, environment: [service.environmentVariable], config: config, logged: false)
            guard let found,
                let url = try? ServiceURL(parsing: found.value, service: service.displayName, allowInsecureHTTP: true)
            else { continue }
            let source = "\(found.source) (\(service.displayName) endpoint \(found.value.terminalSafe))"
            sources[url.host] = source
            sources[url.hostName] = source
        }
        return sources
    }

    /// What the config file sets for every command (a flag still wins): parallel jobs, a rate limit, retries
    /// after the first attempt, the stall timeout and a proxy; each by the usual precedence.
    public struct CommandDefaults: Sendable {
        public var jobs: Int?
        public var limitRate: Int64?
        public var retries: Int?
        public var stallTimeout: Int?
        public var proxy: String?
    }

    public func commandDefaults(_ config: CloudConfig) throws(PhonePackError) -> CommandDefaults {
        func number(_ key: String, _ variables: [String], in range: ClosedRange<Int>) throws(PhonePackError) -> Int? {
            guard let text = setting(key, environment: variables, config: config) else { return nil }
            guard let value = Int(text), range.contains(value) else {
                throw PhonePackError(
                    .invalidInput, operation: "read settings", path: key,
                    message:
                        "'\(text.terminalSafe)' is not a whole number from \(range.lowerBound) to \(range.upperBound) (profile \(profile) or the environment)"
                )
            }
            return value
        }
        var defaults = CommandDefaults()
        defaults.jobs = try number("jobs", ["PHONEPACK_JOBS"], in: 1...64)
        defaults.retries = try number("retries", ["PHONEPACK_RETRIES"], in: 0...10)
        defaults.stallTimeout = try number("stall_timeout", ["PHONEPACK_STALL_TIMEOUT"], in: 1...3600)
        if let text = setting("limit_rate", environment: ["PHONEPACK_LIMIT_RATE"], config: config) {
            guard let bytes = parseByteCount(text), bytes >= 2048 else {
                throw PhonePackError(
                    .invalidInput, operation: "read settings", path: "limit_rate",
                    message: "'\(text.terminalSafe)' is not a rate such as 20M (bytes per second, at least 2K)")
            }
            defaults.limitRate = bytes
        }
        // A proxy in the environment is libcurl's to apply (with no_proxy); the file's wins only as the usual
        // precedence says: from a chosen profile always, from the default profile when the environment has none.
        let proxyVariables = ["https_proxy", "HTTPS_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        if let proxy = setting("proxy", environment: proxyVariables, config: config),
            config.value("proxy", profile: profile) == proxy
        {
            // A proxy's user name and password (user:password@host) are libcurl's to send; the rest must be a URL.
            var checked = proxy
            if let scheme = proxy.firstRange(of: "://") {
                let authority = proxy[scheme.upperBound...].prefix { $0 != "/" }
                if let at = authority.lastIndex(of: "@") { checked.removeSubrange(scheme.upperBound...at) }
            }
            guard (try? ServiceURL(parsing: checked, service: "proxy", allowInsecureHTTP: true)) != nil else {
                throw PhonePackError(
                    .invalidInput, operation: "read settings", path: "proxy",
                    message:
                        "is not a URL such as http://proxy.example:3128 (the value is not shown: it may hold a password)"
                )
            }
            defaults.proxy = proxy
        }
        return defaults
    }

    public func region(_ config: CloudConfig) -> String? {
        region.flatMap { $0.isEmpty ? nil : $0 } ?? setting("region", environment: ["PHONEPACK_REGION"], config: config)
    }

    /// The endpoint of `service`, by the precedence above.
    public func endpoint(_ service: CloudService, config: CloudConfig) throws(PhonePackError) -> ServiceURL {
        guard
            let text = endpoints[service]
                ?? setting(service.configKey, environment: [service.environmentVariable], config: config)
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
        let credentials = try CredentialResolver.resolve(for: url.scheme, session: self, config: config)
        let client = try httpClient(config, for: CloudService(url.scheme))
        client.log?("using \(credentials) for \(store.scheme)://\(store.host) (\(store.signature.rawValue))")
        return ObjectStoreClient(bucket: url.bucket, endpoint: store, credentials: credentials, client: client)
    }

    // MARK: Huawei

    /// A CPH client: AK/SK signing (what the official SDK does) unless `huawei_auth = "token"` asks for an IAM
    /// token; project id from `HUAWEICLOUD_SDK_PROJECT_ID`, the profile's `huawei_project_id`, or IAM.
    public func cphClient() throws(PhonePackError) -> CPHClient {
        let config = try config()
        let url = try endpoint(.cph, config: config)
        let credentials = try CredentialResolver.resolve(for: .obs, session: self, config: config)
        let client = try httpClient(config, for: .cph)
        let projectID: String
        if let configured = setting("huawei_project_id", environment: ["HUAWEICLOUD_SDK_PROJECT_ID"], config: config) {
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
            setting("huawei_auth", environment: ["PHONEPACK_HUAWEI_AUTH"], config: config) == "token"
        let auth: CPHClient.Auth =
            useToken ? .token(try iamToken(config: config, client: client)) : .accessKey(credentials)
        client.log?("using \(useToken ? "an IAM token" : credentials.description) for \(url), project \(projectID)")
        return CPHClient(endpoint: url, projectID: projectID, auth: auth, client: client)
    }

    /// A KooPhone client (one public endpoint) with an IAM token for the configured user.
    public func kooPhoneClient() throws(PhonePackError) -> KooPhoneClient {
        let config = try config()
        let url = try endpoint(.koophone, config: config)
        let client = try httpClient(config, for: .koophone)
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
            setting("huawei_\(key)", environment: ["PHONEPACK_IAM_\(key.uppercased())"], config: config)
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
        let credentials = try CredentialResolver.resolve(for: .oss, session: self, config: config)
        return AlibabaPhoneClient(endpoint: url, credentials: credentials, client: try httpClient(config, for: .edsAic))
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
public struct HuaweiAuthCheck: Sendable, Codable {
    public var region: String
    public var projectID: String
    /// True when the id came from the profile or `HUAWEICLOUD_SDK_PROJECT_ID`, false when IAM was asked.
    public var projectConfigured: Bool
    /// Where it came from, in words: `profile staging`, `HUAWEICLOUD_SDK_PROJECT_ID`, `IAM`.
    public var projectSource = "IAM"
    /// Never encoded: `auth huawei --json` shows only when it expires.
    public var token: IAMToken? = nil {
        didSet { tokenExpiresAt = token.map { CloudTime.iso8601($0.expiresAt) } }
    }
    /// ISO 8601 UTC, when a token was obtained.
    public private(set) var tokenExpiresAt: String?

    enum CodingKeys: String, CodingKey { case region, projectID, projectConfigured, projectSource, tokenExpiresAt }
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
        let client = try httpClient(config)
        let identity = try identity(config: config, client: client)
        var check: HuaweiAuthCheck
        if let id = settingWithSource("huawei_project_id", environment: ["HUAWEICLOUD_SDK_PROJECT_ID"], config: config)
        {
            check = HuaweiAuthCheck(region: region, projectID: id.value, projectConfigured: true)
            check.projectSource = id.source
        } else {
            let credentials = try CredentialResolver.resolve(for: .obs, session: self, config: config)
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
