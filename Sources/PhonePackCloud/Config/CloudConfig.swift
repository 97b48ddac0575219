import Glibc
import PhonePackCore

/// `~/.config/phonepack/config.toml`: named profiles of region, endpoints and credentials.
///
/// ```toml
/// [default]
/// region = "cn-north-4"
/// huawei_access_key = "HPUA…"
/// huawei_secret_key = "…"
///
/// [staging]
/// oss_endpoint = "https://oss-cn-shanghai.aliyuncs.com"
/// ```
/// The format is a TOML subset (tables of string, integer or boolean keys), which is all the file needs.
public struct CloudConfig: Sendable, Equatable {
    public var profiles: [String: [String: String]] = [:]

    public init() {}

    /// The keys phonepack reads, with what each is for (`config list` shows them).
    public static let knownKeys: [String: String] = [
        "region": "region for every service (cn-north-4, cn-shanghai, …)",
        "huawei_access_key": "Huawei AK (OBS, CPH, IAM)", "huawei_secret_key": "Huawei SK",
        "huawei_security_token": "Huawei STS token", "huawei_project_id": "CPH project id",
        "huawei_user": "IAM user name (for tokens)", "huawei_domain": "account (domain) name (for tokens)",
        "huawei_password": "IAM user password (for tokens)",
        "alibaba_access_key_id": "Alibaba AccessKey ID (OSS, Cloud Phone)",
        "alibaba_access_key_secret": "Alibaba AccessKey secret", "alibaba_security_token": "Alibaba STS token",
        "s3_access_key_id": "access key for s3:// endpoints", "s3_secret_access_key": "secret for s3:// endpoints",
        "s3_session_token": "session token for s3:// endpoints",
        "obs_endpoint": "OBS endpoint URL", "oss_endpoint": "OSS endpoint URL", "s3_endpoint": "S3 endpoint URL",
        "iam_endpoint": "IAM endpoint URL", "cph_endpoint": "CPH endpoint URL",
        "koophone_endpoint": "KooPhone endpoint URL",
        "eds_aic_endpoint": "Alibaba Cloud Phone endpoint URL",
        "huawei_auth": "how CPH requests authenticate: aksk (default) or token (IAM token of huawei_user)",
        "jobs": "parts or files in flight at once (--jobs), 1 to 64", "limit_rate": "bandwidth cap, e.g. 20M",
        "retries": "retries of a failed request after the first attempt, 0 to 10 (default 3)",
        "stall_timeout": "seconds below 1 KiB/s before a transfer counts as stalled (default 30)",
        "proxy": "proxy URL for every request (else https_proxy / no_proxy from the environment)",
    ]

    /// Secrets are never printed, only whether they are set.
    public static func isSecret(_ key: String) -> Bool {
        key.contains("secret") || key.contains("token") || key.contains("password")
    }

    /// A value as `config list|get|set` show it: a secret only as set, and a URL's password (a `proxy` with
    /// `user:password@`) masked.
    public static func shown(_ key: String, _ value: String) -> String {
        if isSecret(key) { return "(set, hidden)" }
        guard let scheme = value.firstRange(of: "://"), let at = value[scheme.upperBound...].firstIndex(of: "@"),
            let colon = value[scheme.upperBound..<at].firstIndex(of: ":")
        else { return value }
        return String(value[..<value.index(after: colon)]) + "(hidden)" + String(value[at...])
    }

    /// `$PHONEPACK_CONFIG`, else `$XDG_CONFIG_HOME/phonepack/config.toml`, else `~/.config/phonepack/config.toml`.
    public static func defaultPath(environment: [String: String]) -> String {
        if let path = environment["PHONEPACK_CONFIG"], !path.isEmpty { return path }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/phonepack/config.toml" }
        return (environment["HOME"] ?? "/root") + "/.config/phonepack/config.toml"
    }

