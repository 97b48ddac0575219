import CLinuxExtras
import Glibc

/// An open file descriptor with exactly one owner; closed in `deinit` so every error path releases it.
/// The shape follows swift-system's `FileDescriptor`, with ownership added. Immutable, and read and written at
/// explicit offsets (`pread`, `pwrite`), so threads may share one: an upload's parts are read from the descriptor
/// the walk opened and checked, never from the path again.
public final class OpenFile: Sendable {
    public let descriptor: Int32
    public let path: String

    /// Takes ownership of an open descriptor.
    public init(adopting descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// Opens an existing file for reading. Refuses directories with a clear message.
    /// Standard input, on a descriptor of its own (closing it leaves fd 0 open).
    public static func standardInput() -> OpenFile { OpenFile(adopting: dup(STDIN_FILENO), path: "standard input") }

    /// Standard output, on a descriptor of its own.
    public static func standardOutput() -> OpenFile { OpenFile(adopting: dup(STDOUT_FILENO), path: "standard output") }

    public static func forReading(_ path: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt { fsName(path) { open($0, O_RDONLY | O_CLOEXEC) } }
        guard fd >= 0 else {
            throw .system("open", errno: errno, path: path, operation: "open for reading")
        }
        let file = OpenFile(adopting: fd, path: path)
        if try file.status().isDirectory {
            throw PhonePackError(.invalidInput, operation: "open", path: path, message: "is a directory, not a file")
        }
        return file
    }

    /// Opens a file that must be a regular one, without blocking on the way (a FIFO is refused, not waited on).
    public static func forReadingRegular(_ path: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt { fsName(path) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY) } }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open for reading") }
        let file = OpenFile(adopting: fd, path: path)
        let status = try file.status()
        guard status.isRegular else {
            throw PhonePackError(
                .invalidInput, operation: "open", path: path,
                message: status.isDirectory ? "is a directory, not a file" : "is not a regular file (a \(status.kind))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return file
    }

    /// Opens `name` inside the directory open as `directory`, never following a symlink in the last component.
    static func forReading(_ name: String, in directory: OpenFile) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt {
            fsName(name) { openat(directory.descriptor, $0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        }
        guard fd >= 0 else {
            throw .system("openat", errno: errno, path: joinPath(directory.path, name), operation: "open for reading")
        }
        return OpenFile(adopting: fd, path: joinPath(directory.path, name))
    }

    /// Opens a directory to use as the base of ``forReading(_:in:)``.
    static func directory(_ path: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt { fsName(path) { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) } }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open folder") }
        return OpenFile(adopting: fd, path: path)
    }

    /// Creates a new file that must not exist yet (`O_EXCL`), never following a symlink at `path`.
    static func creatingNew(_ path: String, permissions: mode_t = 0o644) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt {
            fsName(path) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, permissions) }
        }
        guard fd >= 0 else {
            throw .system("open", errno: errno, path: path, operation: "create")
        }
        return OpenFile(adopting: fd, path: path)
    }

    /// Opens (creating if needed, never following a symlink) a file to write at chosen offsets, keeping what is
    /// there: the partial file of a resumable download.
    public static func forUpdating(_ path: String, permissions: mode_t = 0o644) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt {
            fsName(path) { open($0, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, permissions) }
        }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open for writing") }
        return OpenFile(adopting: fd, path: path)
    }

    /// Creates a new file to write at chosen offsets and read back (`O_EXCL`: a file already at `path`, planted
    /// or not, is never reused; never following a symlink), readable by its owner only.
    public static func creatingPrivate(_ path: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt {
            fsName(path) { open($0, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
        }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "create") }
        return OpenFile(adopting: fd, path: path)
    }

    /// Reopens a file this user made earlier (a partial download to resume): a regular file with one link,
    /// owned by this user. In a shared folder anyone could have left a file under that name; it is refused.
    public static func reopeningOwn(_ path: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt { fsName(path) { open($0, O_RDWR | O_NOFOLLOW | O_CLOEXEC) } }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open for writing") }
        let file = OpenFile(adopting: fd, path: path)
        let status = try file.status()
        guard status.isRegular, status.links == 1, status.uid == geteuid() else {
            throw PhonePackError(
                .permissionDenied, operation: "resume", path: path,
                message:
                    "is not a file this user made (another owner, a link or not a regular file); remove it and run again"
            )
        }
        return file
    }

    /// Reads `length` bytes from `offset` with `pread`, in blocks of up to `blockSize`, handing each to `body`.
    /// Leaves the file position alone, so threads may share the file.
    public func forEachBlock(
        offset: Int64, length: Int64, blockSize: Int = 1 << 20,
        _ body: (UnsafeRawBufferPointer) throws(PhonePackError) -> Void
    ) throws(PhonePackError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
        defer { buffer.deallocate() }
        var done: Int64 = 0
        while done < length {
            let want = Int(min(Int64(blockSize), length - done))
            let n = try read(
                fromAbsoluteOffset: offset + done, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            guard n > 0 else {
                throw PhonePackError(
                    .io, operation: "read", path: path,
                    message: "ended after \(done) of \(length) bytes; did it change while being read?")
            }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            done += Int64(n)
        }
    }

    /// Opens an existing file to append to (a journal).
    public static func forAppending(_ path: String) throws(PhonePackError) -> OpenFile {
        let fd = retryingOnInterrupt { fsName(path) { open($0, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC) } }
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open for appending") }
        return OpenFile(adopting: fd, path: path)
    }

    /// Writes all of `bytes` at `offset` (`pwrite`), leaving the file position alone; threads may share the file.
    public func writeAll(_ bytes: UnsafeRawBufferPointer, atAbsoluteOffset offset: Int64) throws(PhonePackError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .system("pwrite", errno: errno, path: path, operation: "write") }
            done += n
        }
    }

    public func status() throws(PhonePackError) -> FileStatus {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else {
            throw .system("fstat", errno: errno, path: path, operation: "stat")
        }
        return FileStatus(st)
    }

    /// Reads up to `buffer.count` bytes at the current offset; 0 means end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(PhonePackError) -> Int {
        let n = retryingOnInterrupt { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
        guard n >= 0 else { throw .system("read", errno: errno, path: path, operation: "read") }
        return n
    }

    /// Reads up to `buffer.count` bytes at `offset` without moving the file offset.
    public func read(fromAbsoluteOffset offset: Int64, into buffer: UnsafeMutableRawBufferPointer)
        throws(PhonePackError) -> Int
    {
        let n = retryingOnInterrupt { pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard n >= 0 else { throw .system("pread", errno: errno, path: path, operation: "read") }
        return n
    }

    /// Writes all of `bytes`, retrying short writes.
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) {
        try writeFully(descriptor: descriptor, bytes, path: path)
    }

    public func writeAll(_ bytes: [UInt8]) throws(PhonePackError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(PhonePackError) in try writeAll(raw) } }
        try result.get()
    }

    /// Exactly `count` bytes at `offset`; a file that ends first is an error naming it.
    public func readExactly(_ count: Int, at offset: Int64) throws(PhonePackError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = out.withUnsafeMutableBytes { raw in
                Result { () throws(PhonePackError) -> Int in
                    try read(
                        fromAbsoluteOffset: offset + Int64(done),
                        into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]))
                }
            }
            let n = try result.get()
            guard n > 0 else {
                throw PhonePackError(
                    .corruptArchive, operation: "read", path: path,
                    message: "ends at \(offset + Int64(done)), before \(count) bytes at \(offset) could be read")
            }
            done += n
        }
        return out
    }

    /// Reads into the start of `bytes` (at `offset`, or at the current position); returns the count read.
    public func read(into bytes: inout [UInt8], fromAbsoluteOffset offset: Int64? = nil) throws(PhonePackError)
        -> Int
    {
        let result = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(PhonePackError) -> Int in
                if let offset { return try read(fromAbsoluteOffset: offset, into: raw) }
                return try read(into: raw)
            }
        }
        return try result.get()
    }

    /// Reads the rest of the file into memory; only for small files (manifests, checksum files).
    public func readToEnd(limit: Int = 64 << 20) throws(PhonePackError) -> [UInt8] {
        var result = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = try read(into: &chunk)
            if n == 0 { return result }
            result += chunk[0..<n]
            if result.count > limit {
                throw PhonePackError(
                    .invalidInput, operation: "read", path: path, message: "is larger than \(limit) bytes")
            }
        }
    }
}

