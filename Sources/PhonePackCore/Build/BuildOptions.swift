import Glibc

/// What `phonepack build` was asked to do.
public struct BuildOptions: Sendable {
    public enum Input: Sendable {
        /// A folder with the APK(s) at its top and optional `lib/`, `data/`, `external/`, `obb/` folders.
        case directory(String)
        /// APK files: one base APK and its splits.
        case apks([String])
        /// A batch-storage export of a seed phone; only `packageName`'s paths are kept, as exported.
        case export(String)
    }

    public var input: Input
    public var output: String
    /// Must match the APK's manifest when given; required to choose a package from a multi-app export.
    public var packageName: String?
    /// Every entry's modification time (directory and APK inputs), or the clamp for exported times.
    /// `nil`: the newest input file's time for folders and APKs, the exported times for exports.
    public var mtime: Int64?
    /// Owner and modes per area, replacing ``AreaOwnership/androidDefault(_:)`` (not used for exports).
    public var ownership: [SharedAppLayout.Area: AreaOwnership]
    /// Also write `<output>.manifest.json` with every entry's SHA-256.
    public var writeManifest: Bool
    /// Send the tar here instead of to the file `output` (an upload), made once the size can be estimated.
    public var stream: (@Sendable (_ estimatedSize: Int64) throws(PhonePackError) -> any ByteStreamOutput)?

    public init(
        input: Input, output: String, packageName: String? = nil, mtime: Int64? = nil,
        ownership: [SharedAppLayout.Area: AreaOwnership] = [:], writeManifest: Bool = false
    ) {
        self.input = input
        self.output = output
        self.packageName = packageName
        self.mtime = mtime
        self.ownership = ownership
        self.writeManifest = writeManifest
    }
}

/// What `phonepack build` produced.
public struct BuildResult: Sendable, Codable {
    public var output: String
    public var sha256: String
    public var size: Int64
    public var package: APKInfo
    public var entries: Int
    public var files: Int
    /// Sum of file sizes inside the tar.
    var payloadBytes: Int64
    public var checksumFile: String
    public var manifestFile: String?
    /// Entries of an export that were left out because they belong to no area of the package.
    public var droppedEntries: Int

    /// The APK's facts are `apk` and the sum of the files `fileBytes`, as in every report.
    enum CodingKeys: String, CodingKey {
        case output, sha256, size, package = "apk", entries, files, payloadBytes = "fileBytes", checksumFile
        case manifestFile, droppedEntries
    }
}