    /// Reads the file; a missing file is an empty configuration. A file that holds secrets and that other users
    /// can read (or that another user owns) is refused with the `chmod 600` fix, as ssh refuses a private key.
    public static func load(path: String) throws(PhonePackError) -> CloudConfig {
        guard try FileStatus.ifExists(path) != nil else { return CloudConfig() }
        let file = try OpenFile.forReading(path)
        let status = try file.status()
        let config = try parse(String(decoding: try file.readToEnd(limit: 1 << 20), as: UTF8.self), path: path)
        let holdsSecrets = config.profiles.values.contains { profile in
            profile.contains { isSecret($0.key) || ($0.key == "proxy" && hasPassword($0.value)) }
        }
        if holdsSecrets && (status.permissions & 0o077 != 0 || status.uid != geteuid()) {
            throw PhonePackError(
                .permissionDenied, operation: "read config", path: path,
                message:
                    status.uid != geteuid()
                    ? "holds secrets but belongs to another user; phonepack will not use it: copy it to a file of yours with mode 0600"
                    : "holds secrets and other users can read it (mode \(String(status.permissions, radix: 8))); phonepack will not use it until you run: chmod 600 \(path)"
            )
        }
        return config
    }

    /// Whether a URL carries a password (`scheme://user:password@host`).
    public static func hasPassword(_ url: String) -> Bool {
        guard let scheme = url.firstRange(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else {
            return false
        }
        return url[scheme.upperBound..<at].contains(":")
    }

    static func parse(_ text: String, path: String) throws(PhonePackError) -> CloudConfig {
        var config = CloudConfig()
        var section = "default"
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine).trimmingSpaces
            if line.isEmpty || line.hasPrefix("#") { continue }
            func bad(_ what: String) -> PhonePackError {
                PhonePackError(.invalidInput, operation: "read config", path: "\(path):\(number + 1)", message: what)
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), line.count > 2 else { throw bad("a table header looks like [name]") }
                section = String(line.dropFirst().dropLast()).trimmingSpaces
                if section.hasPrefix("profiles.") { section = String(section.dropFirst(9)) }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw bad("expected key = \"value\"") }
            let key = String(line[..<equals]).trimmingSpaces
            var value = String(line[line.index(after: equals)...]).trimmingSpaces
            if value.hasPrefix("\"") {
                guard let parsed = parseBasicString(value) else { throw bad("unterminated string") }
                value = parsed
            } else if value.hasPrefix("'") {
                guard value.count >= 2, value.hasSuffix("'") else { throw bad("unterminated string") }
                value = String(value.dropFirst().dropLast())
            } else {
                value = String(value.prefix { $0 != "#" }).trimmingSpaces
            }
            config.profiles[section, default: [:]][key] = value
        }
        return config
    }

    /// A TOML basic string `"…"` with `\"`, `\\`, `\n`, `\t` escapes; trailing comments allowed.
    static func parseBasicString(_ text: String) -> String? {
        var result = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped {
                switch character {
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: result.append(character)
                }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return result
            } else {
                result.append(character)
            }
        }
        return nil
    }

    func serialized() -> String {
        var out = "# phonepack configuration: profiles of region, endpoints and credentials (phonepack config --help)\n"
        for name in profiles.keys.sorted() {
            out += "\n[\(name)]\n"
            for (key, value) in profiles[name]!.sorted(by: { $0.key < $1.key }) {
                let escaped = value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing(
                    "\n", with: "\\n")
                out += "\(key) = \"\(escaped)\"\n"
            }
        }
        return out
    }

    /// Writes the file atomically, readable by its owner only (it holds secrets).
    public func save(path: String) throws(PhonePackError) {
        try makeDirectories(parentDirectory(path))
        let output = try AtomicOutputFile(destination: path, permissions: 0o600)
        try output.file.writeAll(Array(serialized().utf8))
        try output.commit()
    }

    public func value(_ key: String, profile: String) -> String? {
        profiles[profile]?[key]
    }
}

