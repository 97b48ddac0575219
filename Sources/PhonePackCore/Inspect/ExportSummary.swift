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

        enum CodingKeys: String, CodingKey {
            case packageName = "package", appBytes, appDataBytes, externalDataBytes, obbBytes, versionName
            case versionCode, ownerUID, selinuxLabel
        }
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
    /// Entries `phonepack extract` would refuse, skip or change, and symlinks that point out of the export, each
    /// with the reason (the first 20; `suspiciousCount` in all).
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
        var folders = FolderSizes()
        var policy = ExtractionPolicy(filter: try ExportPathFilter())
        var topLevel: Set<NameKey> = []
        var absolute = AbsoluteLinks()
        while let entry = try reader.next() {
            let verdict = policy.judge(entry)
            let (path, problem) = EntryPath.normalize(entry.path)
            if let first = pathComponents(path).first { topLevel.insert(NameKey(first)) }
            if verdict.creates, entry.kind == .symlink, let target = entry.linkTarget, target.hasPrefix("/") {
                // The archive's root is the phone's /: an absolute target inside a top folder the archive holds
                // (Android's data/data/PKG/lib → /data/app/PKG-1/lib) stays in the export. Judged at the end.
                absolute.add(entry.path, target)
            } else if let reason = suspicion(entry, verdict) {
                summary.note(entry.path, reason)
            }
            switch entry.kind {
            case .symlink: summary.symlinks += 1
            case .hardlink: summary.hardlinks += 1
            case .characterDevice, .blockDevice, .fifo, .socket, .unknown: summary.specialFiles += 1
            default: break
            }
            // A name no file system takes (too long, too deep) is counted above but given no folders.
            if problem == nil { folders.add(path, bytes: entry.kind == .file ? entry.size : 0) }
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
        for (first, found) in absolute.byTopFolder where !topLevel.contains(first) {
            for (entry, target) in found.examples {
                summary.note(entry, "symlink to an absolute path (\(target)), outside the export")
            }
            summary.suspiciousCount += found.count - found.examples.count
        }
        for (package, apk) in apks {
            if let info = try? APKInfo.read(from: file, offset: apk.dataOffset, length: apk.size) {
                apps[package]?.versionName = info.versionName
                apps[package]?.versionCode = info.versionCode
            }
        }
        summary.apps = apps.sorted { $0.key < $1.key }.map(\.value)
        summary.largestDirectories = folders.largest(shownDirectories)
        return summary
    }

    mutating func note(_ entry: String, _ reason: String) {
        suspiciousCount += 1
        if suspicious.count < 20 { suspicious.append(.init(entry: entry, reason: reason)) }
    }

    /// Symlinks with an absolute target, by the target's first folder: a count and the first examples of each
    /// (bounded, however many a hostile archive holds).
    struct AbsoluteLinks {
        var byTopFolder: [NameKey: (count: Int, examples: [(String, String)])] = [:]

        mutating func add(_ entry: String, _ target: String) {
            let first = NameKey(pathComponents(target).first.map(String.init) ?? "")
            if byTopFolder[first] == nil, byTopFolder.count >= 10_000 {
                // Too many distinct top folders to keep apart: counted under the root, which no export holds.
                byTopFolder[NameKey(""), default: (0, [])].count += 1
                return
            }
            byTopFolder[first, default: (0, [])].count += 1
            if byTopFolder[first]!.examples.count < 20 { byTopFolder[first]!.examples.append((entry, target)) }
        }
    }

    /// Why an entry deserves a look before the export is unpacked, or nil: what extract refuses, what it leaves
    /// out (a device, a FIFO, a socket), what it changes (setuid/setgid bits cleared), and a symlink whose relative
    /// target climbs above the export (created as it is, never followed by extract, but whoever follows it later
    /// leaves the export). Absolute targets are judged once the archive's top folders are known.
    static func suspicion(_ entry: TarEntry, _ verdict: ExtractionPolicy.Verdict) -> String? {
        switch verdict {
        case .refuse(let reason):
            return "refused by extract: \(reason)"
        case .skip(let reason):
            switch entry.kind {
            case .characterDevice, .blockDevice, .fifo, .socket, .unknown: return "left out by extract: \(reason)"
            default: return nil
            }
        case .extract, .replace:
            break
        }
        if entry.kind == .symlink, let target = entry.linkTarget, climbsAbove(target, from: entry.path) {
            return "symlink to \(target), above the export's root"
        }
        // On a file only: Android's app folders are setgid (cache/ 2771) to keep their group, which is harmless.
        if entry.kind == .file, entry.permissions & 0o6000 != 0 {
            let bits =
                entry.permissions & 0o4000 != 0
                ? (entry.permissions & 0o2000 != 0 ? "setuid and setgid" : "setuid")
                : "setgid"
            return
                "\(bits) (mode \(String(entry.permissions & 0o7777, radix: 8))): extract clears it unless --preserve-permissions"
        }
        return nil
    }

    /// Whether a relative symlink target, resolved from the folder of `path`, goes above the root.
    static func climbsAbove(_ target: String, from path: String) -> Bool {
        var depth = pathComponents(EntryPath.normalize(path).path).count - 1
        for component in pathComponents(target) {
            switch component {
            case "..": depth -= 1
            case ".": continue
            default: depth += 1
            }
            if depth < 0 { return true }
        }
        return false
    }
}

