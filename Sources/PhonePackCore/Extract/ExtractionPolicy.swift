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
        /// A name the archive had before: the later entry replaces what the earlier one created (as GNU tar does:
        /// the last copy wins), never a folder by a non-folder or the other way round.
        case replace(path: String)
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
    /// Names seen so far, as bytes, with what each is now (a later copy replaces an earlier one): nothing may be
    /// created through a symlink, and a folder is no hard-link target. One table, so each entry costs one lookup
    /// and one insert.
    private var seen: [NameKey: TarEntry.Kind] = [:]
    /// How many of ``seen`` are symlinks: while none, no path needs its folders looked up.
    private var symlinkCount = 0
    /// With ``foldsCase``: names seen so far, case-folded (Swift's `String` equality also folds Unicode forms).
    private var seenFolded: [String: String] = [:]
    /// Folders refused: nothing inside them is created either.
    private var refusedFolders: Set<NameKey> = []

    public init(filter: ExportPathFilter, stripComponents: Int = 0, maxEntrySize: Int64? = nil) {
        self.filter = filter
        self.stripComponents = stripComponents
        self.maxEntrySize = maxEntrySize
    }

    /// Room for `count` names, when known (the extraction knows it from the pre-scan): the table then never grows.
    mutating func reserveCapacity(_ count: Int) { seen.reserveCapacity(count) }

    /// The verdict for the next entry, in archive order; it also records the entry as seen.
    mutating func judge(_ entry: TarEntry) -> Verdict {
        let (normalized, problem) = EntryPath.normalize(entry.path)
        if problem == .empty {
            return .skip(reason: "the destination folder itself (its mode, owner and times are kept)")
        }
        // Not selected first: an entry left out by --include is never created, whatever its name.
        guard filter.selects(normalized) else { return .skip(reason: "not selected by --include/--exclude") }
        if let problem { return .refuse(reason: problem.description) }
        var path = normalized
        if stripComponents > 0 {
            let components = pathComponents(normalized)
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
        let key = NameKey(path)
        let earlier = seen[key]
        if let earlier, (earlier == .directory) != (entry.kind == .directory) {
            if entry.kind == .directory { refusedFolders.insert(key) }
            return .refuse(
                reason: earlier == .directory
                    ? "would replace the folder of the same name earlier in the archive"
                    : "a folder that would replace the \(earlier.rawValue) of the same name earlier in the archive")
        }
        if earlier == nil, foldsCase, let first = seenFolded[path.lowercased()] {
            if entry.kind == .directory { refusedFolders.insert(key) }
            return .refuse(reason: "collides with \(first) on this file system, which folds case and Unicode forms")
        }
        if entry.kind == .hardlink {
            let target = EntryPath.normalize(entry.linkTarget ?? "")
            guard target.problem == nil else {
                return .refuse(reason: "hard link to \(entry.linkTarget ?? ""): \(target.problem!)")
            }
            let stripped = pathComponents(target.path).dropFirst(stripComponents).joined(separator: "/")
            // Any earlier entry extract created but a folder, as GNU tar links them: a file, a symlink (the link
            // itself, never what it points to), or another hard link (the same inode); never through a symlink.
            if leftAlone.contains(NameKey(stripped)) {
                return .skip(
                    reason:
                        "hard link to \(entry.linkTarget ?? ""), which exists in the destination and was left as it is")
            }
            guard let kind = seen[NameKey(stripped)], kind != .directory, symlinkPrefix(of: stripped) == nil else {
                return .refuse(
                    reason:
                        "hard link to \(entry.linkTarget ?? ""), which is not an earlier file, symlink or hard link extracted from the archive"
                )
            }
        }
        seen[key] = entry.kind
        if entry.kind == .symlink, earlier != .symlink { symlinkCount += 1 }
        if foldsCase { seenFolded[path.lowercased()] = path }
        return earlier == nil ? .extract(path: path) : .replace(path: path)
    }

    /// Forgets a name whose entry was not created after all (the destination had it): a later copy is then not
    /// a replacement of this run's own work, and a hard link cannot name it.
    mutating func forget(_ path: String) {
        seen.removeValue(forKey: NameKey(path))
        leftAlone.insert(NameKey(path))
    }

    /// Names the destination already had and this run left alone (without --overwrite).
    private var leftAlone: Set<NameKey> = []

    /// The earliest symlink entry that `path` would pass through.
    private func symlinkPrefix(of path: String) -> String? {
        guard symlinkCount > 0 else { return nil }
        var end = path.utf8.startIndex
        while let slash = path.utf8[end...].firstIndex(of: UInt8(ascii: "/")) {
            let prefix = String(path[..<slash])
            if seen[NameKey(prefix)] == .symlink { return prefix }
            end = path.utf8.index(after: slash)
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