/// What `stat`/`lstat` say about a file, in the units phonepack uses.
public struct FileStatus: Sendable {
    public var mode: mode_t
    public var size: Int64
    public var mtime: Int64
    public var uid: UInt32
    public var gid: UInt32
    /// Modification time to the nanosecond and inode: with the size, what tells a resumed transfer its file changed.
    public var modified: FileTime
    public var inode: UInt64
    /// Status-change time: any write or `touch` moves it, even one that puts the mtime back.
    public var changed: FileTime
    /// Hard links to the file.
    public var links: UInt64
    /// The file system it is on: with the inode, which file it is.
    public var device: UInt64

    init(_ st: stat) {
        mode = st.st_mode
        size = Int64(st.st_size)
        mtime = Int64(st.st_mtim.tv_sec)
        modified = FileTime(st.st_mtim)
        inode = UInt64(st.st_ino)
        changed = FileTime(st.st_ctim)
        uid = st.st_uid
        gid = st.st_gid
        links = UInt64(st.st_nlink)
        device = UInt64(st.st_dev)
    }

    /// Whether `other` is the same file (device and inode) with the same size, content time and status time: what
    /// tells that nobody replaced or wrote it in between.
    public func isUnchanged(_ other: FileStatus) -> Bool {
        device == other.device && inode == other.inode && size == other.size
            && modified == other.modified && changed == other.changed
    }

