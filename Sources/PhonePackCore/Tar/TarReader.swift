import CLibArchive
import Glibc

/// One tar entry's header, as the archive states it. Nothing here has been checked for safety; see
/// ``EntryPathRules`` for that.
public struct TarEntry: Sendable {
    public enum Kind: String, Sendable, Codable {
        case file, directory, symlink, hardlink
        case characterDevice = "char-device"
        case blockDevice = "block-device"
        case fifo, socket, unknown
    }

    /// 0-based position in the archive.
    public var index: Int
    /// The name exactly as stored (UTF-8), e.g. `data/app/com.x-1/` with its trailing slash.
    public var path: String
    public var kind: Kind
    /// Data bytes that follow the header (0 for everything but files).
    public var size: Int64
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    public var permissions: UInt32
    public var uid: Int64
    public var gid: Int64
    /// To the nanosecond, and negative before 1970, as pax records carry it.
    public var mtime: FileTime
    /// Symlink target, or the earlier entry a hard link names.
    public var linkTarget: String?
    public var xattrs: [XAttr]
    var isSparse: Bool
    /// Bytes of data the archive holds for the entry: `size` for a regular file, the data blocks of a sparse file's
    /// map (its holes take no room in the archive, nor on disk when extracted).
    var storedSize: Int64
    var deviceMajor: UInt32
    var deviceMinor: UInt32
    /// Byte offset of the entry's data in the archive file (for ranged reads such as the APK inside a tar).
    public var dataOffset: Int64
    /// Byte offset of its first header block (a pax or GNU long-name header before its own header included).
    public var headerOffset: Int64 = 0

    public struct XAttr: Sendable, Codable, Equatable {
        public var name: String
        public var value: [UInt8]
    }

