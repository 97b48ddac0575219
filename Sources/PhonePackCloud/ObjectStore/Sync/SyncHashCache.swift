import Glibc
import PhonePackCore
import Synchronization

/// The digests of large local files a sync has already read, so that a re-sync compares an unchanged file by
/// its recorded digest instead of reading it again. An entry counts only while the file's size, mtime, ctime
/// (which any write or `touch` moves, even one that puts the mtime back) and inode are what they were. Names
/// are keys as bytes, never as `String`. One file per synced folder in the state folder
/// (`sync-hashes/SHA256-OF-PATH.tsv`), rewritten whole and atomically at the end with the entries this sync saw;
/// files under 1 MiB are cheap to hash and left out, so the file stays small whatever the number of files.
final class SyncHashCache: Sendable {
    struct Entry: Sendable {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        var md5: String?
        var sha256: String?

        func matches(_ status: FileStatus) -> Bool {
            size == status.size && mtime == status.modified.fingerprint && ctime == status.changed.fingerprint
                && inode == status.inode
        }
    }

    static let minimumSize: Int64 = 1 << 20
    private let path: String
    private let state: Mutex<(old: [[UInt8]: Entry], seen: [[UInt8]: Entry])>

    init(stateDirectory: String, folder: String) {
        var resolved = folder
        if let real = realpath(folder, nil) {
            resolved = String(cString: real)
            free(real)
        }
        path = joinPath(
            joinPath(stateDirectory, "sync-hashes"), Digest.hash(.sha256, Array(resolved.utf8)).hexString + ".tsv")
        var old: [[UInt8]: Entry] = [:]
        let text = (try? OpenFile.forReading(path).readToEnd()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 7, let name = [UInt8](hexString: fields[0]), let size = Int64(fields[1]),
                let mtime = Int64(fields[2]), let ctime = Int64(fields[3]), let inode = UInt64(fields[4])
            else { continue }
            old[name] = Entry(
                size: size, mtime: mtime, ctime: ctime, inode: inode, md5: fields[5] == "-" ? nil : fields[5],
                sha256: fields[6] == "-" ? nil : fields[6])
        }
        state = Mutex((old, [:]))
    }

    /// The digests recorded for the file, if it is unchanged since; such an entry is kept for the next sync.
    func recorded(relative: String, status: FileStatus?) -> Entry? {
        guard let status, status.size >= Self.minimumSize else { return nil }
        let name = Array(relative.utf8)
        return state.withLock { state in
            // What this sync read counts only for the same file state too: a file written meanwhile (a retried
            // upload reads it again) must not get the digests of what it was.
            let entry = [state.seen[name], state.old[name]].lazy.compactMap { $0 }.first { $0.matches(status) }
            state.seen[name] = entry
            return entry
        }
    }

    /// Records digests just read (large files only).
    private func record(relative: String, status: FileStatus?, md5: String? = nil, sha256: String? = nil) {
        guard let status, status.size >= Self.minimumSize else { return }
        let name = Array(relative.utf8)
        state.withLock { state in
            var entry =
                state.seen[name].flatMap { $0.matches(status) ? $0 : nil }
                ?? Entry(
                    size: status.size, mtime: status.modified.fingerprint, ctime: status.changed.fingerprint,
                    inode: status.inode)
            entry.md5 = md5 ?? entry.md5
            entry.sha256 = sha256 ?? entry.sha256
            state.seen[name] = entry
        }
    }

    /// The file's digest: recorded when the file is unchanged, else read (and recorded when the file is large).
    func digest(_ algorithm: DigestAlgorithm, of file: OpenFile, relative: String, status: FileStatus?)
        throws(PhonePackError) -> String
    {
        let known = recorded(relative: relative, status: status)
        if let value = algorithm == .md5 ? known?.md5 : known?.sha256 { return value }
        var digest = Digest(algorithm)
        try file.forEachBlock(offset: 0, length: try file.status().size) { digest.update($0) }
        let value = digest.finalize().hexString
        if algorithm == .md5 {
            record(relative: relative, status: status, md5: value)
        } else {
            record(relative: relative, status: status, sha256: value)
        }
        return value
    }

    /// The file's MD5 and SHA-256: what is recorded, the rest read in one pass (and recorded when the file is
    /// large). A file that a comparison has just hashed for its MD5 is read once more for the SHA-256 only.
    func digests(of source: OpenFile, relative: String, status: FileStatus?) throws(PhonePackError) -> (
        md5: String, sha256: String
    ) {
        let known = recorded(relative: relative, status: status)
        if let md5 = known?.md5, let sha256 = known?.sha256 { return (md5, sha256) }
        var md5 = known?.md5 == nil ? Digest(.md5) : nil
        var sha256 = known?.sha256 == nil ? Digest(.sha256) : nil
        try source.forEachBlock(offset: 0, length: try source.status().size) { block in
            md5?.update(block)
            sha256?.update(block)
        }
        let result = (
            md5: known?.md5 ?? md5!.finalize().hexString, sha256: known?.sha256 ?? sha256!.finalize().hexString
        )
        record(relative: relative, status: status, md5: result.md5, sha256: result.sha256)
        return result
    }

    /// Writes what this sync saw, replacing the file atomically; a failure only costs hashing next time.
    func save() {
        let lines = state.withLock { state in
            state.seen.map { name, entry in
                [
                    name.hexString, String(entry.size), String(entry.mtime), String(entry.ctime), String(entry.inode),
                    entry.md5 ?? "-", entry.sha256 ?? "-",
                ].joined(separator: "\t") + "\n"
            }
        }
        guard !lines.isEmpty || FileStatus.exists(path) else { return }
        try? makeDirectories(parentDirectory(path))
        // Private like the rest of the state folder: the names say what the user keeps where.
        try? AtomicOutputFile.write(Array(lines.joined().utf8), to: path, permissions: 0o600)
    }
}
