import FoundationEssentials

/// The JSON manifest `phonepack build --manifest` writes beside the tar and `phonepack verify --manifest` checks:
/// every entry with its owner, mode and SHA-256, the package facts and totals.
public struct BuildManifest: Sendable, Codable, Equatable {
    /// `/2`: the APK's facts under `apk`, its package name as `package` (`/1` had them as `package` and
    /// `packageName`; both are read).
    public var format = "phonepack-manifest/2"
    public var archive: Archive
    public var apk: APKInfo
    public var entries: [EntryRecord]
    var totals: Totals

    enum CodingKeys: String, CodingKey { case format, archive, apk, entries, totals }

    public struct Archive: Sendable, Codable, Equatable {
        public var name: String
        public var size: Int64
        public var sha256: String
    }

    public struct Totals: Sendable, Codable, Equatable {
        public var entries: Int
        public var files: Int
        public var bytes: Int64
    }

    func encoded() throws(PhonePackError) -> [UInt8] {
        do {
            return Array(try JSONOutput.encode(self)) + [0x0a]
        } catch {
            throw PhonePackError(.io, operation: "encode manifest", message: "cannot encode the manifest", cause: nil)
        }
    }

    /// Reads a manifest written by `phonepack build --manifest`.
    public static func read(path: String) throws(PhonePackError) -> BuildManifest {
        let bytes = try OpenFile.forReading(path).readToEnd()
        do {
            return try JSONDecoder().decode(BuildManifest.self, from: Data(bytes))
        } catch {
            throw PhonePackError(
                .invalidInput, operation: "read manifest", path: path,
                message: "is not a phonepack manifest (write one with: phonepack build --manifest)")
        }
    }
}

extension BuildManifest {
    public init(from decoder: any Decoder) throws {
        enum Legacy: String, CodingKey { case package }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        archive = try c.decode(Archive.self, forKey: .archive)
        apk =
            try c.decodeIfPresent(APKInfo.self, forKey: .apk)
            ?? decoder.container(keyedBy: Legacy.self).decode(APKInfo.self, forKey: .package)
        entries = try c.decode([EntryRecord].self, forKey: .entries)
        totals = try c.decode(Totals.self, forKey: .totals)
    }
}