    /// The SELinux label, as exports carry it in `security.selinux`, without its trailing NUL.
    public var selinuxLabel: String? {
        guard let value = xattrs.first(where: { $0.name == "security.selinux" })?.value else { return nil }
        return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Streams a tar archive from a file through libarchive, with only the tar format and no decompression enabled
/// (the smallest attack surface), treating every libarchive warning as an error, since a reader that "recovers"
/// from a damaged header sees a different archive than the phone will.
///
/// With `hashing`, every byte of the file is fed to a SHA-256 on a second thread as it is read, in the same pass.
public final class TarReader {
    /// The libarchive this process runs with, e.g. "3.6.2", and as a number (3006002).
    public static var libraryVersion: (text: String, number: Int) {
        let full = String(cString: archive_version_string())
        return (String(full.split(separator: " ").last ?? Substring(full)), Int(archive_version_number()))
    }

    public let file: OpenFile
    private let archive: OpaquePointer
    private var entry: OpaquePointer?
    /// With hashing: the file is read (and hashed) ahead on another thread.
    fileprivate let readAhead: ReadAhead?
    /// Without hashing: one buffer, and data is skipped with seeks.
    fileprivate let buffer: UnsafeMutableRawBufferPointer?
    fileprivate var readError: PhonePackError?
    private var entryCount = 0
    private var previousPath: String?
    private var finished = false
    static let readSize = 1 << 20

    /// - Parameters:
    ///   - file: the archive; must be a plain (uncompressed) tar.
    ///   - hashing: compute the SHA-256 of the whole file during the pass (then data is read, never seeked over).
    ///   - readAhead: read the file on a second thread (implied by `hashing`); without it, unread data is
    ///     skipped with seeks, which is what a listing wants.
    public init(file: OpenFile, hashing: Bool = false, readAhead: Bool = false) throws(PhonePackError) {
        _ = ArchiveLocale.isUTF8
        let kind = try FileKind.sniff(file)
        if let advice = kind.notPlainTarAdvice {
            throw PhonePackError(
                kind == .unknown || kind == .empty ? .corruptArchive : .unsupported,
                operation: "open tar", path: file.path, message: advice)
        }
        self.file = file
        let ahead = hashing || readAhead
        // The seeking reader works on the descriptor's offset; start from the beginning whoever used it before.
        if !ahead && lseek(file.descriptor, 0, SEEK_SET) != 0 {
            throw .system("lseek", errno: errno, path: file.path, operation: "read")
        }
        self.readAhead = ahead ? ReadAhead(file: file, hashing: hashing, bufferSize: Self.readSize) : nil
        buffer = ahead ? nil : UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 4096)
        archive = archive_read_new()
        archive_read_support_format_tar(archive)
        archive_read_support_filter_none(archive)
        let context = Unmanaged.passUnretained(self).toOpaque()
        archive_read_set_callback_data(archive, context)
        archive_read_set_read_callback(archive, tarReadCallback)
        if !ahead { archive_read_set_skip_callback(archive, tarSkipCallback) }
        let status = archive_read_open1(archive)
        if status != ARCHIVE_OK { throw failure(status, "open") }
    }

    deinit {
        archive_read_free(archive)
        readAhead?.cancel()
        buffer?.deallocate()
    }

    /// The next entry's header, or `nil` at the end of the archive. Unread data of the previous entry is skipped.
    public func next() throws(PhonePackError) -> TarEntry? {
        var entryPointer: OpaquePointer?
        let status = archive_read_next_header(archive, &entryPointer)
        if status == ARCHIVE_EOF { return nil }
        // The one warning that is not damage: a name libarchive cannot convert to the locale (GNU tar's pax
        // `hdrcharset=BINARY` for a Latin-1 name). The name is read from the header itself below.
        let unconvertibleName =
            status == ARCHIVE_WARN && archive_errno(archive) == EILSEQ
            && (archive_error_string(archive).map { String(cString: $0).contains("can't be converted") } ?? false)
        guard status == ARCHIVE_OK || unconvertibleName, let entryPointer else {
            throw failure(status, "read header")
        }
        entry = entryPointer
        let index = entryCount
        entryCount += 1
        // ASCII names come through libarchive unchanged; any other name is read again from the header itself, as
        // libarchive normalises UTF-8 to NFC and cannot give a name that is not UTF-8 (see RawTarNames).
        var raw: RawTarNames.Names?? = nil
        let rawNames = { () -> RawTarNames.Names? in
            if raw == nil { raw = RawTarNames.read(self.file, at: archive_read_header_position(self.archive)) }
            return raw!
        }
        let path: String
        if let pointer = ArchiveLocale.pathname(entryPointer), Self.isASCII(pointer) {
            path = String(cString: pointer)
        } else if let bytes = rawNames()?.path {
            path = ArchiveName.decode(bytes)
        } else {
            throw PhonePackError(
                .corruptArchive, operation: "read header", path: file.path,
                message: "entry #\(index + 1)\(afterPrevious) has a name that cannot be read from its header")
        }
        previousPath = path
        let type = archive_entry_filetype(entryPointer)
        var kind: TarEntry.Kind =
            switch type {
            case CSWIFT_AE_IFREG: .file
            case CSWIFT_AE_IFDIR: .directory
            case CSWIFT_AE_IFLNK: .symlink
            case CSWIFT_AE_IFCHR: .characterDevice
            case CSWIFT_AE_IFBLK: .blockDevice
            case CSWIFT_AE_IFIFO: .fifo
            case CSWIFT_AE_IFSOCK: .socket
            default: .unknown
            }
        var linkTarget: String?
        let hardlink = ArchiveLocale.hardlink(entryPointer)
        if hardlink != nil { kind = .hardlink }
        if let link = hardlink ?? (kind == .symlink ? ArchiveLocale.symlink(entryPointer) : nil) {
            linkTarget = Self.isASCII(link) ? String(cString: link) : rawNames()?.link.map(ArchiveName.decode)
        } else if kind == .symlink || (raw != nil && rawNames()?.type == UInt8(ascii: "1")) {
            // A link target libarchive could not convert: the header has it.
            if kind != .symlink { kind = .hardlink }
            linkTarget = rawNames()?.link.map(ArchiveName.decode)
        }
        var xattrs: [TarEntry.XAttr] = []
        if archive_entry_xattr_reset(entryPointer) > 0 {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var length = 0
            while archive_entry_xattr_next(entryPointer, &name, &value, &length) == ARCHIVE_OK, let name {
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) } ?? []
                xattrs.append(.init(name: String(cString: name), value: bytes))
            }
        }
        let sparseCount = archive_entry_sparse_reset(entryPointer)
        let fileSize = archive_entry_size_is_set(entryPointer) != 0 ? archive_entry_size(entryPointer) : 0
        var storedSize = fileSize
        if sparseCount > 0 {
            storedSize = 0
            var offset: la_int64_t = 0
            var length: la_int64_t = 0
            while archive_entry_sparse_next(entryPointer, &offset, &length) == ARCHIVE_OK { storedSize += length }
        }
        var mtime = FileTime(
            seconds: Int64(archive_entry_mtime(entryPointer)),
            nanoseconds: Int64(archive_entry_mtime_nsec(entryPointer)))
        // libarchive 3.6 drops the sign of a negative pax time's fraction (-0.5 comes back as +0.5): such a time is
        // read from the header's own record.
        if mtime.seconds <= 0, mtime.nanoseconds != 0, let record = rawNames()?.mtime,
            let exact = FileTime(paxDecimal: record)
        {
            mtime = exact
        }
        return TarEntry(
            index: index, path: path, kind: kind,
            size: archive_entry_size_is_set(entryPointer) != 0 ? archive_entry_size(entryPointer) : 0,
            permissions: UInt32(archive_entry_perm(entryPointer)) & 0o7777,
            uid: archive_entry_uid(entryPointer), gid: archive_entry_gid(entryPointer),
            mtime: mtime, linkTarget: linkTarget, xattrs: xattrs,
            isSparse: sparseCount > 0, storedSize: storedSize,
            deviceMajor: UInt32(archive_entry_rdevmajor(entryPointer)),
            deviceMinor: UInt32(archive_entry_rdevminor(entryPointer)),
            dataOffset: archive_filter_bytes(archive, 0), headerOffset: archive_read_header_position(archive))
    }

    static func isASCII(_ pointer: UnsafePointer<CChar>) -> Bool {
        var p = pointer
        while p.pointee != 0 {
            if p.pointee < 0 { return false }
            p += 1
        }
        return true
    }

    /// The next block of the current entry's data and its offset in the file (a sparse file's holes are skipped),
    /// valid until the next call; `nil` at the end of the entry. A truncated archive throws, naming the entry.
    func nextDataBlock() throws(PhonePackError) -> (bytes: UnsafeRawBufferPointer, offset: Int64)? {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let status = archive_read_data_block(archive, &buffer, &size, &offset)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK else { throw failure(status, "read data of \(previousPath ?? "?")") }
        return (UnsafeRawBufferPointer(start: buffer, count: size), offset)
    }

    /// The next block of the current entry's data, valid until the next call; `nil` at the end of the entry.
    func readDataBlock() throws(PhonePackError) -> UnsafeRawBufferPointer? {
        try nextDataBlock()?.bytes
    }

    /// The current entry's contents as the file they describe, in order: each data block, and the holes of a
    /// sparse file (between blocks and up to its apparent `size`) as runs of zeros. What cat, diff and digests
    /// read, so a file stored sparse and the same file stored whole read the same.
    func forEachContentBlock(size: Int64, _ body: (UnsafeRawBufferPointer) throws(PhonePackError) -> Void)
        throws(PhonePackError)
    {
        var position: Int64 = 0
        while let (block, offset) = try nextDataBlock() {
            if offset > position {
                try Self.zeros(offset - position, body)
                position = offset
            }
            try body(block)
            position += Int64(block.count)
        }
        if size > position { try Self.zeros(size - position, body) }
    }

    /// 64 KiB of zeros for holes, allocated once and never written after.
    private struct ZeroBlock: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer = {
            let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 0)
            return UnsafeRawBufferPointer(block)
        }()
    }
    private static let zeroBlock = ZeroBlock()

    private static func zeros(_ count: Int64, _ body: (UnsafeRawBufferPointer) throws(PhonePackError) -> Void)
        throws(PhonePackError)
    {
        var left = count
        while left > 0 {
            let n = Int(min(left, Int64(zeroBlock.bytes.count)))
            try body(UnsafeRawBufferPointer(rebasing: zeroBlock.bytes[0..<n]))
            left -= Int64(n)
        }
    }

    /// Reads the current entry's data to the end, handing each block to `body`.
    public func forEachDataBlock(_ body: (UnsafeRawBufferPointer) throws(PhonePackError) -> Void)
        throws(PhonePackError)
    {
        while let block = try readDataBlock() { try body(block) }
    }

    /// After the last entry: reads what follows the end-of-archive marker (it must be zero padding: anything else
    /// is hidden data that other tar readers may see) and, when hashing, returns the SHA-256 of the whole file.
    public func finish() throws(PhonePackError) -> (sha256: [UInt8]?, size: Int64) {
        precondition(!finished, "finish() called twice")
        finished = true
        let endOfArchive = archive_filter_bytes(archive, 0)
        // Reads the rest of the file so the hash covers every byte.
        let digest = try readAhead?.finish()
        let size = try file.status().size
        try checkZeroPadding(from: endOfArchive, to: size)
        return (digest, size)
    }

    private func checkZeroPadding(from start: Int64, to end: Int64) throws(PhonePackError) {
        var offset = start
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while offset < end {
            let n = try file.read(into: &chunk, fromAbsoluteOffset: offset)
            if n == 0 { break }
            if let nonZero = chunk[0..<n].firstIndex(where: { $0 != 0 }) {
                throw PhonePackError(
                    .corruptArchive, operation: "read end of archive", path: file.path,
                    message:
                        "has data after the end-of-archive marker at byte \(offset + Int64(nonZero)); other tar readers may see entries that this listing does not"
                )
            }
            offset += Int64(n)
        }
    }

    /// The format libarchive detected, e.g. "POSIX pax interchange format" or "GNU tar format".
    var formatName: String {
        archive_format_name(archive).map { String(cString: $0) } ?? "tar"
    }

    private var afterPrevious: String {
        previousPath.map { " (after \($0))" } ?? ""
    }

    private func failure(_ status: Int32, _ operation: String) -> PhonePackError {
        if let readError { return readError }
        let cause = ArchiveLibraryError(archive, function: operation, status: status)
        let offset = archive_filter_bytes(archive, 0)
        var message: String
        if status == ARCHIVE_WARN {
            message = "entry #\(entryCount + 1)\(afterPrevious) near byte \(offset) is damaged: \(cause.message)"
        } else if cause.message.contains("Truncated") || cause.message.contains("truncated") {
            message = "is truncated near byte \(offset)\(afterPrevious); download or build it again"
        } else {
            message = "cannot be read as a tar near byte \(offset)\(afterPrevious): \(cause.message)"
        }
        return PhonePackError(.corruptArchive, operation: operation, path: file.path, message: message, cause: cause)
    }
}

