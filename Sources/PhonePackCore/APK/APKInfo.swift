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

    /// Android resource ids of the manifest attributes we read; names may be stripped or obfuscated, ids are not.
    enum ResourceID {
        static let name: UInt32 = 0x0101_0003
        static let versionCode: UInt32 = 0x0101_021b
        static let versionName: UInt32 = 0x0101_021c
        static let minSdkVersion: UInt32 = 0x0101_020c
        static let targetSdkVersion: UInt32 = 0x0101_0270
    }

    /// Largest AndroidManifest.xml we inflate; real ones are tens of KiB.
    static let manifestLimit = 8 << 20

    /// Reads an APK stored at `offset` (length `length`) in `file`: a whole `.apk`, or an entry inside a tar.
    public static func read(from file: OpenFile, offset: Int64 = 0, length: Int64? = nil, displayName: String? = nil)
        throws(PhonePackError) -> APKInfo
    {
        let zip = try ZipReader(file: file, offset: offset, length: length, displayName: displayName)
        let scan = try zip.scan(readingDataOf: { $0 == "AndroidManifest.xml" }, limit: manifestLimit)
        guard let manifest = scan.contents["AndroidManifest.xml"] else {
            throw PhonePackError(
                .invalidInput, operation: "read APK", path: zip.displayName,
                message: "has no AndroidManifest.xml; it is a zip but not an APK")
        }
        var info = try parse(manifest: manifest, displayName: zip.displayName)
        var abis: Set<String> = []
        for (name, _) in scan.entries where name.hasPrefixBytes("lib/") {
            let parts = pathComponents(name, omittingEmpty: false)
            if parts.count >= 3, !parts[1].isEmpty { abis.insert(String(parts[1])) }
        }
        info.abis = abis.sorted()
        return info
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
