import CLinuxExtras
import Glibc

/// Modes, owners, times and extended attributes of what a run creates.
extension ExtractionRun {
    /// Clears setuid/setgid/sticky and world-write, and keeps the owner able to read and write, unless
    /// --preserve-permissions.
    func fileMode(_ permissions: UInt32) -> UInt32 {
        options.preservePermissions ? permissions & 0o7777 : (permissions & 0o775) | 0o600
    }

    func directoryMode(_ permissions: UInt32) -> UInt32 {
        options.preservePermissions ? permissions & 0o7777 : (permissions & 0o775) | 0o700
    }

    /// Records a metadata call that failed (`result` not 0): the entry, what could not be set and why. Counted
    /// always, listed up to the limit; the command fails unless told to ignore them.
    mutating func checked(_ result: Int32, _ what: String, _ entry: TarEntry) {
        guard result != 0 else { return }
        let reason = "could not set its \(what): \(String(cString: strerror(errno)))"
        report.metadataFailureCount += 1
        if report.metadataFailures.count < Self.listLimit {
            report.metadataFailures.append(.init(entry: entry.path, reason: reason))
        }
    }

    mutating func applyMetadata(_ entry: TarEntry, to file: OpenFile, mode: UInt32) throws(PhonePackError) {
        if options.sameOwner && isRoot {
            checked(
                fchown(file.descriptor, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)),
                "owner \(entry.uid):\(entry.gid)", entry)
            // chown may clear setuid/setgid; put the mode back.
            checked(fchmod(file.descriptor, mode_t(mode)), "mode \(octalMode(mode))", entry)
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
                checked(status, "extended attribute \(xattr.name)", entry)
            }
        }
        var times = [entry.mtime.timespec, entry.mtime.timespec]
        checked(futimens(file.descriptor, &times), "modification time", entry)
    }

    /// Applies the modes, owners and times of the folders this run created, deepest first.
    mutating func finishDirectories() throws(PhonePackError) {
        openDirectories.removeAll()
        let ordered = createdDirectories.compactMap { key, entry in entry.map { (key.name, $0) } }
            .sorted { $0.0.utf8.count > $1.0.utf8.count }
        for (path, entry) in ordered {
            guard case .success(let directory) = try directory(pathComponents(path)) else { continue }
            let mode = directoryMode(entry.permissions)
            try applyMetadata(entry, to: directory, mode: mode)
            checked(fchmod(directory.descriptor, mode_t(mode)), "mode \(octalMode(mode))", entry)
            openDirectories.removeAll()
        }
    }
}