/// Bytes per folder for the largest-folders list, in memory that grows with the number of folders, never with
/// their depth times their number: folders form a table keyed by (parent, name), each name stored once, and only
/// the first ``depthLimit`` levels get a row of their own (a deeper file counts in its ancestor at that level),
/// so a hostile archive of 20,000 entries 126 levels deep costs 20,000 × 12 rows, not 2.5 million paths.
struct FolderSizes {
    /// Real Android paths are shallow (`data/media/0/Android/data/PKG/files/…`): twelve levels name any folder
    /// worth listing.
    static let depthLimit = 12

    private struct Key: Hashable {
        var parent: Int32
        var name: NameKey
    }

    private var ids: [Key: Int32] = [:]
    private var names: [NameKey] = []
    private var parents: [Int32] = []
    private var bytes: [Int64] = []
    /// Each folder's first child and whether it has more than one (what "passes through" needs).
    private var firstChild: [Int32] = []
    private var more: [Bool] = []

    /// Counts `size` in every folder above `path` (already normalised), up to the depth limit.
    mutating func add(_ path: String, bytes size: Int64) {
        let components = pathComponents(path)
        var parent: Int32 = -1
        for component in components.dropLast().prefix(Self.depthLimit) {
            let key = Key(parent: parent, name: NameKey(component))
            let id: Int32
            if let known = ids[key] {
                id = known
            } else {
                id = Int32(names.count)
                ids[key] = id
                names.append(key.name)
                parents.append(parent)
                bytes.append(0)
                firstChild.append(-1)
                more.append(false)
                if parent >= 0 {
                    if firstChild[Int(parent)] < 0 { firstChild[Int(parent)] = id } else { more[Int(parent)] = true }
                }
            }
            bytes[Int(id)] += size
            parent = id
        }
    }

    /// The `count` largest folders, leaving out one whose only child is a folder of the same size
    /// (`data/media/0/Android/…` says nothing its child does not).
    func largest(_ count: Int) -> [ExportSummary.Directory] {
        let shown = bytes.indices.filter { index in
            let child = Int(firstChild[index])
            return child < 0 || more[index] || bytes[child] != bytes[index]
        }
        // Paths are made only for the candidates: the `count` largest sizes and whatever ties with them.
        let sizes = shown.map { bytes[$0] }.sorted(by: >)
        guard let cut = sizes.prefix(count).last else { return [] }
        return shown.filter { bytes[$0] >= cut }.map { (path(Int32($0)), bytes[$0]) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : NameKey($0.0) < NameKey($1.0) }
            .prefix(count).map { ExportSummary.Directory(path: $0.0, bytes: $0.1) }
    }

    private func path(_ id: Int32) -> String {
        var parts: [String] = []
        var current = id
        while current >= 0 {
            parts.append(names[Int(current)].name)
            current = parents[Int(current)]
        }
        return parts.reversed().joined(separator: "/")
    }
}

extension ExtractionPolicy.Verdict {
    /// Whether extract creates the entry (first or again).
    var creates: Bool {
        switch self {
        case .extract, .replace: true
        case .skip, .refuse: false
        }
    }
}
