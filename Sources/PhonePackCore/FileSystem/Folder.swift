import CLinuxExtras
import Glibc

/// An open folder and what tree transfers do inside it, always relative to its descriptor (`openat`, `mkdirat`,
/// `fstatat`, `renameat`, `unlinkat`): once a folder is open, swapping a path on the way for a symlink to
/// somewhere else cannot move a read or a write there. Below the folder the user named, nothing is followed unless
/// asked (`O_NOFOLLOW`), a file is opened without blocking (a FIFO swapped in cannot hang the transfer) and is
/// checked to be the very regular file the listing saw. The extractor's discipline, for `sync`, `upload -r` and
/// `download -r`.
public final class Folder: Sendable {
    public let file: OpenFile
    public var path: String { file.path }
    public var descriptor: Int32 { file.descriptor }

    private init(_ file: OpenFile) { self.file = file }

    /// The folder the user named (a symlink there is the user's choice and is followed), created with its parents
    /// when `create` and missing.
    public static func open(_ path: String, create: Bool = false) throws(PhonePackError) -> Folder {
        if create && !FileStatus.exists(path) { try makeDirectories(path, mode: 0o755) }
        let fd = retryingOnInterrupt { fsName(path) { Glibc.open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open folder") }
        return Folder(OpenFile(adopting: fd, path: path))
    }

    /// The folder `name` inside this one, never through a symlink unless `follow`; made (mode 0755) when `create`
    /// and missing. A symlink or a file in its place is refused, naming it.
    public func subfolder(_ name: String, create: Bool = false, follow: Bool = false) throws(PhonePackError) -> Folder {
        let full = joinPath(path, name)
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW)
        var fd = retryingOnInterrupt { fsName(name) { openat(descriptor, $0, flags) } }
        if fd < 0 && errno == ENOENT && create {
            if fsName(name, { mkdirat(descriptor, $0, 0o755) }) != 0 && errno != EEXIST {
                throw .system("mkdirat", errno: errno, path: full, operation: "create folder")
            }
            fd = retryingOnInterrupt { fsName(name) { openat(descriptor, $0, flags) } }
        }
        guard fd >= 0 else {
            if errno == ELOOP || errno == ENOTDIR {
                throw PhonePackError(
                    .invalidInput, operation: "open folder", path: full,
                    message: "is not a folder (a symlink or a file); nothing is written or read through it",
                    cause: SystemCallError(systemCall: "openat", errno: errno))
            }
            throw .system("openat", errno: errno, path: full, operation: "open folder")
        }
        return Folder(OpenFile(adopting: fd, path: full))
    }

    /// The folder at `relative` (levels cut at `/`) below this one, made as needed, never through a symlink.
    public func descend(_ relative: String, create: Bool) throws(PhonePackError) -> Folder {
        var level = self
        for part in pathComponents(relative) { level = try level.subfolder(String(part), create: create) }
        return level
    }

    /// The entries (without `.` and `..`) with their `lstat`, sorted by their bytes.
    public func entries() throws(PhonePackError) -> [(name: String, status: FileStatus)] {
        // fdopendir takes the descriptor it is given: a duplicate, so the folder stays open for openat.
        let copy = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard copy >= 0, let directory = fdopendir(copy) else {
            let code = errno
            if copy >= 0 { close(copy) }
            throw .system("fdopendir", errno: code, path: path, operation: "list folder")
        }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw .system("readdir", errno: errno, path: path, operation: "list folder") }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        names.sort { $0.lexicographicallyPrecedes($1) }
        var result: [(name: String, status: FileStatus)] = []
        result.reserveCapacity(names.count)
        for raw in names {
            let name = ArchiveName.decode(raw)
            // Gone since the listing (another process removed it): not an entry any more.
            guard let status = try status(of: name) else { continue }
            result.append((name, status))
        }
        return result
    }

