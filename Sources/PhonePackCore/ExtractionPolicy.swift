/// Decides, entry by entry, what a safe extraction does with an archive from a device we do not trust.
///
/// The same policy runs in `extract`'s pre-scan, in the extraction itself (authoritative: the archive could
/// change between the two), and in `inspect --summary`, so "suspicious" means the same thing everywhere.
/// It only reasons about names; the extractor adds what only the file system can tell (an existing symlink in
/// the destination, an existing file).
public struct ExtractionPolicy {
    public enum Verdict: Equatable, Sendable {
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

    /// Case-folded names seen so far (Swift's `String` equality is canonical, so NFC/NFD twins collide too).
    private var seenKeys: [String: String] = [:]
    /// Paths created as symlinks: nothing may be created through them.
    private var symlinks: Set<String> = []
    /// Paths created as regular files: the only valid hard-link targets.
    private var files: Set<String> = []

    public init(filter: ExportPathFilter, stripComponents: Int = 0, maxEntrySize: Int64? = nil) {
        self.filter = filter
        self.stripComponents = stripComponents
        self.maxEntrySize = maxEntrySize
    }

    /// The verdict for the next entry, in archive order; it also records the entry as seen.
    public mutating func judge(_ entry: TarEntry) -> Verdict {
        let (normalized, problem) = EntryPath.normalize(entry.path)
        if problem == .empty {
            return .skip(reason: "the destination folder itself (its mode, owner and times are kept)")
        }
        if let problem { return .refuse(reason: problem.description) }
        guard filter.selects(normalized) else { return .skip(reason: "not selected by --include/--exclude") }
        let components = normalized.split(separator: "/")
        guard components.count > stripComponents else { return .skip(reason: "removed by --strip-components") }
        let path = components.dropFirst(stripComponents).joined(separator: "/")

        switch entry.kind {
        case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
            return .skip(reason: "\(entry.kind.rawValue) not created")
        case .file where entry.isSparse:
            return .refuse(reason: "sparse file (its apparent size can be a bomb); not extracted")
        default:
            break
        }
        if let limit = maxEntrySize, entry.size > limit {
            return .refuse(reason: "\(entry.size) bytes, over --max-entry-size \(limit)")
        }
        if let through = symlinkPrefix(of: path) {
            return .refuse(reason: "goes through \(through), a symlink earlier in the archive")
        }
        let key = path.lowercased()
        if let first = seenKeys[key] {
            return .refuse(
                reason: first == path
                    ? "duplicate entry (a later copy would replace the earlier one)"
                    : "collides with \(first) (same name after Unicode normalisation or case folding)")
        }
        if entry.kind == .hardlink {
            let target = EntryPath.normalize(entry.linkTarget ?? "")
            guard target.problem == nil else {
                return .refuse(reason: "hard link to \(entry.linkTarget ?? ""): \(target.problem!)")
            }
            let stripped = target.path.split(separator: "/").dropFirst(stripComponents).joined(separator: "/")
            guard files.contains(stripped) else {
                return .refuse(
                    reason: "hard link to \(entry.linkTarget ?? ""), which is not an earlier file of the archive")
            }
        }
        seenKeys[key] = path
        switch entry.kind {
        case .symlink: symlinks.insert(path)
        case .file: files.insert(path)
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
            if symlinks.contains(String(prefix)) { return String(prefix) }
        }
        return nil
    }
}
