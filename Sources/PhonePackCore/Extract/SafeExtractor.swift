import CLinuxExtras
import Glibc

/// Unpacks tars from devices we do not trust without ever creating, changing or following anything outside the
/// destination folder.
///
/// - Every path is resolved beneath the destination one component at a time with `openat(O_NOFOLLOW |
///   O_DIRECTORY)` from a descriptor of the destination, so neither a symlink in the archive nor one already in
///   the destination is ever followed, and a folder swapped for a link meanwhile is not followed either.
/// - Files are created with `O_EXCL | O_NOFOLLOW`; replacing one (`--overwrite`) writes a temporary file and
///   renames it over the old one. Devices, FIFOs and sockets are never created.
/// - The archive is scanned first (nothing written) for damage, limits and free space, then extracted with the
///   same ``ExtractionPolicy`` applied again, which is authoritative.
/// - Folder modes and times are applied at the end, so a read-only folder in the archive cannot block its
///   contents; folders that existed before are left as they were, the destination itself included.
///
/// Modes are exactly what it decides: a file whose mode the process umask would narrow gets an `fchmod`. The
/// umask itself is read, never changed (a library must not change process-wide state other threads rely on).
public enum SafeExtractor {
    public static func extract(archive path: String, options: ExtractOptions) throws(PhonePackError) -> ExtractReport {
        let file = try OpenFile.forReading(path)
        let foldsCase = destinationFoldsCase(options.destination)
        let scan = try prescan(file, options: options, foldsCase: foldsCase)
        let root = try openDestination(options.destination)
        try checkFreeSpace(root: root, needed: scan.bytes, entries: scan.entries, destination: options.destination)
        // DIR keeps its times: creating entries in it moves its mtime, which is put back at the end.
        var rootStatus = stat()
        fstat(root.descriptor, &rootStatus)
        defer {
            var times = [rootStatus.st_atim, rootStatus.st_mtim]
            futimens(root.descriptor, &times)
        }

        var run = ExtractionRun(
            options: options, root: root, report: ExtractReport(archive: path, destination: options.destination))
        run.umask = currentUmask()
        run.policy.foldsCase = foldsCase
        run.policy.reserveCapacity(scan.entries)
        try run.extract(from: file)
        try run.finishDirectories()
        return run.report
    }

    struct Prescan {
        /// Entries of the archive and folders it only implies (`a/b/c` with no `a/` or `a/b/` entry): each is
        /// an inode and a block on disk.
        var entries = 0
        var bytes: Int64 = 0
        /// Apparent sizes, sparse files' holes included: what `--max-total-size` limits.
        var apparentBytes: Int64 = 0
        /// Folders that will exist, by their bytes, so each implied one is counted once.
        var folders = Set<NameKey>()
        /// The folder of the previous entry: tars list a folder's files together, so most entries need no walk.
        var lastFolder = ""

        /// Counts `path` (an entry to create) and the folders above it that nothing created yet.
        mutating func add(_ path: String, isFolder: Bool) {
            if isFolder && !folders.insert(NameKey(path)).inserted { entries -= 1 }
            guard let lastSlash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return }
            let folder = path[..<lastSlash]
            if folder.utf8.elementsEqual(lastFolder.utf8) { return }
            lastFolder = String(folder)
            var end = path.utf8.endIndex
            while let slash = path.utf8[..<end].lastIndex(of: UInt8(ascii: "/")) {
                guard folders.insert(NameKey(path[..<slash])).inserted else { break }
                entries += 1
                end = slash
            }
        }
    }

    /// Reads every header (data is skipped with seeks) and applies the limits before anything is written.
    static func prescan(_ file: OpenFile, options: ExtractOptions, foldsCase: Bool) throws(PhonePackError) -> Prescan {
        let reader = try TarReader(file: file)
        var policy = ExtractionPolicy(
            filter: options.filter, stripComponents: options.stripComponents, maxEntrySize: options.maxEntrySize)
        policy.foldsCase = foldsCase
        var scan = Prescan()
        do throws(PhonePackError) {
            while let entry = try reader.next() {
                scan.entries += 1
                let verdict = policy.judge(entry)
                if case .replace = verdict, entry.kind == .file {
                    // The copy it replaces stays until this one is complete: both take room for a moment.
                    scan.bytes += entry.storedSize
                    scan.apparentBytes += entry.size
                }
                if case .extract(let path) = verdict {
                    if entry.kind == .file {
                        // Free space is needed for the data blocks only: a sparse file's holes take none.
                        scan.bytes += entry.storedSize
                        scan.apparentBytes += entry.size
                    }
                    scan.add(path, isFolder: entry.kind == .directory)
                }
                if scan.entries > options.maxEntries {
                    throw PhonePackError(
                        .invalidInput, operation: "extract", path: file.path,
                        message:
                            "has more than \(options.maxEntries) entries and implied folders (--max-entries); nothing was written"
                    )
                }
            }
            _ = try reader.finish()
        } catch  where error.code == .corruptArchive {
            var error = error
            error.message += "; nothing was written"
            throw error
        }
        if let limit = options.maxTotalSize, scan.apparentBytes > limit {
            throw PhonePackError(
                .invalidInput, operation: "extract", path: file.path,
                message:
                    "would write \(scan.apparentBytes) bytes (sparse files at their full size), over --max-total-size \(limit); take less with --include, or raise the limit; nothing was written"
            )
        }
        return scan
    }

    /// Whether the file system of `destination` (or, while it does not exist, of its nearest existing parent)
    /// takes `a` and `A` for one name. Asked of the file system (its type, the folder's casefold attribute), so
    /// nothing is written to find out.
    static func destinationFoldsCase(_ destination: String) -> Bool {
        var folder = destination
        while (try? FileStatus.ifExists(folder))?.isDirectory != true {
            let parent = parentDirectory(folder)
            guard parent != folder else { return false }
            folder = parent
        }
        guard let directory = try? OpenFile.directory(folder) else { return false }
        return phonepack_folds_case(directory.descriptor) != 0
    }

    static func openDestination(_ path: String) throws(PhonePackError) -> OpenFile {
        if try FileStatus.ifExists(path) == nil, mkdir(path, 0o755) != 0 {
            throw .system("mkdir", errno: errno, path: path, operation: "create the destination folder")
        }
        do {
            return try OpenFile.directory(path)
        } catch {
            throw PhonePackError(
                .invalidInput, operation: "open destination", path: path, message: "is not a folder", cause: error)
        }
    }

    static func checkFreeSpace(root: OpenFile, needed: Int64, entries: Int, destination: String)
        throws(PhonePackError)
    {
        var fs = statvfs()
        guard fstatvfs(root.descriptor, &fs) == 0 else { return }
        let free = Int64(fs.f_bavail) * Int64(fs.f_frsize)
        // Every entry takes at least a block; count 4 KiB each on top of the data.
        let estimate = needed + Int64(entries) * 4096
        if free < estimate {
            throw PhonePackError(
                .io, operation: "check free space", path: destination,
                message:
                    "needs about \(formatBytes(estimate)) but only \(formatBytes(free)) is free; free some space or take less with --include; nothing was written"
            )
        }
        if fs.f_favail > 0 && Int(fs.f_favail) < entries {
            throw PhonePackError(
                .io, operation: "check free space", path: destination,
                message: "needs \(entries) inodes but only \(fs.f_favail) are free; nothing was written")
        }
    }
}
