import Glibc

/// Copies one entry's data out of a tar without unpacking anything else (`phonepack cat`).
public enum EntryReader {
    /// Writes the data of the entry named `path` (an archive name or a phone path such as `/data/data/x/f`) to
    /// the descriptor `output`. As with tar, the last entry of that name wins; a hard link gives its target's data.
    /// - Returns: the number of bytes written.
    /// An entry larger than `maxSize` (its apparent size: a sparse file's holes, written out as zeros, count) is
    /// refused before anything is written, and the count is kept while writing in case the header lies.
    @discardableResult
    public static func copyEntry(
        _ path: String, from archivePath: String, to output: Int32, maxSize: Int64 = .max
    ) throws(PhonePackError) -> Int64 {
        try copyEntry(candidates: [path], from: archivePath, to: output, maxSize: maxSize)
    }

    /// The same, for the first of `candidates` that names an entry: what was typed (its exact bytes), then the
    /// form `inspect --long` and `tar -tvf` print (`r\351.txt`), so any name can be selected.
    @discardableResult
    public static func copyEntry(
        candidates: [String], from archivePath: String, to output: Int32, maxSize: Int64 = .max
    ) throws(PhonePackError) -> Int64 {
        let path = candidates.first ?? ""
        let wanted = candidates.map { NameKey(EntryPath.normalize($0).path) }
        let file = try OpenFile.forReading(archivePath)
        // First pass, headers only: the last entry of each candidate name (as tar, the last copy wins).
        var reader = try TarReader(file: file)
        var matches: [TarEntry?] = Array(repeating: nil, count: wanted.count)
        while let entry = try reader.next() {
            let name = NameKey(EntryPath.normalize(entry.path).path)
            for (index, key) in wanted.enumerated() where key == name { matches[index] = entry }
        }
        _ = try reader.finish()
        guard var entry = matches.compactMap({ $0 }).first else {
            throw PhonePackError(
                .notFound, operation: "find entry", path: "\(archivePath):\(path)",
                message: "no such entry; list the names with: phonepack inspect \(archivePath) --long")
        }
        let asked = entry
        // A hard link names the latest entry of its target before it, which may be a hard link in turn: followed
        // back (each step to an earlier entry, so the chain ends) to the file or symlink it is.
        while entry.kind == .hardlink {
            let target = NameKey(EntryPath.normalize(entry.linkTarget ?? "").path)
            var found: TarEntry?
            reader = try TarReader(file: file)
            while let next = try reader.next(), next.index < entry.index {
                if NameKey(EntryPath.normalize(next.path).path) == target { found = next }
            }
            guard let found, found.kind != .directory else {
                throw PhonePackError(
                    .corruptArchive, operation: "read entry", path: "\(archivePath):\(asked.path)",
                    message:
                        "is a hard link to \(entry.linkTarget ?? ""), which is not an earlier file, symlink or hard link of this archive"
                )
            }
            entry = found
        }
        let source: TarEntry
        switch entry.kind {
        case .file:
            source = entry
        case .symlink:
            throw PhonePackError(
                .invalidInput, operation: "read entry", path: "\(archivePath):\(asked.path)",
                message: "is a symlink to \(entry.linkTarget ?? ""); cat that path instead")
        default:
            throw PhonePackError(
                .invalidInput, operation: "read entry", path: "\(archivePath):\(asked.path)",
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
