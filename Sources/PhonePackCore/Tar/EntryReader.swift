import Glibc

/// Copies one entry's data out of a tar without unpacking anything else (`phonepack cat`).
public enum EntryReader {
    /// Writes the data of the entry named `path` (an archive name or a phone path such as `/data/data/x/f`) to
    /// the descriptor `output`. As with tar, the last entry of that name wins; a hard link gives its target's data.
    /// - Returns: the number of bytes written.
    @discardableResult
    /// An entry larger than `maxSize` (its apparent size: a sparse file's holes, written out as zeros, count) is
    /// refused before anything is written, and the count is kept while writing in case the header lies.
    public static func copyEntry(
        _ path: String, from archivePath: String, to output: Int32, maxSize: Int64 = .max
    ) throws(PhonePackError) -> Int64 {
        let wanted = NameKey(EntryPath.normalize(path).path)
        let file = try OpenFile.forReading(archivePath)
        // First pass, headers only: the last entry of the name, and for a hard link the file it names.
        var reader = try TarReader(file: file)
        var match: TarEntry?
        var files: [NameKey: TarEntry] = [:]
        while let entry = try reader.next() {
            let name = NameKey(EntryPath.normalize(entry.path).path)
            if entry.kind == .file { files[name] = entry }
            if name == wanted { match = entry }
        }
        _ = try reader.finish()
        guard let entry = match else {
            throw PhonePackError(
                .notFound, operation: "find entry", path: "\(archivePath):\(path)",
                message: "no such entry; list the names with: phonepack inspect \(archivePath) --long")
        }
        let source: TarEntry
        switch entry.kind {
        case .file:
            source = entry
        case .hardlink:
            guard let target = files[NameKey(EntryPath.normalize(entry.linkTarget ?? "").path)],
                target.index < entry.index
            else {
                throw PhonePackError(
                    .corruptArchive, operation: "read entry", path: "\(archivePath):\(entry.path)",
                    message: "is a hard link to \(entry.linkTarget ?? ""), which is not an earlier file of this archive"
                )
            }
            source = target
        case .symlink:
            throw PhonePackError(
                .invalidInput, operation: "read entry", path: "\(archivePath):\(entry.path)",
                message: "is a symlink to \(entry.linkTarget ?? ""); cat that path instead")
        default:
            throw PhonePackError(
                .invalidInput, operation: "read entry", path: "\(archivePath):\(entry.path)",
                message: "is a \(entry.kind.rawValue), which has no data to print")
        }
        let tooLarge = PhonePackError(
            .invalidInput, operation: "read entry", path: "\(archivePath):\(entry.path)",
            message:
                "is \(formatBytes(source.size)), more than --max-size \(formatBytes(maxSize)) (a sparse file's holes count); give a larger --max-size to print it"
        )
        guard source.size <= maxSize else { throw tooLarge }
        // Second pass to that entry: its contents through the reader, so a sparse file's holes come out as zeros.
        reader = try TarReader(file: file)
        while let next = try reader.next(), next.index < source.index {}
        var copied: Int64 = 0
        try reader.forEachContentBlock(size: source.size) { (block) throws(PhonePackError) in
            guard copied + Int64(block.count) <= maxSize else { throw tooLarge }
            try writeFully(descriptor: output, block, path: "standard output")
            copied += Int64(block.count)
        }
        return copied
    }
}
