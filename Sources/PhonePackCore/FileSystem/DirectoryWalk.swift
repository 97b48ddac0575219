import Glibc

/// Lists a folder tree in the order tars are built in (byte order within each folder, a folder before its
/// contents), without following symlinks: `lstat` relative to each open folder, link targets read, nothing opened.
enum DirectoryWalk {
    struct Entry {
        /// Path below the root, `/`-separated.
        var relativePath: String
        /// The folder that holds it and its name there.
        var directory: String
        var name: String
        var status: FileStatus
        var linkTarget: String?
    }

    static func entries(of root: String) throws(PhonePackError) -> [Entry] {
        var result: [Entry] = []
        try forEach(of: root) { result.append($0) }
        return result
    }

    /// Calls `body` with each entry in that order, holding one folder's listing per level at a time.
    static func forEach(of root: String, _ body: (Entry) throws(PhonePackError) -> Void) throws(PhonePackError) {
        func visit(_ directory: String, _ prefix: String) throws(PhonePackError) {
            for (name, status) in try sortedDirectoryEntriesWithStatus(directory) {
                let status = status!
                let relative = prefix.isEmpty ? name : prefix + "/" + name
                var entry = Entry(relativePath: relative, directory: directory, name: name, status: status)
                if status.isSymlink {
                    let path = joinPath(directory, name)
                    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = fsName(path) { readlink($0, &buffer, buffer.count - 1) }
                    guard n >= 0 else { throw .system("readlink", errno: errno, path: path, operation: "read link") }
                    entry.linkTarget = ArchiveName.decode(buffer.prefix(n).map { UInt8(bitPattern: $0) })
                }
                try body(entry)
                if status.isDirectory { try visit(joinPath(directory, name), relative) }
            }
        }
        try visit(root, "")
    }
}