    public var isDirectory: Bool { mode & S_IFMT == S_IFDIR }
    public var isRegular: Bool { mode & S_IFMT == S_IFREG }
    var isSymlink: Bool { mode & S_IFMT == S_IFLNK }
    public var permissions: UInt32 { UInt32(mode & 0o7777) }

    /// The kind of file, named as tar names it (a FIFO in a folder compares equal to a FIFO entry).
    public var kind: TarEntry.Kind {
        switch mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        case S_IFIFO: .fifo
        case S_IFCHR: .characterDevice
        case S_IFBLK: .blockDevice
        case S_IFSOCK: .socket
        default: .unknown
        }
    }

    /// `lstat` of a path: symlinks are described, not followed.
    public static func of(_ path: String) throws(PhonePackError) -> FileStatus {
        var st = stat()
        guard fsName(path, { lstat($0, &st) }) == 0 else {
            throw .system("lstat", errno: errno, path: path, operation: "stat")
        }
        return FileStatus(st)
    }

    /// Whether anything (even a dangling symlink) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return fsName(path) { lstat($0, &st) } == 0
    }

    /// `lstat`, or `nil` when nothing is at `path`.
    public static func ifExists(_ path: String) throws(PhonePackError) -> FileStatus? {
        var st = stat()
        if fsName(path, { lstat($0, &st) }) == 0 { return FileStatus(st) }
        if errno == ENOENT { return nil }
        throw .system("lstat", errno: errno, path: path, operation: "stat")
    }
}

/// Writes all of `bytes` to a descriptor this code does not own (standard output), retrying short writes.
func writeFully(descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(PhonePackError) {
    var offset = 0
    while offset < bytes.count {
        let n = retryingOnInterrupt { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
        guard n > 0 else {
            throw .system("write", errno: n < 0 ? errno : EIO, path: path, operation: "write")
        }
        offset += n
    }
}

/// Runs a system call again while it fails with `EINTR`.
func retryingOnInterrupt<T: FixedWidthInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}

extension OpenFile {
    /// A new empty file with no name (created in `$TMPDIR` or /tmp and unlinked at once, so nothing is left
    /// behind whatever happens), called `name` in messages.
    public static func unnamedTemporary(name: String) throws(PhonePackError) -> OpenFile {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array(joinPath(folder, "phonepack-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw .system("mkstemp", errno: errno, path: folder, operation: "create a temporary file")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        unlink(String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return OpenFile(adopting: fd, path: name)
    }

    /// Copies this stream to its end into a temporary file that has no name (created in `$TMPDIR` or /tmp and
    /// unlinked at once, so nothing is left behind whatever happens), for readers that need offsets. Returns it,
    /// positioned anywhere: read it with offsets or through `/proc/self/fd/N`.
    public func spoolToTemporaryFile() throws(PhonePackError) -> OpenFile {
        let spool = try OpenFile.unnamedTemporary(name: "standard input")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try read(into: buffer)
            if count == 0 { break }
            try spool.writeAll(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        return spool
    }
}
