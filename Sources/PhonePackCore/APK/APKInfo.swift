/// What phonepack needs to know about an APK, read from its binary AndroidManifest.xml and its entry names.
public struct APKInfo: Sendable, Codable, Equatable {
    public var packageName: String
    public var versionCode: Int64?
    public var versionName: String?
    public var minSdk: Int?
    public var targetSdk: Int?
    /// Native ABIs, from the `lib/<abi>/` folders inside the APK.
    public var abis: [String]
    public var permissions: [String]
    /// For a split APK, its name (`config.arm64_v8a`); `nil` for a base APK.
    public var splitName: String?
    /// `<application android:testOnly="true">`: PackageManager refuses it unless installed with `-t`.
    public var testOnly: Bool? = nil
    /// `<application android:extractNativeLibs>`; `false` means native libraries run from inside the APK.
    public var extractNativeLibs: Bool? = nil
    /// `<manifest android:targetSandboxVersion>`; 2 needs a v2 or later signature.
    public var targetSandboxVersion: Int? = nil
    /// The ZIP says it spans several disks: Android's zip reader refuses it (`nil` when it does not).
    public var spansDisks: Bool? = nil
    /// The signatures, when read with `signatures: true`.
    public var signature: APKSignatureReport? = nil
    /// Where the entries PackageManager cares about lie (resources.arsc, native libraries), when read with
    /// `signatures: true`.
    public var placement: [EntryPlacement]? = nil

    /// In JSON the package name is `package`, as everywhere phonepack names a package.
    enum CodingKeys: String, CodingKey {
        case packageName = "package"
        case versionCode, versionName, minSdk, targetSdk, abis, permissions, splitName, testOnly, extractNativeLibs
        case targetSandboxVersion, spansDisks, signature, placement
    }

    /// An entry's compression and where its data starts in the APK: Android 11 maps `resources.arsc` and
    /// (with `extractNativeLibs="false"`) native libraries straight from the APK, so they must be stored and aligned.
    public struct EntryPlacement: Sendable, Codable, Equatable {
        public var name: String
        public var stored: Bool
        public var dataOffset: Int64
    }

    /// Android resource ids of the manifest attributes we read; names may be stripped or obfuscated, ids are not.
    enum ResourceID {
        static let name: UInt32 = 0x0101_0003
        static let versionCode: UInt32 = 0x0101_021b
        static let versionName: UInt32 = 0x0101_021c
        static let minSdkVersion: UInt32 = 0x0101_020c
        static let targetSdkVersion: UInt32 = 0x0101_0270
        static let testOnly: UInt32 = 0x0101_0272
        static let extractNativeLibs: UInt32 = 0x0101_04ea
        static let targetSandboxVersion: UInt32 = 0x0101_054c
    }

    /// Largest AndroidManifest.xml we inflate; real ones are tens of KiB.
    static let manifestLimit = 8 << 20

    /// Reads an APK stored at `offset` (length `length`) in `file`: a whole `.apk`, or an entry inside a tar.
    /// With `signatures`, also verifies its signatures (see ``APKSignatureVerifier``) and notes where
    /// resources.arsc and the native libraries lie.
    public static func read(
        from file: OpenFile, offset: Int64 = 0, length: Int64? = nil, displayName: String? = nil,
        signatures: Bool = false
    ) throws(PhonePackError) -> APKInfo {
        let zip = try ZipReader(file: file, offset: offset, length: length, displayName: displayName)
        let scan = try zip.scan(readingDataOf: { $0 == "AndroidManifest.xml" }, limit: manifestLimit)
        guard let manifest = scan.contents["AndroidManifest.xml"] else {
            throw PhonePackError(
                .invalidInput, operation: "read APK", path: zip.displayName,
                message: "has no AndroidManifest.xml; it is a zip but not an APK")
        }
        var info = try parse(manifest: manifest, displayName: zip.displayName)
        if zip.spansDisks { info.spansDisks = true }
        var abis: Set<String> = []
        for (name, _) in scan.entries where name.hasPrefixBytes("lib/") {
            let parts = pathComponents(name, omittingEmpty: false)
            if parts.count >= 3, !parts[1].isEmpty { abis.insert(String(parts[1])) }
        }
        info.abis = abis.sorted()
        if signatures {
            var size = length ?? 0
            if length == nil { size = try file.status().size - offset }
            info.signature = APKSignatureVerifier.verify(
                file: file, offset: offset, length: size, minSdk: info.minSdk, targetSdk: info.targetSdk,
                targetSandboxVersion: info.targetSandboxVersion)
            info.placement = try placement(file, offset: offset, length: size, displayName: zip.displayName)
        }
        return info
    }

    /// resources.arsc and every `lib/*/*.so`: stored or compressed, and where the data starts.
    private static func placement(_ file: OpenFile, offset: Int64, length: Int64, displayName: String)
        throws(PhonePackError) -> [EntryPlacement]
    {
        do throws(APKSignatureFailure) {
            let layout = try APKLayout.read(file, offset: offset, length: length)
            var placements: [EntryPlacement] = []
            for entry in try layout.centralDirectory(file)
            where entry.name == Array("resources.arsc".utf8)
                || (entry.name.starts(with: Array("lib/".utf8)) && entry.name.suffix(3).elementsEqual(".so".utf8))
            {
                placements.append(
                    EntryPlacement(
                        name: entry.displayName, stored: entry.isStored,
                        dataOffset: try layout.dataOffset(of: entry, in: file)))
            }
            return placements
        } catch {
            throw PhonePackError(
                .invalidInput, operation: "read APK", path: displayName, message: "is not a valid APK (zip): \(error)")
        }
    }

