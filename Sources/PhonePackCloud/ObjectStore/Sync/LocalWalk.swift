import PhonePackCore

/// The regular files below a folder in key order — each folder's entries sorted by their bytes, a folder's name
/// compared as if it ended in `/`, which is the order a store lists the same names in — each with the open folder
/// that holds it (``Folder``): a file is opened relative to that descriptor, never by its path again, and must be
/// the regular file the listing saw. Symlinks, FIFOs, sockets and devices are reported and left out; with
/// `followSymlinks` a symlink is read as what it points to (a folder it points to is walked, a loop refused). It
/// holds one listing per level of the current path, not the tree.
struct LocalWalk {
    struct File: Sendable {
        var relative: String
        var folder: Folder
        var name: String
        /// The listing's `lstat` (the target's, for a followed symlink).
        var status: FileStatus
        var followed: Bool
        var path: String { joinPath(folder.path, name) }
        var size: Int64 { status.size }

        /// The file, opened and checked to be the one listed (see ``Folder/openFile(_:expected:follow:)``).
        func open() throws(PhonePackError) -> OpenFile { try folder.openFile(name, expected: status, follow: followed) }
    }

    enum Event {
        case file(File)
        /// Not a regular file or folder: `kind` says what (a symlink, a FIFO, a symlink loop…).
        case leftOut(relative: String, kind: String)
        /// A folder that could not be opened as the folder listed (swapped for a symlink or a file since): not
        /// walked, named.
        case failed(relative: String, reason: PhonePackError)
    }

    private struct Entry {
        var name: String
        var status: FileStatus
        var followed = false
        var leftOut: String?
    }

    private struct Level {
        var relative: String
        var folder: Folder
        var entries: [Entry]
        var index = 0
    }

    let root: String
    let followSymlinks: Bool
    private var levels: [Level] = []

    /// A folder that does not exist yet is walked as empty (a sync down into a new folder).
    init(folder: String, followSymlinks: Bool = false) throws(PhonePackError) {
        root = folder
        self.followSymlinks = followSymlinks
        guard FileStatus.exists(folder) else { return }
        let opened = try Folder.open(folder)
        levels = [Level(relative: "", folder: opened, entries: try entries(opened))]
    }

    mutating func next() throws(PhonePackError) -> Event? {
        while let top = levels.last {
            guard top.index < top.entries.count else {
                levels.removeLast()
                continue
            }
            levels[levels.count - 1].index += 1
            let entry = top.entries[top.index]
            let relative = top.relative.isEmpty ? entry.name : top.relative + "/" + entry.name
            if let kind = entry.leftOut { return .leftOut(relative: relative, kind: kind) }
            if entry.status.isDirectory {
                // A folder a followed symlink leads back to (an ancestor): walked once, not forever.
                if entry.followed, levels.contains(where: { Self.same($0.folder, entry.status) }) {
                    return .leftOut(relative: relative, kind: "symlink loop")
                }
                let folder: Folder
                let listed: [Entry]
                do throws(PhonePackError) {
                    folder = try top.folder.subfolder(entry.name, follow: entry.followed)
                    listed = try entries(folder)
                } catch  where error.code == .invalidInput || error.code == .notFound {
                    return .failed(relative: relative, reason: error)
                }
                levels.append(Level(relative: relative, folder: folder, entries: listed))
            } else {
                return .file(
                    File(
                        relative: relative, folder: top.folder, name: entry.name, status: entry.status,
                        followed: entry.followed))
            }
        }
        return nil
    }

    private static func same(_ folder: Folder, _ status: FileStatus) -> Bool {
        guard let own = try? folder.file.status() else { return false }
        return own.device == status.device && own.inode == status.inode
    }

    private func entries(_ folder: Folder) throws(PhonePackError) -> [Entry] {
        let slash = UInt8(ascii: "/")
        return try folder.entries().map { (name, status) throws(PhonePackError) -> Entry in
            if status.isRegular || status.isDirectory { return Entry(name: name, status: status) }
            guard status.kind == .symlink else { return Entry(name: name, status: status, leftOut: "\(status.kind)") }
            guard followSymlinks else { return Entry(name: name, status: status, leftOut: "symlink") }
            guard let target = try folder.status(of: name, follow: true) else {
                return Entry(name: name, status: status, leftOut: "dangling symlink")
            }
            guard target.isRegular || target.isDirectory else {
                return Entry(name: name, status: target, leftOut: "symlink to a \(target.kind)")
            }
            return Entry(name: name, status: target, followed: true)
        }
        .sorted {
            let a = Array($0.name.utf8) + ($0.status.isDirectory && $0.leftOut == nil ? [slash] : [])
            let b = Array($1.name.utf8) + ($1.status.isDirectory && $1.leftOut == nil ? [slash] : [])
            return a.lexicographicallyPrecedes(b)
        }
    }
}
