/// The directory layout CPH PushShareApps expects in a shared-app tar, and the Android owners and modes that go
/// with it. Paths are relative to the phone's `/`, as the push restores the tar there.
///
/// ```
/// data/app/<pkg>-<suffix>/base.apk           + split_*.apk, lib/<abi>/…
/// data/data/<pkg>/…                          private app data
/// data/media/0/Android/data/<pkg>/…          external app-specific data
/// data/media/obb/<pkg>/…                     OBB files (XAPK)
/// ```
public struct SharedAppLayout: Sendable {
    public enum Area: String, Sendable, CaseIterable, Codable {
        case app, data, external, obb
    }

    public let packageName: String

    public init(packageName: String) { self.packageName = packageName }

    static let appParent = "data/app"
    static let dataParent = "data/data"
    static let externalParent = "data/media/0/Android/data"
    static let obbParent = "data/media/obb"

    /// Directories above the package roots. A tar entry for one of these would change the phone's own
    /// `/data`, `/data/media`… owner and mode when pushed.
    static let ancestorDirectories: Set<String> = [
        "data", "data/app", "data/data", "data/media", "data/media/0", "data/media/0/Android",
        "data/media/0/Android/data", "data/media/obb",
    ]

    /// The root of an area; for `.app` the builder's default `data/app/<pkg>-1`.
    public func root(_ area: Area) -> String {
        switch area {
        case .app: "\(Self.appParent)/\(packageName)-1"
        case .data: "\(Self.dataParent)/\(packageName)"
        case .external: "\(Self.externalParent)/\(packageName)"
        case .obb: "\(Self.obbParent)/\(packageName)"
        }
    }

    /// Which area a normalised path belongs to (its root or anything beneath), or `nil` if it is outside all four.
    public func area(of path: String) -> Area? {
        if path.hasPrefixBytes(Self.appParent + "/") {
            let first = Substring(path.utf8.dropFirst(Self.appParent.utf8.count + 1).prefix { $0 != UInt8(ascii: "/") })
            if first.hasPrefixBytes(packageName + "-"), first.utf8.count > packageName.utf8.count + 1 { return .app }
            return nil
        }
        for area in [Area.data, .external, .obb] where EntryPath.isWithin(path, root(area)) {
            return area
        }
        return nil
    }

    /// The `data/app/<pkg>-<suffix>` directory a path lies in, if any.
    public func appDirectory(of path: String) -> String? {
        guard area(of: path) == .app else { return nil }
        return pathComponents(path).prefix(3).joined(separator: "/")
    }

    /// Whether a normalised path is the app's `base.apk`: `data/app/<pkg>-<suffix>/base.apk`, compared as bytes.
    public func isBaseAPK(_ path: String) -> Bool {
        guard path.hasSuffixBytes("/base.apk"), let directory = appDirectory(of: path) else { return false }
        return path.utf8.count == directory.utf8.count + "/base.apk".utf8.count
    }

    /// Guesses which package an entry belongs to from its path alone, for tars that do not say.
    public static func packageMentioned(in path: String) -> String? {
        let bytes = path.utf8
        /// The component right after `prefix`, if the path starts with it.
        func component(after prefix: String) -> Substring.UTF8View? {
            guard bytes.starts(with: prefix.utf8) else { return nil }
            let rest = bytes.dropFirst(prefix.utf8.count)
            let name = rest.prefix { $0 != UInt8(ascii: "/") }
            return name.isEmpty ? nil : Substring(name).utf8
        }
        if let directory = component(after: "data/app/") {
            guard let dash = directory.lastIndex(of: UInt8(ascii: "-")), dash != directory.startIndex else {
                return nil
            }
            return String(Substring(directory[..<dash]))
        }
        for prefix in ["data/data/", "data/media/0/Android/data/", "data/media/obb/"] {
            if let name = component(after: prefix) { return String(Substring(name)) }
        }
        return nil
    }
}

/// Owner and modes for one area of a synthesised shared-app tar.
public struct AreaOwnership: Sendable, Equatable, Codable {
    public var uid: UInt32
    public var gid: UInt32
    public var directoryMode: UInt32
    public var fileMode: UInt32

    /// The mode for a file: `fileMode`, plus execute bits where it has read bits if the source is executable.
    public func mode(forFileExecutable executable: Bool) -> UInt32 {
        executable ? fileMode | ((fileMode & 0o444) >> 2) : fileMode
    }

    /// Android's conventions (AOSP `android_filesystem_config.h`, installd), from the tar spec §2.3:
    /// `data/app` is system:system 0755/0644; app data belongs to the app's uid (assigned per device and re-owned
    /// by Android on install, so 10000 = AID_APP_START is a placeholder); external data and OBBs belong to
    /// media_rw (1023) with the ext_obb_rw group (1079) for OBBs. No setuid/setgid/sticky bits are ever set.
    public static func androidDefault(_ area: SharedAppLayout.Area) -> AreaOwnership {
        switch area {
        case .app: AreaOwnership(uid: 1000, gid: 1000, directoryMode: 0o755, fileMode: 0o644)
        case .data: AreaOwnership(uid: 10000, gid: 10000, directoryMode: 0o771, fileMode: 0o660)
        case .external: AreaOwnership(uid: 1023, gid: 1023, directoryMode: 0o771, fileMode: 0o660)
        case .obb: AreaOwnership(uid: 1023, gid: 1079, directoryMode: 0o771, fileMode: 0o660)
        }
    }
}
