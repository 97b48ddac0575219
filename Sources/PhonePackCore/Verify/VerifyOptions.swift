/// What `phonepack verify` checks besides the profile's own rules.
public struct VerifyOptions: Sendable {
    public var profile: VerifyProfile
    /// The package the file must be for; inferred from the layout (or the APK) when `nil`.
    public var packageName: String?
    /// Expected SHA-256 of the whole file (hex).
    public var expectedSHA256: String?
    /// A manifest from `phonepack build --manifest`: the archive digest and every entry are compared.
    public var manifestPath: String?
    /// Free bytes in the server's shared storage; CPH needs more than twice the tar size.
    public var sharedFreeBytes: Int64?
    /// Where the file will be uploaded; bucket and key are checked against the API's rules.
    public var destination: ObjectURL?

    public init(
        profile: VerifyProfile, packageName: String? = nil, expectedSHA256: String? = nil,
        manifestPath: String? = nil, sharedFreeBytes: Int64? = nil, destination: ObjectURL? = nil
    ) {
        self.profile = profile
        self.packageName = packageName
        self.expectedSHA256 = expectedSHA256
        self.manifestPath = manifestPath
        self.sharedFreeBytes = sharedFreeBytes
        self.destination = destination
    }
}
