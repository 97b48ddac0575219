/// Decides, entry by entry, what a safe extraction does with an archive from a device we do not trust.
///
/// The same policy runs in `extract`'s pre-scan, in the extraction itself (authoritative: the archive could
/// change between the two), and in `inspect --summary`, so "suspicious" means the same thing everywhere.
/// It only reasons about names; the extractor adds what only the file system can tell (an existing symlink in
/// the destination, an existing file).
struct ExtractionPolicy {
    enum Verdict: Equatable, Sendable {
        /// Create it at this (normalised, stripped) path.
        case extract(path: String)
        /// Leave it out for a harmless reason (a device, a filtered path, the root entry).
        case skip(reason: String)
        /// Leave it out because it is unsafe or inconsistent; the archive deserves a closer look.
        case refuse(reason: String)
    }

    public var filter: ExportPathFilter
    public var stripComponents: Int
    public var maxEntrySize: Int64?

    /// Whether the destination's file system folds case (and Unicode forms): then `Pod/` and `pod/`, or `é` and
    /// `e\u{301}`, are one name there and the later one is refused. Linux file systems usually do not, and then
    /// names are compared as bytes only.
    var foldsCase = false
    /// Names seen so far, as bytes.
    private var seen: [NameKey: String] = [:]
    /// With ``foldsCase``: names seen so far, case-folded (Swift's `String` equality also folds Unicode forms).
    private var seenFolded: [String: String] = [:]
    /// Paths created as symlinks: nothing may be created through them.
    private var symlinks: Set<NameKey> = []
    /// Paths created as regular files: the only valid hard-link targets.
    private var files: Set<NameKey> = []
    /// Folders refused: nothing inside them is created either.
    private var refusedFolders: Set<NameKey> = []

    public init(filter: ExportPathFilter, stripComponents: Int = 0, maxEntrySize: Int64? = nil) {
        self.filter = filter
        self.stripComponents = stripComponents
        self.maxEntrySize = maxEntrySize
    }

    /// The verdict for the next entry, in archive order; it also records the entry as seen.
    mutating func judge(_ entry: TarEntry) -> Verdict {
        let (normalized, problem) = EntryPath.normalize(entry.path)
        if problem == .empty {
            return .skip(reason: "the destination folder itself (its mode, owner and times are kept)")
        }
        if let problem { return .refuse(reason: problem.description) }
        guard filter.selects(normalized) else { return .skip(reason: "not selected by --include/--exclude") }
        var path = normalized
        if stripComponents > 0 {
            let components = normalized.split(separator: "/")
            guard components.count > stripComponents else { return .skip(reason: "removed by --strip-components") }
            path = components.dropFirst(stripComponents).joined(separator: "/")
        }

        switch entry.kind {
        case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
            return .skip(reason: "\(entry.kind.rawValue) not created")
        default:
            break
        }
        if let limit = maxEntrySize, entry.size > limit {
            return .refuse(reason: "\(entry.size) bytes, over --max-entry-size \(limit)")
        }
        if let through = symlinkPrefix(of: path) {
            return .refuse(reason: "goes through \(through), a symlink earlier in the archive")
        }
        if let folder = refusedAncestor(of: path) {
            return .refuse(reason: "inside \(folder), which was refused")
        }
        if let first = seen[NameKey(path)] ?? (foldsCase ? seenFolded[path.lowercased()] : nil) {
            if entry.kind == .directory { refusedFolders.insert(NameKey(path)) }
            return .refuse(
                reason: NameKey(first) == NameKey(path)
                    ? "duplicate entry (a later copy would replace the earlier one)"
                    : "collides with \(first) on this file system, which folds case and Unicode forms")
        }
        if entry.kind == .hardlink {
            let target = EntryPath.normalize(entry.linkTarget ?? "")
            guard target.problem == nil else {
                return .refuse(reason: "hard link to \(entry.linkTarget ?? ""): \(target.problem!)")
            }
            let stripped = target.path.split(separator: "/").dropFirst(stripComponents).joined(separator: "/")
            guard files.contains(NameKey(stripped)) else {
                return .refuse(
                    reason: "hard link to \(entry.linkTarget ?? ""), which is not an earlier file of the archive")
            }
        }
        seen[NameKey(path)] = path
        if foldsCase { seenFolded[path.lowercased()] = path }
        switch entry.kind {
        case .symlink: symlinks.insert(NameKey(path))
        case .file: files.insert(NameKey(path))
        default: break
        }
        return .extract(path: path)
    }

    /// The earliest symlink entry that `path` would pass through.
    private func symlinkPrefix(of path: String) -> String? {
        guard !symlinks.isEmpty else { return nil }
        var prefix = Substring()
        for component in path.split(separator: "/").dropLast() {
            prefix = prefix.isEmpty ? component : Substring(prefix + "/" + component)
            if symlinks.contains(NameKey(prefix)) { return String(prefix) }
        }
        return nil
    }

    /// The refused folder that `path` lies in, if any.
    private func refusedAncestor(of path: String) -> String? {
        guard !refusedFolders.isEmpty else { return nil }
        var end = path.utf8.endIndex
        while let slash = path.utf8[..<end].lastIndex(of: UInt8(ascii: "/")) {
            let folder = String(path[..<slash])
            if refusedFolders.contains(NameKey(folder)) { return folder }
            end = slash
        }
        return nil
    }
}
