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
/// - Important: sets the process umask to 0 while it runs, so modes are exactly what it decides.
public enum SafeExtractor {
    public static func extract(archive path: String, options: ExtractOptions) throws(PhonePackError) -> ExtractReport {
        let file = try OpenFile.forReading(path)
        let scan = try prescan(file, options: options)
        let root = try openDestination(options.destination)
        try checkFreeSpace(root: root, needed: scan.bytes, entries: scan.entries, destination: options.destination)
        // DIR keeps its times: creating entries in it moves its mtime, which is put back at the end.
        var rootStatus = stat()
        fstat(root.descriptor, &rootStatus)
        defer {
            var times = [rootStatus.st_atim, rootStatus.st_mtim]
            futimens(root.descriptor, &times)
        }

        let savedMask = umask(0)
        defer { umask(savedMask) }
        var run = ExtractionRun(
            options: options, root: root, report: ExtractReport(archive: path, destination: options.destination))
        try run.extract(from: file)
        try run.finishDirectories()
        return run.report
    }

    struct Prescan {
        var entries = 0
        var bytes: Int64 = 0
    }

    /// Reads every header (data is skipped with seeks) and applies the limits before anything is written.
    static func prescan(_ file: OpenFile, options: ExtractOptions) throws(PhonePackError) -> Prescan {
        let reader = try TarReader(file: file)
        var policy = ExtractionPolicy(
            filter: options.filter, stripComponents: options.stripComponents, maxEntrySize: options.maxEntrySize)
        var scan = Prescan()
        do throws(PhonePackError) {
            while let entry = try reader.next() {
                scan.entries += 1
                if scan.entries > options.maxEntries {
                    throw PhonePackError(
                        .invalidInput, operation: "extract", path: file.path,
                        message: "has more than \(options.maxEntries) entries (--max-entries); nothing was written")
                }
                if case .extract = policy.judge(entry), entry.kind == .file { scan.bytes += entry.size }
            }
            _ = try reader.finish()
        } catch  where error.code == .corruptArchive {
            var error = error
            error.message += "; nothing was written"
            throw error
        }
        if let limit = options.maxTotalSize, scan.bytes > limit {
            throw PhonePackError(
                .invalidInput, operation: "extract", path: file.path,
                message:
                    "would write \(scan.bytes) bytes, over --max-total-size \(limit); take less with --include, or raise the limit; nothing was written"
            )
        }
        return scan
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

/// One extraction in progress: the open destination, the folder descriptors along the current path, and the
/// report so far.
private struct ExtractionRun {
    let options: ExtractOptions
    let root: OpenFile
    var report: ExtractReport
    var policy: ExtractionPolicy
    /// Open folders along the path of the last entry, so siblings need no new lookups.
    var openDirectories: [(name: Substring, directory: OpenFile)] = []
    /// Folders this run created from archive entries, with the metadata to apply at the end.
    var createdDirectories: [(path: String, entry: TarEntry)] = []
    let isRoot = geteuid() == 0
    static let listLimit = 1000

    init(options: ExtractOptions, root: OpenFile, report: ExtractReport) {
        self.options = options
        self.root = root
        self.report = report
        policy = ExtractionPolicy(
            filter: options.filter, stripComponents: options.stripComponents, maxEntrySize: options.maxEntrySize)
        if options.sameOwner && !isRoot {
            self.report.warnings.append("--same-owner needs root; files belong to the extracting user")
        }
    }

    mutating func note(_ list: WritableKeyPath<ExtractReport, [ExtractReport.Note]>, _ entry: String, _ reason: String)
    {
        if report[keyPath: list].count < Self.listLimit {
            report[keyPath: list].append(.init(entry: entry, reason: reason))
        }
    }

    mutating func extract(from file: OpenFile) throws(PhonePackError) {
        let reader = try TarReader(file: file, readAhead: true)
        var entries = 0
        while true {
            let entry: TarEntry
            do throws(PhonePackError) {
                guard let next = try reader.next() else { break }
                entry = next
            } catch {
                throw stopped(error)
            }
            entries += 1
            if entries > options.maxEntries {
                throw stopped(
                    PhonePackError(
                        .invalidInput, operation: "extract", path: file.path,
                        message: "has more than \(options.maxEntries) entries (--max-entries)"))
            }
            switch policy.judge(entry) {
            case .skip(let reason):
                if reason.hasPrefix("not selected") || reason.hasPrefix("removed by") {
                    report.notSelected += 1
                } else {
                    note(\.skipped, entry.path, reason)
                }
            case .refuse(let reason):
                note(\.refused, entry.path, reason)
            case .extract(let path):
                try create(entry, at: path, reader: reader)
            }
        }
        _ = try reader.finish()
    }

    /// Adds what was written so far to an error that stops the extraction.
    func stopped(_ error: PhonePackError) -> PhonePackError {
        var error = error
        error.message +=
            "; extraction stopped after writing \(report.files) files (\(formatBytes(report.bytes))) to \(options.destination)"
        return error
    }

    // MARK: Creating entries

    mutating func create(_ entry: TarEntry, at path: String, reader: TarReader) throws(PhonePackError) {
        var components = path.split(separator: "/")
        let name = String(components.removeLast())
        let parent: OpenFile
        switch try directory(components) {
        case .success(let directory): parent = directory
        case .failure(let refusal):
            note(\.refused, entry.path, refusal.reason)
            return
        }
        switch entry.kind {
        case .directory:
            try createDirectory(entry, name: name, path: path, in: parent)
        case .file:
            try createFile(entry, name: name, path: path, in: parent, reader: reader)
        case .symlink:
            try createSymlink(entry, name: name, path: path, in: parent)
        case .hardlink:
            try createHardlink(entry, name: name, path: path, in: parent)
        default:
            break
        }
    }

    struct Refusal: Error {
        var reason: String
    }

    /// The open folder for `components` beneath the destination, creating missing ones, never following links.
    mutating func directory(_ components: [Substring]) throws(PhonePackError) -> Result<OpenFile, Refusal> {
        var common = 0
        while common < min(components.count, openDirectories.count),
            openDirectories[common].name == components[common]
        {
            common += 1
        }
        openDirectories.removeLast(openDirectories.count - common)
        var current = openDirectories.last?.directory ?? root
        for index in common..<components.count {
            let name = String(components[index])
            switch try openChild(name, in: current, create: true) {
            case .success(let child):
                openDirectories.append((components[index], child))
                current = child
            case .failure(let refusal):
                let where_ = components[...index].joined(separator: "/")
                return .failure(Refusal(reason: "\(where_) \(refusal.reason)"))
            }
        }
        return .success(current)
    }

    func openChild(_ name: String, in parent: OpenFile, create: Bool) throws(PhonePackError) -> Result<
        OpenFile, Refusal
    > {
        for attempt in 0..<2 {
            let fd = retryingOnInterrupt {
                openat(parent.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if fd >= 0 { return .success(OpenFile(adopting: fd, path: joinPath(parent.path, name))) }
            switch errno {
            case ELOOP: return .failure(Refusal(reason: "is a symlink in the destination; not followed"))
            case ENOTDIR: return .failure(Refusal(reason: "is a file in the destination, not a folder"))
            case ENOENT where create && attempt == 0:
                // A folder the archive did not list: created with the usual 0755.
                if mkdirat(parent.descriptor, name, 0o755) != 0 && errno != EEXIST {
                    throw .system(
                        "mkdirat", errno: errno, path: joinPath(parent.path, name), operation: "create folder")
                }
            default:
                throw .system("openat", errno: errno, path: joinPath(parent.path, name), operation: "open folder")
            }
        }
        return .failure(Refusal(reason: "could not be created"))
    }

    /// What is already at `name`: nil, or its `lstat`.
    func existing(_ name: String, in parent: OpenFile) -> FileStatus? {
        var st = stat()
        return fstatat(parent.descriptor, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? FileStatus(st) : nil
    }

    /// The name to create for an entry: `name` itself when free; a temporary name to rename over it when it
    /// exists and --overwrite allows replacing it; `nil` (noted in the report) when it must be left alone.
    mutating func creationName(for entry: TarEntry, _ name: String, in parent: OpenFile) -> String? {
        guard let existing = existing(name, in: parent) else { return name }
        guard options.overwrite else {
            note(\.skipped, entry.path, "exists in the destination (use --overwrite to replace it)")
            return nil
        }
        if existing.isDirectory {
            note(\.refused, entry.path, "a folder of that name exists in the destination")
            return nil
        }
        return ".\(name).phonepack-\(UInt32.random(in: 0...UInt32.max)).part"
    }

    mutating func createDirectory(_ entry: TarEntry, name: String, path: String, in parent: OpenFile)
        throws(PhonePackError)
    {
        if mkdirat(parent.descriptor, name, 0o700) == 0 {
            createdDirectories.append((path, entry))
            report.directories += 1
            return
        }
        guard errno == EEXIST else {
            throw .system("mkdirat", errno: errno, path: joinPath(parent.path, name), operation: "create folder")
        }
        // An existing folder (from before, or implied by an earlier entry) is reused as it is.
        if let status = existing(name, in: parent), !status.isDirectory {
            note(
                \.refused, entry.path,
                status.isSymlink ? "is a symlink in the destination; not followed" : "exists and is not a folder")
        }
    }

    mutating func createFile(_ entry: TarEntry, name: String, path: String, in parent: OpenFile, reader: TarReader)
        throws(PhonePackError)
    {
        guard let target = creationName(for: entry, name, in: parent) else { return }
        let mode = fileMode(entry.permissions)
        let fd = retryingOnInterrupt {
            openat(parent.descriptor, target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
        }
        guard fd >= 0 else {
            throw .system("openat", errno: errno, path: joinPath(parent.path, name), operation: "create file")
        }
        let output = OpenFile(adopting: fd, path: joinPath(parent.path, target))
        // Registered so Ctrl-C removes it; removed here too if the archive ends early.
        TemporaryFiles.register(output.path)
        do throws(PhonePackError) {
            var written: Int64 = 0
            let alreadyWritten = report.bytes
            let limit = options.maxTotalSize ?? .max
            try reader.forEachDataBlock { (block) throws(PhonePackError) in
                written += Int64(block.count)
                // Counted from the data itself, not the header: the archive may have changed since the scan.
                if alreadyWritten + written > limit {
                    throw PhonePackError(
                        .invalidInput, operation: "extract", path: entry.path,
                        message: "the data written would pass --max-total-size \(limit)")
                }
                try output.writeAll(block)
            }
            try applyMetadata(entry, to: output, mode: mode)
            if target != name, renameat(parent.descriptor, target, parent.descriptor, name) != 0 {
                throw .system("renameat", errno: errno, path: joinPath(parent.path, name), operation: "replace file")
            }
            report.bytes += written
        } catch {
            unlinkat(parent.descriptor, target, 0)
            TemporaryFiles.unregister(output.path)
            throw stopped(error)
        }
        TemporaryFiles.unregister(output.path)
        report.files += 1
    }

    mutating func createSymlink(_ entry: TarEntry, name: String, path: String, in parent: OpenFile)
        throws(PhonePackError)
    {
        let linkTarget = entry.linkTarget ?? ""
        guard let target = creationName(for: entry, name, in: parent) else { return }
        guard symlinkat(linkTarget, parent.descriptor, target) == 0 else {
            throw .system("symlinkat", errno: errno, path: joinPath(parent.path, name), operation: "create symlink")
        }
        if options.sameOwner && isRoot {
            fchownat(
                parent.descriptor, target, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid), AT_SYMLINK_NOFOLLOW)
        }
        var times = [
            timespec(tv_sec: time_t(entry.mtime), tv_nsec: 0), timespec(tv_sec: time_t(entry.mtime), tv_nsec: 0),
        ]
        utimensat(parent.descriptor, target, &times, AT_SYMLINK_NOFOLLOW)
        if target != name, renameat(parent.descriptor, target, parent.descriptor, name) != 0 {
            unlinkat(parent.descriptor, target, 0)
            throw .system("renameat", errno: errno, path: joinPath(parent.path, name), operation: "replace symlink")
        }
        if linkTarget.hasPrefix("/") || EntryPath.resolveLink(at: path, target: linkTarget) == nil {
            report.symlinksPointingOutside += 1
        }
        report.symlinks += 1
    }

    mutating func createHardlink(_ entry: TarEntry, name: String, path: String, in parent: OpenFile)
        throws(PhonePackError)
    {
        // The policy made sure the target is a file this archive created earlier.
        var targetComponents = EntryPath.normalize(entry.linkTarget ?? "").path.split(separator: "/")
            .dropFirst(options.stripComponents).map { $0 }
        let targetName = String(targetComponents.removeLast())
        guard case .success(let targetParent) = try directory(targetComponents) else {
            note(\.refused, entry.path, "its target's folder cannot be reached safely")
            return
        }
        guard let linkName = creationName(for: entry, name, in: parent) else { return }
        // No AT_SYMLINK_FOLLOW: the link is to the file itself, never through a link.
        guard linkat(targetParent.descriptor, targetName, parent.descriptor, linkName, 0) == 0 else {
            note(
                \.refused, entry.path,
                "hard link to \(entry.linkTarget ?? "") failed: \(String(cString: strerror(errno)))")
            return
        }
        if linkName != name, renameat(parent.descriptor, linkName, parent.descriptor, name) != 0 {
            unlinkat(parent.descriptor, linkName, 0)
            throw .system("renameat", errno: errno, path: joinPath(parent.path, name), operation: "replace file")
        }
        report.hardlinks += 1
    }

    // MARK: Metadata

    /// Clears setuid/setgid/sticky and world-write, and keeps the owner able to read and write, unless
    /// --preserve-permissions.
    func fileMode(_ permissions: UInt32) -> UInt32 {
        options.preservePermissions ? permissions & 0o7777 : (permissions & 0o775) | 0o600
    }

    func directoryMode(_ permissions: UInt32) -> UInt32 {
        options.preservePermissions ? permissions & 0o7777 : (permissions & 0o775) | 0o700
    }

    mutating func applyMetadata(_ entry: TarEntry, to file: OpenFile, mode: UInt32) throws(PhonePackError) {
        if options.sameOwner && isRoot {
            fchown(file.descriptor, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid))
            // chown may clear setuid/setgid; put the mode back.
            fchmod(file.descriptor, mode_t(mode))
        }
        if options.wantsXattrs {
            for xattr in entry.xattrs {
                guard options.allowsXattr(xattr.name) else {
                    report.droppedXattrs += 1
                    continue
                }
                let status = xattr.value.withUnsafeBytes { raw in
                    fsetxattr(file.descriptor, xattr.name, raw.baseAddress, raw.count, 0)
                }
                if status != 0 {
                    let warning =
                        "cannot set \(xattr.name) (\(String(cString: strerror(errno)))); other entries may be affected too"
                    if !report.warnings.contains(warning) { report.warnings.append(warning) }
                }
            }
        }
        var times = [
            timespec(tv_sec: time_t(entry.mtime), tv_nsec: 0), timespec(tv_sec: time_t(entry.mtime), tv_nsec: 0),
        ]
        futimens(file.descriptor, &times)
    }

    /// Applies the modes, owners and times of the folders this run created, deepest first.
    mutating func finishDirectories() throws(PhonePackError) {
        openDirectories.removeAll()
        let ordered = createdDirectories.sorted { $0.path.utf8.count > $1.path.utf8.count }
        for (path, entry) in ordered {
            guard case .success(let directory) = try directory(path.split(separator: "/")) else { continue }
            let mode = directoryMode(entry.permissions)
            try applyMetadata(entry, to: directory, mode: mode)
            fchmod(directory.descriptor, mode_t(mode))
            openDirectories.removeAll()
        }
    }
}