/// Finds credentials the way DESIGN.md orders them: the vendor's environment variables, then the profile.
public enum CredentialResolver {
    /// (access, secret, token) environment variable names per object-store scheme, most specific first.
    static let environmentNames: [ObjectURL.Scheme: [(String, String, String)]] = [
        .obs: [
            ("OBS_ACCESS_KEY_ID", "OBS_SECRET_ACCESS_KEY", "OBS_SECURITY_TOKEN"),
            ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN"),
        ],
        .oss: [
            ("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        ],
        .s3: [("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")],
    ]

    static let configNames: [ObjectURL.Scheme: (String, String, String)] = [
        .obs: ("huawei_access_key", "huawei_secret_key", "huawei_security_token"),
        .oss: ("alibaba_access_key_id", "alibaba_access_key_secret", "alibaba_security_token"),
        .s3: ("s3_access_key_id", "s3_secret_access_key", "s3_session_token"),
    ]

    /// The key pair for `scheme`: the chosen profile's, else the environment's, else the default profile's (see
    /// ``CloudSession`` for the order).
    static func resolve(for scheme: ObjectURL.Scheme, session: CloudSession, config: CloudConfig)
        throws(PhonePackError) -> Credentials
    {
        let profile = session.profile
        let (access, secret, token) = configNames[scheme]!
        let fromProfile = { () -> Credentials? in
            guard let key = config.value(access, profile: profile),
                let secretValue = config.value(secret, profile: profile)
            else { return nil }
            return Credentials(
                accessKey: key, secretKey: secretValue, securityToken: config.value(token, profile: profile),
                source: "profile \(profile)")
        }
        let fromEnvironment = { () -> Credentials? in
            for (access, secret, token) in environmentNames[scheme]! {
                if let key = session.environment[access], !key.isEmpty, let secretValue = session.environment[secret],
                    !secretValue.isEmpty
                {
                    return Credentials(
                        accessKey: key, secretKey: secretValue,
                        securityToken: session.environment[token].flatMap { $0.isEmpty ? nil : $0 },
                        source: "environment (\(access))")
                }
            }
            return nil
        }
        if let found = session.profileChosen ? fromProfile() ?? fromEnvironment() : fromEnvironment() ?? fromProfile() {
            return found
        }
        let names = environmentNames[scheme]!.map { "\($0.0)/\($0.1)" }.joined(separator: " or ")
        throw PhonePackError(
            .invalidInput, operation: "find credentials", path: "\(scheme.rawValue)://",
            message: "no credentials: set \(names), or run: phonepack config set \(access) (profile \(profile))")
    }
}

/// What `config list|get|set --json` print: the profile's values as ``CloudConfig/shown(_:_:)`` shows them.
public struct ProfileReport: Codable, Sendable, Equatable {
    public var path: String
    public var profile: String
    public var values: [String: String]

    public init(path: String, profile: String, values: [String: String]) {
        (self.path, self.profile, self.values) = (path, profile, values.mapValuesShown())
    }
}

/// What `config profiles --json` prints: every profile, and the one a command would use and why.
public struct ProfilesReport: Codable, Sendable, Equatable {
    public struct Profile: Codable, Sendable, Equatable {
        public var name: String
        public var keys: Int
    }

    public var path: String
    public var profiles: [Profile]
    public var used: String
    /// `default` or `PHONEPACK_PROFILE`.
    public var usedBecause: String

    public init(path: String, config: CloudConfig, chosen: String?) {
        self.path = path
        profiles = Set(config.profiles.keys).union(["default"]).sorted().map {
            Profile(name: $0, keys: config.profiles[$0]?.count ?? 0)
        }
        used = chosen ?? "default"
        usedBecause = chosen == nil ? "default" : "PHONEPACK_PROFILE"
    }
}

extension [String: String] {
    fileprivate func mapValuesShown() -> [String: String] {
        Dictionary(uniqueKeysWithValues: map { ($0.key, CloudConfig.shown($0.key, $0.value)) })
    }
}