    /// `fstatat` of `name`: the link itself unless `follow`; `nil` when nothing is there.
    public func status(of name: String, follow: Bool = false) throws(PhonePackError) -> FileStatus? {
        var st = stat()
        if fsName(name, { fstatat(descriptor, $0, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) }) == 0 {
            return FileStatus(st)
        }
        if errno == ENOENT || (follow && errno == ELOOP) { return nil }
        throw .system("fstatat", errno: errno, path: joinPath(path, name), operation: "stat")
    }

    /// Opens `name` for reading, refusing anything but the regular file the listing saw (`expected`: the same
    /// device and inode). Opened without following a symlink (unless `follow`) and without blocking, so a FIFO or
    /// a link swapped in meanwhile is refused at once, naming the file.
    public func openFile(_ name: String, expected: FileStatus, follow: Bool = false) throws(PhonePackError)
        -> OpenFile
    {
        let full = joinPath(path, name)
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (follow ? 0 : O_NOFOLLOW)
        let fd = retryingOnInterrupt { fsName(name) { openat(descriptor, $0, flags) } }
        guard fd >= 0 else {
            if errno == ELOOP {
                throw PhonePackError(
                    .invalidInput, operation: "open", path: full,
                    message: "became a symlink after it was listed; it was not read",
                    cause: SystemCallError(systemCall: "openat", errno: errno))
            }
            throw .system("openat", errno: errno, path: full, operation: "open for reading")
        }
        let opened = OpenFile(adopting: fd, path: full)
        let now = try opened.status()
        guard now.isRegular, now.device == expected.device, now.inode == expected.inode else {
            throw PhonePackError(
                .invalidInput, operation: "open", path: full,
                message:
                    "is no longer the regular file that was listed (it was replaced\(now.isRegular ? "" : " by a \(now.kind)")); it was not read"
            )
        }
        // Blocking reads again from here: it is a regular file.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return opened
    }

    /// Creates `name` exclusively (`O_EXCL`, never through a symlink), readable and writable by its owner only.
    public func createExclusive(_ name: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt {
            fsName(name) { openat(descriptor, $0, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        }
        guard fd >= 0 else { throw .system("openat", errno: errno, path: joinPath(path, name), operation: "create") }
        return OpenFile(adopting: fd, path: joinPath(path, name))
    }

    /// Reopens a file this user created here before (a partial download to resume): a regular file, owned by us,
    /// never through a symlink.
    public func reopenOwn(_ name: String) throws(PhonePackError) -> OpenFile {
        let full = joinPath(path, name)
        let fd = retryingOnInterrupt {
            fsName(name) { openat(descriptor, $0, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        }
        guard fd >= 0 else { throw .system("openat", errno: errno, path: full, operation: "reopen") }
        let file = OpenFile(adopting: fd, path: full)
        let status = try file.status()
        guard status.isRegular, status.uid == geteuid() else {
            throw PhonePackError(
                .permissionDenied, operation: "reopen", path: full,
                message: "is not a file of yours; remove it, or use a folder only you can write to")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return file
    }

    /// Removes the file `name` (not a folder); a missing one is fine.
    public func remove(_ name: String) throws(PhonePackError) {
        if fsName(name, { unlinkat(descriptor, $0, 0) }) != 0 && errno != ENOENT {
            throw .system("unlinkat", errno: errno, path: joinPath(path, name), operation: "remove")
        }
    }

    /// Renames `from` to `to`, both in this folder (replacing `to`, even a symlink there, never following it).
    public func rename(_ from: String, to: String) throws(PhonePackError) {
        guard fsNames(from, to, { renameat(descriptor, $0, descriptor, $1) }) == 0 else {
            throw .system("renameat", errno: errno, path: joinPath(path, to), operation: "rename into place")
        }
    }

    /// Bytes free for this user on the folder's file system, or `nil` when the system will not say.
    public func freeBytes() -> Int64? {
        var info = statvfs()
        guard fstatvfs(descriptor, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