/// libarchive's input callback: the next chunk from the read-ahead thread (already hashed there), or one plain
/// read into the single buffer.
private func tarReadCallback(
    _: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ bufferOut: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> Int {
    let reader = Unmanaged<TarReader>.fromOpaque(context!).takeUnretainedValue()
    do throws(PhonePackError) {
        if let readAhead = reader.readAhead {
            let chunk = try readAhead.next()
            bufferOut?.pointee = chunk.baseAddress
            return chunk.count
        }
        let n = try reader.file.read(into: reader.buffer!)
        bufferOut?.pointee = UnsafeRawPointer(reader.buffer!.baseAddress)
        return n
    } catch {
        reader.readError = error
        return -1
    }
}

/// Skips data by moving the file offset, so listing a 1 GiB tar reads only its headers. Not used when hashing.
private func tarSkipCallback(_: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ request: Int64) -> Int64 {
    let reader = Unmanaged<TarReader>.fromOpaque(context!).takeUnretainedValue()
    guard let size = try? reader.file.status().size else { return 0 }
    let current = lseek(reader.file.descriptor, 0, SEEK_CUR)
    guard current >= 0 else { return 0 }
    let step = min(request, max(0, size - Int64(current)))
    guard lseek(reader.file.descriptor, off_t(step), SEEK_CUR) >= 0 else { return 0 }
    return step
}

/// libarchive keeps names in the process locale's charset and converts pax UTF-8 names to it; in the C locale
/// non-ASCII names fail with a warning. So character handling switches to UTF-8 once, before the first archive is
/// opened; then the locale form *is* UTF-8 and names can be read and set without a conversion per entry.
enum ArchiveLocale {
    static let isUTF8: Bool = setlocale(LC_CTYPE, "C.UTF-8") != nil

    static func pathname(_ entry: OpaquePointer) -> UnsafePointer<CChar>? {
        isUTF8 ? archive_entry_pathname(entry) : archive_entry_pathname_utf8(entry)
    }

    static func symlink(_ entry: OpaquePointer) -> UnsafePointer<CChar>? {
        isUTF8 ? archive_entry_symlink(entry) : archive_entry_symlink_utf8(entry)
    }

    static func hardlink(_ entry: OpaquePointer) -> UnsafePointer<CChar>? {
        isUTF8 ? archive_entry_hardlink(entry) : archive_entry_hardlink_utf8(entry)
    }
}
