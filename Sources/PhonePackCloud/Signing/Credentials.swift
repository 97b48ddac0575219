import PhonePackCore

/// An access key pair and optional STS token. `description` never shows the secret or the token.
public struct Credentials: Sendable, CustomStringConvertible {
    public var accessKey: String
    public var secretKey: String
    var securityToken: String?
    /// Where they came from, e.g. "environment (OBS_ACCESS_KEY_ID)" or "profile default".
    public var source: String

    public init(accessKey: String, secretKey: String, securityToken: String? = nil, source: String) {
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.securityToken = securityToken
        self.source = source
    }

    public var description: String { "access key \(accessKey) from \(source)" }
}
