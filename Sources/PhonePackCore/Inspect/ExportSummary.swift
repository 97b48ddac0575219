/// What an export holds, per app and overall, for `phonepack inspect --summary`: the questions people ask of a
/// phone's data before they unpack it.
public struct ExportSummary: Sendable, Codable {
    public struct App: Sendable, Codable, Equatable {
        public var packageName: String
        /// Bytes of files under `data/app/<pkg>-*/`: the APKs and native libraries.
        public var appBytes: Int64 = 0
        /// Bytes of files under `data/data/<pkg>`.
        public var appDataBytes: Int64 = 0
        /// Bytes under `data/media/0/Android/data/<pkg>`.
        public var externalDataBytes: Int64 = 0
        /// Bytes under `data/media/obb/<pkg>`.
        public var obbBytes: Int64 = 0
        public var versionName: String?
        public var versionCode: Int64?
        /// Owner uid of `data/data/<pkg>` (the app's uid on that phone).
        public var ownerUID: Int64?
        /// SELinux label of `data/data/<pkg>`.
        public var selinuxLabel: String?
    }

    public struct Directory: Sendable, Codable, Equatable {
        public var path: String
        /// Bytes of all files beneath it.
        public var bytes: Int64
    }

    public var apps: [App] = []
    public var largestDirectories: [Directory] = []
    public var symlinks = 0
    public var hardlinks = 0
    public var specialFiles = 0
    /// Entries `phonepack extract` would refuse, with the reason (the first 20; `suspiciousCount` in all).
    public var suspicious: [ExtractReport.Note] = []
    public var suspiciousCount = 0

    static let shownDirectories = 10

    /// Builds the summary in one pass over the headers; APK versions are read from their ranges afterwards.
    static func summarize(_ file: OpenFile) throws(PhonePackError) -> ExportSummary {
        let reader = try TarReader(file: file)
        var summary = ExportSummary()
        // Package names from paths, by bytes: a look-alike spelling is another package.
        var apps: [NameKey: App] = [:]
        var apks: [NameKey: TarEntry] = [:]
        var directoryBytes: [NameKey: Int64] = [:]
        /// Each folder's first child, and whether it has more than one (all "passes through" needs to know).
        var directoryChild: [NameKey: (first: NameKey, more: Bool)] = [:]
        var policy = ExtractionPolicy(filter: try ExportPathFilter())
        while let entry = try reader.next() {
            if case .refuse(let reason) = policy.judge(entry) {
                summary.suspiciousCount += 1
                if summary.suspicious.count < 20 { summary.suspicious.append(.init(entry: entry.path, reason: reason)) }
            }
            switch entry.kind {
            case .symlink: summary.symlinks += 1
            case .hardlink: summary.hardlinks += 1
            case .characterDevice, .blockDevice, .fifo, .socket, .unknown: summary.specialFiles += 1
            default: break
            }
            let (path, problem) = EntryPath.normalize(entry.path)
            // Every ancestor folder gets the file's size and knows which child leads here; a name no file system
            // takes (too long, too deep) is counted above but given no folders, so the work stays linear.
            var end = path.utf8.endIndex
            while problem == nil, let slash = path.utf8[..<end].lastIndex(of: UInt8(ascii: "/")) {
                let folder = NameKey(path[..<slash])
                if entry.kind == .file { directoryBytes[folder, default: 0] += entry.size }
                let child = NameKey(path[path.utf8.index(after: slash)..<end])
                if let known = directoryChild[folder] {
                    if known.first != child { directoryChild[folder] = (known.first, true) }
                } else {
                    directoryChild[folder] = (child, false)
                }
                end = slash
            }
            guard let package = SharedAppLayout.packageMentioned(in: path) else { continue }
            let layout = SharedAppLayout(packageName: package)
            var app = apps[NameKey(package)] ?? App(packageName: package)
            switch layout.area(of: path) {
            case .data?:
                if entry.kind == .file { app.appDataBytes += entry.size }
                if path == layout.root(.data) {
                    app.ownerUID = entry.uid
                    app.selinuxLabel = entry.selinuxLabel
                }
            case .external?:
                if entry.kind == .file { app.externalDataBytes += entry.size }
            case .obb?:
                if entry.kind == .file { app.obbBytes += entry.size }
            case .app?:
                if entry.kind == .file { app.appBytes += entry.size }
                if entry.kind == .file, layout.isBaseAPK(path) {
                    apks[NameKey(package)] = entry
                }
            case nil:
                break
            }
            apps[NameKey(package)] = app
        }
        _ = try reader.finish()
        for (package, apk) in apks {
            if let info = try? APKInfo.read(from: file, offset: apk.dataOffset, length: apk.size) {
                apps[package]?.versionName = info.versionName
                apps[package]?.versionCode = info.versionCode
            }
        }
        summary.apps = apps.sorted { $0.key < $1.key }.map(\.value)
        // A folder whose only child is a folder of the same size (data/media/0/Android/…) says nothing new.
        func passesThrough(_ folder: NameKey, _ bytes: Int64) -> Bool {
            guard let child = directoryChild[folder], !child.more else { return false }
            return directoryBytes[NameKey(folder.name + "/" + child.first.name)] == bytes
        }
        summary.largestDirectories =
            directoryBytes
            .filter { !passesThrough($0.key, $0.value) }
            .map { Directory(path: $0.key.name, bytes: $0.value) }
            .sorted { $0.bytes != $1.bytes ? $0.bytes > $1.bytes : NameKey($0.path) < NameKey($1.path) }
            .prefix(shownDirectories).map { $0 }
        return summary
    }
}
