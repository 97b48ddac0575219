import CLinuxExtras
import Glibc

/// Lists a directory's entry names (without `.` and `..`) sorted by their bytes, the order reproducible archives
/// use regardless of locale.
package func sortedDirectoryEntries(_ path: String) throws(PhonePackError) -> [String] {
    try sortedDirectoryEntriesWithStatus(path, status: false).map(\.name)
}

/// Like ``sortedDirectoryEntries(_:)``, with each entry's `lstat` taken relative to the open directory
/// (`fstatat`), which spares the kernel a full path lookup per file.
package func sortedDirectoryEntriesWithStatus(_ path: String, status wantStatus: Bool = true) throws(PhonePackError)
    -> [(name: String, status: FileStatus?)]
{
    guard let dir = opendir(path) else {
        throw .system("opendir", errno: errno, path: path, operation: "list directory")
    }
    defer { closedir(dir) }
    let directoryFD = dirfd(dir)
    var names: [[UInt8]] = []
    while true {
        errno = 0
        guard let entry = readdir(dir) else {
            if errno != 0 { throw .system("readdir", errno: errno, path: path, operation: "list directory") }
            break
        }
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            Array(raw.prefix(while: { $0 != 0 }))
        }
        if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
        names.append(name)
    }
    names.sort { $0.lexicographicallyPrecedes($1) }
    var result: [(name: String, status: FileStatus?)] = []
    result.reserveCapacity(names.count)
    for raw in names {
        // Losslessly, whatever the bytes (see ArchiveName); build refuses names that are not UTF-8.
        let name = ArchiveName.decode(raw)
        var status: FileStatus?
        if wantStatus {
            var st = stat()
            guard fsName(name, { fstatat(directoryFD, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw .system("fstatat", errno: errno, path: joinPath(path, name), operation: "stat")
            }
            status = FileStatus(st)
        }
        result.append((name, status))
    }
    return result
}

/// Joins path components with exactly one `/`, in one allocation (`base + "/" + name` made two strings, and an
/// extract makes one of these per file).
package func joinPath(_ base: String, _ name: String) -> String {
    if base.isEmpty { return name }
    let slash = base.utf8.last == UInt8(ascii: "/") ? 0 : 1
    return String(unsafeUninitializedCapacity: base.utf8.count + slash + name.utf8.count) { out in
        var count = out.initialize(fromContentsOf: base.utf8)
        if slash == 1 {
            out[count] = UInt8(ascii: "/")
            count += 1
        }
        return count + UnsafeMutableBufferPointer(rebasing: out[count...]).initialize(fromContentsOf: name.utf8)
    }
}

/// The components of a `/`-separated name, cut at the byte `/`: the only cut the kernel makes.
///
/// Never `split(separator: "/")`, `hasPrefix("/")` or `== ".."` on such names: `String` works in Characters, and
/// a `/` followed by a combining mark (`x/\u{301}evil`) is one Character that is not "/". Split that way,
/// `x/\u{301}evil` passed for one component (so a file was written through the symlink `x`, outside the
/// destination) and `../\u{301}x` held no `..`. Every name from an archive, a server or a user is cut with this.
package func pathComponents<S: StringProtocol>(_ path: S, omittingEmpty: Bool = true) -> [Substring]
where S.SubSequence == Substring {
    var parts: [Substring] = []
    let bytes = path.utf8
    var start = bytes.startIndex
    var index = start
    while index != bytes.endIndex {
        if bytes[index] == UInt8(ascii: "/") {
            if !omittingEmpty || start != index { parts.append(path[start..<index]) }
            start = bytes.index(after: index)
        }
        index = bytes.index(after: index)
    }
    if !omittingEmpty || start != bytes.endIndex { parts.append(path[start..<bytes.endIndex]) }
    return parts
}

extension StringProtocol {
    /// `hasPrefix` by bytes (see ``pathComponents(_:omittingEmpty:)`` for why never by Characters).
    package func hasPrefixBytes(_ prefix: String) -> Bool { utf8.starts(with: prefix.utf8) }

    /// `hasSuffix` by bytes.
    package func hasSuffixBytes(_ suffix: String) -> Bool { utf8.reversed().starts(with: suffix.utf8.reversed()) }

    /// Byte equality, e.g. of a path component with `..`.
    package func isBytes(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}

/// Whether `name` can stand as one file or folder name under a folder the user chose: not empty, not `.` or
/// `..`, no `/`, NUL or control character, at most 255 bytes. Checked before any id or key a server or user
/// supplied becomes part of a local path.
package func isSafeFileName(_ name: String) -> Bool {
    let bytes = name.utf8
    return !bytes.isEmpty && bytes.count <= 255 && !name.isBytes(".") && !name.isBytes("..")
        && !bytes.contains { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "/") }
}

/// The final component of a path.
package func lastPathComponent(_ path: String) -> String {
    var bytes = path.utf8[...]
    if bytes.last == UInt8(ascii: "/") { bytes = bytes.dropLast() }
    guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return String(bytes)! }
    return String(bytes[bytes.index(after: slash)...])!
}

/// The directory part of a path (`.` when there is none).
package func parentDirectory(_ path: String) -> String {
    let bytes = path.utf8
    guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "." }
    if slash == bytes.startIndex { return "/" }
    return String(bytes[..<slash])!
}

/// Creates `path` and its missing parents (mode 0700 unless `mode` says otherwise): the one `mkdir -p`.
package func makeDirectories(_ path: String, mode: mode_t = 0o700) throws(PhonePackError) {
    guard !path.isEmpty else { return }
    var current = path.hasPrefixBytes("/") ? "" : "."
    for component in pathComponents(path) {
        current += "/" + component
        if fsName(current, { mkdir($0, mode) }) != 0 && errno != EEXIST {
            throw .system("mkdir", errno: errno, path: current, operation: "create folder")
        }
    }
}

/// The process umask, read without changing it (`Umask:` in /proc/self/status, Linux 4.7 and later); where that
/// line is missing, the common 022, so modes are still corrected rather than trusted.
package func currentUmask() -> mode_t {
    guard let status = try? OpenFile.forReading("/proc/self/status").readToEnd(limit: 1 << 16) else { return 0o022 }
    for line in status.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("Umask:".utf8)) {
        let digits = line.dropFirst(6).filter { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "7") }
        if let value = mode_t(String(decoding: digits, as: UTF8.self), radix: 8) { return value }
    }
    return 0o022
}
