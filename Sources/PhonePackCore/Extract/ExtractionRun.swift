import CLinuxExtras
import Glibc

/// One extraction in progress: the open destination, the folder descriptors along the current path, and the
/// report so far.
struct ExtractionRun {
    let options: ExtractOptions
    let root: OpenFile
    var report: ExtractReport
    var policy: ExtractionPolicy
    /// Open folders along the path of the last entry, so siblings need no new lookups.
    var openDirectories: [(name: Substring, directory: OpenFile)] = []
    /// Folders this run created, by path: with the metadata of their own entry (wherever it came in the archive,
    /// the last one when listed twice) to apply at the end, or `nil` while only implied by the entries inside.
    var createdDirectories: [NameKey: TarEntry?] = [:]
    let isRoot = geteuid() == 0
    /// The process umask: bits of a mode it narrows are put back with `fchmod`.
    var umask: mode_t = 0o022
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
        // Counted always; listed up to a limit.
        if list == \ExtractReport.refused { report.refusedCount += 1 } else { report.skippedCount += 1 }
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
                try create(entry, at: path, reader: reader, replacing: false)
            case .replace(let path):
                try create(entry, at: path, reader: reader, replacing: true)
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

    /// Creates `entry` at `path`; `replacing`: over what an earlier entry of the same name created.
    mutating func create(_ entry: TarEntry, at path: String, reader: TarReader, replacing: Bool)
        throws(PhonePackError)
    {
        var components = pathComponents(path)
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
            try createFile(entry, name: name, path: path, in: parent, reader: reader, replacing: replacing)
        case .symlink:
            try createSymlink(entry, name: name, path: path, in: parent, replacing: replacing)
        case .hardlink:
            try createHardlink(entry, name: name, path: path, in: parent, replacing: replacing)
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
            openDirectories[common].name.utf8.elementsEqual(components[common].utf8)
        {
            common += 1
        }
        openDirectories.removeLast(openDirectories.count - common)
        var current = openDirectories.last?.directory ?? root
        for index in common..<components.count {
            let name = String(components[index])
            switch try openChild(name, in: current, create: true, path: components[...index].joined(separator: "/")) {
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

    /// `path`: the folder's path beneath the destination, recorded when this creates it.
    mutating func openChild(_ name: String, in parent: OpenFile, create: Bool, path: String) throws(PhonePackError)
        -> Result<OpenFile, Refusal>
    {
        for attempt in 0..<2 {
            let fd = retryingOnInterrupt {
                fsName(name) { openat(parent.descriptor, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            if fd >= 0 { return .success(OpenFile(adopting: fd, path: joinPath(parent.path, name))) }
            switch errno {
            case ELOOP: return .failure(Refusal(reason: "is a symlink in the destination; not followed"))
            case ENOTDIR: return .failure(Refusal(reason: "is a file in the destination, not a folder"))
            case ENOENT where create && attempt == 0:
                // A folder the archive did not list (yet): created with the usual 0755; its own entry, if it
                // comes later, gives it its mode and times at the end.
                if fsName(name, { mkdirat(parent.descriptor, $0, 0o755) }) == 0 {
                    createdDirectories.updateValue(nil, forKey: NameKey(path))
                } else if errno != EEXIST {
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
        return fsName(name) { fstatat(parent.descriptor, $0, &st, AT_SYMLINK_NOFOLLOW) } == 0 ? FileStatus(st) : nil
    }

    /// The name to create for an entry: `name` itself when free; a temporary name to rename over it when it
    /// exists and --overwrite allows replacing it; `nil` (noted in the report) when it must be left alone.
    mutating func creationName(for entry: TarEntry, _ name: String, path: String, in parent: OpenFile, replacing: Bool)
        -> String?
    {
        guard let existing = existing(name, in: parent) else { return name }
        guard options.overwrite || replacing else {
            leftAlone(entry, path)
            return nil
        }
        if existing.isDirectory {
            note(\.refused, entry.path, "a folder of that name exists in the destination")
            return nil
        }
        return ".\(name).phonepack-\(UInt32.random(in: 0...UInt32.max)).part"
    }

    /// An entry not created because its name exists in the destination: noted, and forgotten by the policy, so a
    /// later copy does not replace what this run did not make, and no hard link names it.
    mutating func leftAlone(_ entry: TarEntry, _ path: String) {
        note(\.skipped, entry.path, "exists in the destination (use --overwrite to replace it)")
        policy.forget(path)
    }

    mutating func createDirectory(_ entry: TarEntry, name: String, path: String, in parent: OpenFile)
        throws(PhonePackError)
    {
        let key = NameKey(path)
        if fsName(name, { mkdirat(parent.descriptor, $0, 0o700) }) == 0 {
            createdDirectories[key] = entry
            report.directories += 1
            return
        }
        guard errno == EEXIST else {
            throw .system("mkdirat", errno: errno, path: joinPath(parent.path, name), operation: "create folder")
        }
        if let status = existing(name, in: parent), !status.isDirectory {
            note(
                \.refused, entry.path,
                status.isSymlink ? "is a symlink in the destination; not followed" : "exists and is not a folder")
            return
        }
        // A folder this run made for the entries inside it (listed before it), or made from an earlier copy of
        // this entry, takes this entry's mode and times; one that was there before is left as it was.
        if let made = createdDirectories[key] {
            if made == nil { report.directories += 1 }
            createdDirectories[key] = entry
        }
    }

    /// The hidden name a file is written under until complete: fixed per name, so a rerun after a crash
    /// replaces what a killed run left (and a name too long to extend gets a short one).
    static func partialName(_ name: String) -> String {
        guard name.utf8.count <= 200 else {
            return ".phonepack-\(Digest.hash(.sha256, Array(name.utf8)).hexString.prefix(16)).partial"
        }
        return ".\(name).phonepack-partial"
    }

    /// Creates the hidden partial file for `name`; one left by a killed run (a regular file) is removed first.
    func createPartial(_ target: String, mode: UInt32, in parent: OpenFile) throws(PhonePackError) -> OpenFile {
        for attempt in 0..<2 {
            let fd = retryingOnInterrupt {
                fsName(target) {
                    openat(parent.descriptor, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode))
                }
            }
            if fd >= 0 { return OpenFile(adopting: fd, path: joinPath(parent.path, target)) }
            guard errno == EEXIST, attempt == 0, existing(target, in: parent)?.isRegular == true,
                fsName(target, { unlinkat(parent.descriptor, $0, 0) }) == 0
            else { break }
        }
        throw .system("openat", errno: errno, path: joinPath(parent.path, target), operation: "create file")
    }

    enum Placement { case placed, nameTaken, folderInTheWay }

    /// Gives the finished partial file its name: over the old file with --overwrite (never over a folder), else
    /// only if the name is free (`RENAME_NOREPLACE`; `link` + `unlink` where the file system lacks it), decided
    /// atomically by the rename itself rather than by a look beforehand.
    func moveIntoPlace(_ partial: String, _ name: String, replacing: Bool, in parent: OpenFile)
        throws(PhonePackError) -> Placement
    {
        if replacing {
            if fsNames(partial, name, { renameat(parent.descriptor, $0, parent.descriptor, $1) }) == 0 {
                return .placed
            }
            if errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST { return .folderInTheWay }
        } else {
            if fsNames(partial, name, { phonepack_renameat_noreplace(parent.descriptor, $0, parent.descriptor, $1) })
                == 0
            {
                return .placed
            }
            if errno == EINVAL || errno == ENOSYS {
                if fsNames(partial, name, { linkat(parent.descriptor, $0, parent.descriptor, $1, 0) }) == 0 {
                    _ = fsName(partial) { unlinkat(parent.descriptor, $0, 0) }
                    return .placed
                }
            }
            if errno == EEXIST { return .nameTaken }
        }
        throw .system("renameat", errno: errno, path: joinPath(parent.path, name), operation: "put file in place")
    }

    /// Links the finished unnamed file in under `name`, never over anything already there.
    func nameUnnamed(_ file: OpenFile, _ name: String, in parent: OpenFile) throws(PhonePackError) -> Placement {
        if fsName(name, { phonepack_link_unnamed(file.descriptor, parent.descriptor, $0) }) == 0 { return .placed }
        if errno == EEXIST { return .nameTaken }
        throw .system("linkat", errno: errno, path: joinPath(parent.path, name), operation: "put file in place")
    }

    mutating func createFile(
        _ entry: TarEntry, name: String, path: String, in parent: OpenFile, reader: TarReader, replacing: Bool
    ) throws(PhonePackError) {
        let replaces = options.overwrite || replacing
        let mode = fileMode(entry.permissions)
        // A file gets its name only when complete, so a crash never leaves a truncated file under it and a rerun
        // finishes the job: an unnamed file (O_TMPFILE) linked in at the end, or, where the file system has none
        // and for --overwrite, a hidden partial name renamed into place. Whether the name is free is decided by
        // that link or rename, not by a look beforehand (a system call per file, and it could be overtaken).
        let unnamedFD = replaces ? -1 : phonepack_open_unnamed(parent.descriptor, mode)
        // A named partial file is registered so Ctrl-C removes it, and removed here if the archive ends early;
        // an unnamed one vanishes by itself when closed (and errors name the file it becomes).
        let named = unnamedFD < 0
        let partial = named ? Self.partialName(name) : ""
        let output =
            named
            ? try TemporaryFiles.creating(joinPath(parent.path, partial)) { () throws(PhonePackError) in
                try createPartial(partial, mode: mode, in: parent)
            }
            : OpenFile(adopting: unnamedFD, path: joinPath(parent.path, name))
        let discard = { () in
            if named {
                _ = fsName(partial) { unlinkat(parent.descriptor, $0, 0) }
                TemporaryFiles.unregister(output.path)
            }
        }
        if mode_t(mode) & umask != 0 {
            checked(fchmod(output.descriptor, mode_t(mode)), "mode \(octalMode(mode))", entry)
        }
        do throws(PhonePackError) {
            var written: Int64 = 0
            let alreadyWritten = report.bytes
            let limit = options.maxTotalSize ?? .max
            let tooMuch = PhonePackError(
                .invalidInput, operation: "extract", path: entry.path,
                message: "the data written would pass --max-total-size \(limit)")
            if entry.isSparse {
                // Data blocks at their offsets, holes left as holes; the file then gets its full apparent size.
                if alreadyWritten + entry.size > limit { throw tooMuch }
                while let (block, offset) = try reader.nextDataBlock() {
                    guard offset >= 0, offset + Int64(block.count) <= entry.size else {
                        throw PhonePackError(
                            .corruptArchive, operation: "extract", path: entry.path,
                            message: "a data block of this sparse file lies beyond its size")
                    }
                    written += Int64(block.count)
                    try output.writeAll(block, atAbsoluteOffset: offset)
                }
                guard ftruncate(output.descriptor, off_t(entry.size)) == 0 else {
                    throw .system("ftruncate", errno: errno, path: output.path, operation: "size the sparse file")
                }
                written = entry.size
            } else {
                try reader.forEachDataBlock { (block) throws(PhonePackError) in
                    written += Int64(block.count)
                    // Counted from the data itself, not the header: the archive may have changed since the scan.
                    if alreadyWritten + written > limit { throw tooMuch }
                    try output.writeAll(block)
                }
            }
            try applyMetadata(entry, to: output, mode: mode)
            let placement =
                named
                ? try moveIntoPlace(partial, name, replacing: replaces, in: parent)
                : try nameUnnamed(output, name, in: parent)
            guard placement == .placed else {
                discard()
                if placement == .nameTaken {
                    leftAlone(entry, path)
                } else {
                    note(\.refused, entry.path, "a folder of that name exists in the destination")
                }
                return
            }
            report.bytes += written
        } catch {
            discard()
            throw stopped(error)
        }
        if named { TemporaryFiles.unregister(output.path) }
        report.files += 1
    }

    mutating func createSymlink(_ entry: TarEntry, name: String, path: String, in parent: OpenFile, replacing: Bool)
        throws(PhonePackError)
    {
        let linkTarget = entry.linkTarget ?? ""
        guard let target = creationName(for: entry, name, path: path, in: parent, replacing: replacing) else { return }
        guard fsNames(linkTarget, target, { symlinkat($0, parent.descriptor, $1) }) == 0 else {
            throw .system("symlinkat", errno: errno, path: joinPath(parent.path, name), operation: "create symlink")
        }
        if options.sameOwner && isRoot {
            let status = fsName(target) {
                fchownat(
                    parent.descriptor, $0, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid), AT_SYMLINK_NOFOLLOW)
            }
            checked(status, "owner \(entry.uid):\(entry.gid)", entry)
        }
        var times = [entry.mtime.timespec, entry.mtime.timespec]
        checked(
            fsName(target) { utimensat(parent.descriptor, $0, &times, AT_SYMLINK_NOFOLLOW) }, "modification time", entry
        )
        if target != name, fsNames(target, name, { renameat(parent.descriptor, $0, parent.descriptor, $1) }) != 0 {
            _ = fsName(target) { unlinkat(parent.descriptor, $0, 0) }
            throw .system("renameat", errno: errno, path: joinPath(parent.path, name), operation: "replace symlink")
        }
        if linkTarget.hasPrefixBytes("/") || EntryPath.resolveLink(at: path, target: linkTarget) == nil {
            report.symlinksPointingOutside += 1
        }
        report.symlinks += 1
    }

    mutating func createHardlink(_ entry: TarEntry, name: String, path: String, in parent: OpenFile, replacing: Bool)
        throws(PhonePackError)
    {
        // The policy made sure the target is a file, symlink or hard link this archive created earlier.
        var targetComponents = Array(
            pathComponents(EntryPath.normalize(entry.linkTarget ?? "").path).dropFirst(options.stripComponents))
        let targetName = String(targetComponents.removeLast())
        guard case .success(let targetParent) = try directory(targetComponents) else {
            note(\.refused, entry.path, "its target's folder cannot be reached safely")
            return
        }
        guard let linkName = creationName(for: entry, name, path: path, in: parent, replacing: replacing) else {
            return
        }
        // No AT_SYMLINK_FOLLOW: the link is to the file itself, never through a link.
        guard fsNames(targetName, linkName, { linkat(targetParent.descriptor, $0, parent.descriptor, $1, 0) }) == 0
        else {
            note(
                \.refused, entry.path,
                "hard link to \(entry.linkTarget ?? "") failed: \(String(cString: strerror(errno)))")
            return
        }
        if linkName != name, fsNames(linkName, name, { renameat(parent.descriptor, $0, parent.descriptor, $1) }) != 0 {
            _ = fsName(linkName) { unlinkat(parent.descriptor, $0, 0) }
            throw .system("renameat", errno: errno, path: joinPath(parent.path, name), operation: "replace file")
        }
        report.hardlinks += 1
    }
}
