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
            guard case .success(let directory) = try directory(pathComponents(path)) else { continue }
            let mode = directoryMode(entry.permissions)
            try applyMetadata(entry, to: directory, mode: mode)
            fchmod(directory.descriptor, mode_t(mode))
            openDirectories.removeAll()
        }
    }
}
