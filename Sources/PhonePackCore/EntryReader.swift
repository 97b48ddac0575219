import Glibc

/// Copies one entry's data out of a tar without unpacking anything else (`phonepack cat`).
public enum EntryReader {
    /// Writes the data of the entry named `path` (an archive name or a phone path such as `/data/data/x/f`) to
    /// the descriptor `output`. As with tar, the last entry of that name wins; a hard link gives its target's data.
    /// - Returns: the number of bytes written.
    @discardableResult
    public static func copyEntry(_ path: String, from archivePath: String, to output: Int32) throws(PhonePackError)
        -> Int64
    {
        let wanted = EntryPath.normalize(path).path
        let file = try OpenFile.forReading(archivePath)
        let reader = try TarReader(file: file)
        var match: TarEntry?
        var fileOffsets: [String: (offset: Int64, size: Int64)] = [:]
        while let entry = try reader.next() {
            let name = EntryPath.normalize(entry.path).path
            if entry.kind == .file { fileOffsets[name] = (entry.dataOffset, entry.size) }
            if name == wanted { match = entry }
        }
        _ = try reader.finish()
        guard let entry = match else {
            throw PhonePackError(
                .notFound, operation: "find entry", path: "\(archivePath):\(path)",
                message: "no such entry; list the names with: phonepack inspect \(archivePath) --long")
        }
        let range: (offset: Int64, size: Int64)
        switch entry.kind {
        case .file:
            range = (entry.dataOffset, entry.size)
        case .hardlink:
            guard let target = fileOffsets[EntryPath.normalize(entry.linkTarget ?? "").path] else {
                throw PhonePackError(
                    .corruptArchive, operation: "read entry", path: "\(archivePath):\(entry.path)",
                    message: "is a hard link to \(entry.linkTarget ?? ""), which is not a file of this archive")
            }
            range = target
        case .symlink:
            throw PhonePackError(
                .invalidInput, operation: "read entry", path: "\(archivePath):\(entry.path)",
                message: "is a symlink to \(entry.linkTarget ?? ""); cat that path instead")
        default:
            throw PhonePackError(
                .invalidInput, operation: "read entry", path: "\(archivePath):\(entry.path)",
                message: "is a \(entry.kind.rawValue), which has no data to print")
        }
        if entry.isSparse {
            throw PhonePackError(
                .unsupported, operation: "read entry", path: "\(archivePath):\(entry.path)",
                message: "is a sparse file; extract it instead")
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var copied: Int64 = 0
        while copied < range.size {
            let n = try file.read(into: &buffer, fromAbsoluteOffset: range.offset + copied)
            guard n > 0 else {
                throw PhonePackError(
                    .corruptArchive, operation: "read entry", path: "\(archivePath):\(entry.path)",
                    message: "the archive ends inside this entry")
            }
            let count = Int(min(Int64(n), range.size - copied))
            try buffer.withUnsafeBytes { raw in
                Result { () throws(PhonePackError) in
                    try writeFully(
                        descriptor: output, UnsafeRawBufferPointer(rebasing: raw[0..<count]), path: "standard output")
                }
            }.get()
            copied += Int64(count)
        }
        return copied
    }
}
