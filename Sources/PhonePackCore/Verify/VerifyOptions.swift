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
    /// Where the file's SHA-256 comes from. Unless it is computed, the file is read for its structure only.
    public var checksum = ChecksumSource.compute
    /// Whether the APKs inside are checked as PackageManager would install them (signatures, alignment, ABIs,
    /// SDK levels, splits). The emulator leaves this to its own package manager.
    public var checkInstall = true
    /// The phones the APKs are for.
    public var install = InstallTarget()
    /// What is installed (or was last released): the new APK must keep its signer and not lower its versionCode.
    public var upgradeFrom: APKIdentity?
    /// Report a lower versionCode / another signer than `upgradeFrom` as a warning, not a failure.
    public var allowDowngrade = false
    public var allowSignerChange = false

    public enum ChecksumSource: Sendable, Equatable {
        /// Read every byte and hash it (`verify`).
        case compute
        /// As its writer computed it from the very buffers it wrote (`release`, which builds the tar it verifies):
        /// reported, not recomputed.
        case written(String)
        /// Not needed: the layout rules only (the emulator's check of a pushed tar).
        case notNeeded
    }

    public init(
        profile: VerifyProfile, packageName: String? = nil, expectedSHA256: String? = nil,
        manifestPath: String? = nil, sharedFreeBytes: Int64? = nil, destination: ObjectURL? = nil,
        checksum: ChecksumSource = .compute, install: InstallTarget = InstallTarget()
    ) {
        self.install = install
        self.profile = profile
        self.packageName = packageName
        self.expectedSHA256 = expectedSHA256
        self.manifestPath = manifestPath
        self.sharedFreeBytes = sharedFreeBytes
        self.destination = destination
        self.checksum = checksum
    }
}