    /// Reads an APK file from disk.
    public static func read(path: String) throws(PhonePackError) -> APKInfo {
        try read(from: OpenFile.forReading(path))
    }

    static func parse(manifest: [UInt8], displayName: String) throws(PhonePackError) -> APKInfo {
        let document: BinaryXMLDocument
        do {
            document = try BinaryXMLDocument(parsing: manifest)
        } catch {
            throw PhonePackError(
                .invalidInput, operation: "parse AndroidManifest.xml", path: displayName,
                message: "has an AndroidManifest.xml that is not valid binary XML", cause: error)
        }
        guard let root = document.elements.first, root.name == "manifest" else {
            throw PhonePackError(
                .invalidInput, operation: "parse AndroidManifest.xml", path: displayName,
                message: "AndroidManifest.xml has no <manifest> root element")
        }
        guard let package = root.attribute("package")?.text, !package.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "parse AndroidManifest.xml", path: displayName,
                message: "AndroidManifest.xml has no package attribute")
        }
        var info = APKInfo(
            packageName: package, versionCode: nil, versionName: nil, minSdk: nil, targetSdk: nil, abis: [],
            permissions: [], splitName: root.attribute("split")?.text)
        if case .integer(let code)? = root.attribute("versionCode", resourceID: ResourceID.versionCode)?.value {
            info.versionCode = code
        }
        info.versionName = root.attribute("versionName", resourceID: ResourceID.versionName)?.text
        if case .integer(let v)? = root.attribute("targetSandboxVersion", resourceID: ResourceID.targetSandboxVersion)?
            .value
        {
            info.targetSandboxVersion = Int(v)
        }
        for element in document.elements where element.depth == 1 {
            switch element.name {
            case "uses-sdk":
                if case .integer(let v)? = element.attribute("minSdkVersion", resourceID: ResourceID.minSdkVersion)?
                    .value
                {
                    info.minSdk = Int(v)
                }
                if case .integer(let v)? = element.attribute(
                    "targetSdkVersion", resourceID: ResourceID.targetSdkVersion)?.value
                {
                    info.targetSdk = Int(v)
                }
            case "application":
                if case .boolean(let v)? = element.attribute("testOnly", resourceID: ResourceID.testOnly)?.value {
                    info.testOnly = v
                }
                if case .boolean(let v)? = element.attribute(
                    "extractNativeLibs", resourceID: ResourceID.extractNativeLibs)?.value
                {
                    info.extractNativeLibs = v
                }
            case "uses-permission", "uses-permission-sdk-23":
                if let name = element.attribute("name", resourceID: ResourceID.name)?.text {
                    info.permissions.append(name)
                }
            default:
                break
            }
        }
        return info
    }

    /// `1.4.2 (42)`, or what is known of it.
    public var versionDescription: String {
        switch (versionName, versionCode) {
        case let (name?, code?): "\(name) (\(code))"
        case let (name?, nil): name
        case let (nil, code?): "(\(code))"
        default: "unknown version"
        }
    }
}

extension APKInfo {
    /// The package name at `key` (`package`), or at `packageName`, the name JSON written before the vocabulary
    /// (README, "JSON") used.
    static func packageName<Key: CodingKey>(
        _ container: KeyedDecodingContainer<Key>, _ key: Key, _ decoder: any Decoder
    ) throws -> String {
        try container.decodeIfPresent(String.self, forKey: key)
            ?? decoder.container(keyedBy: LegacyKey.self).decode(String.self, forKey: .packageName)
    }

    private enum LegacyKey: String, CodingKey { case packageName }

    /// Reads `package`, or `packageName` as manifests written before phonepack-manifest/2 have it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        packageName = try Self.packageName(c, .packageName, decoder)
        versionCode = try c.decodeIfPresent(Int64.self, forKey: .versionCode)
        versionName = try c.decodeIfPresent(String.self, forKey: .versionName)
        minSdk = try c.decodeIfPresent(Int.self, forKey: .minSdk)
        targetSdk = try c.decodeIfPresent(Int.self, forKey: .targetSdk)
        abis = try c.decode([String].self, forKey: .abis)
        permissions = try c.decode([String].self, forKey: .permissions)
        splitName = try c.decodeIfPresent(String.self, forKey: .splitName)
        testOnly = try c.decodeIfPresent(Bool.self, forKey: .testOnly)
        extractNativeLibs = try c.decodeIfPresent(Bool.self, forKey: .extractNativeLibs)
        targetSandboxVersion = try c.decodeIfPresent(Int.self, forKey: .targetSandboxVersion)
        spansDisks = try c.decodeIfPresent(Bool.self, forKey: .spansDisks)
        signature = try c.decodeIfPresent(APKSignatureReport.self, forKey: .signature)
        placement = try c.decodeIfPresent([EntryPlacement].self, forKey: .placement)
    }
}
