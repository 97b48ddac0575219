import CLibArchive
import Glibc

/// The text and numbers libarchive gave for a failed call, kept as a ``PhonePackError/cause``.
struct ArchiveLibraryError: Error, Sendable, CustomStringConvertible {
    var function: String
    public var status: Int32
    public var errno: Int32
    public var message: String

    init(_ archive: OpaquePointer, function: String, status: Int32) {
        self.function = function
        self.status = status
        self.errno = archive_errno(archive)
        self.message = archive_error_string(archive).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    public var description: String { "\(function): \(message)" }
}

/// One entry to write: everything that goes into the tar header. Data is supplied separately.
public struct TarEntryHeader: Sendable {
    public enum Kind: Sendable, Equatable {
        case file(size: Int64)
        case directory
        case symlink(target: String)
        /// A second name for an earlier file entry of the same archive.
        case hardlink(target: String)
    }

    public var path: String
    public var kind: Kind
    public var permissions: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var mtime: FileTime
    /// Extended attributes such as `security.selinux`, written as `SCHILY.xattr.*` pax records in this order.
    public var xattrs: [(name: String, value: [UInt8])]

    public init(
        path: String, kind: Kind, permissions: UInt32, uid: UInt32, gid: UInt32, mtime: FileTime,
        xattrs: [(name: String, value: [UInt8])] = []
    ) {
        self.path = path
        self.kind = kind
        self.permissions = permissions
        self.uid = uid
        self.gid = gid
        self.mtime = mtime
        self.xattrs = xattrs
    }
}

/// Writes a reproducible POSIX (pax) tar to a file while a second thread computes its SHA-256.
///
/// Reproducible means: the same headers in the same order give the same bytes. libarchive's "restricted pax"
/// writes plain ustar headers unless an entry needs pax records (long names, xattrs), never writes atime/ctime,
/// and names pax headers without a PID. Owner names are left empty (numeric owners only).
///
/// - Important: not thread-safe; one writer per archive.
public final class TarWriter {
    private let archive: OpaquePointer
    private let entry: OpaquePointer
    private let outputName: String
    fileprivate let pipeline: OutputPipeline
    fileprivate var writeError: PhonePackError?
    /// Counted in the output callback: libarchive's own counter leaves out the final padding.
    fileprivate var bytesWritten: Int64 = 0
    private var closed = false
    /// The pipeline's buffers: what goes to `write` and the hasher at a time (few system calls and hand-offs).
    static let blockSize = 1 << 20
    /// The archive ends on a multiple of this (GNU tar's default record, 20 × 512), as before.
    static let recordSize: Int64 = 10240

    /// - Parameters:
    ///   - output: where the archive bytes go.
    ///   - hashing: compute the SHA-256 of the archive bytes while writing (on a second thread).
    public convenience init(output: OpenFile, hashing: Bool = true) throws(PhonePackError) {
        try self.init(stream: FileStreamOutput(output), hashing: hashing)
    }

    /// Writes the archive to `stream` (an upload) instead of a file.
    public init(stream: any ByteStreamOutput, hashing: Bool = true) throws(PhonePackError) {
        outputName = stream.name
        pipeline = OutputPipeline(output: stream, hashing: hashing, bufferSize: Self.blockSize)
        _ = ArchiveLocale.isUTF8
        archive = archive_write_new()
        entry = archive_entry_new()
        try check(archive_write_set_format_pax_restricted(archive), "archive_write_set_format_pax_restricted")
        try check(archive_write_set_format_option(archive, "pax", "xattrheader", "SCHILY"), "set xattrheader")
        // Unbuffered: libarchive hands every header, data and padding write straight to the pipeline, which
        // gathers the small ones and sends file data read into its own buffers without copying it (libarchive's
        // block buffer cost a copy of every byte). The end is padded to a record in `finish`.
        try check(archive_write_set_bytes_per_block(archive, 0), "set bytes per block")
        let context = Unmanaged.passUnretained(self).toOpaque()
        try check(archive_write_open2(archive, context, nil, tarWriteCallback, nil, nil), "archive_write_open2")
    }

    deinit {
        if !closed { archive_write_fail(archive) }
        archive_write_free(archive)
        archive_entry_free(entry)
    }

    /// Writes one header. For a file, follow with exactly `size` bytes through ``writeData(_:)``.
    public func writeHeader(_ header: TarEntryHeader) throws(PhonePackError) {
        archive_entry_clear(entry)
        // In a UTF-8 locale the "multibyte" name is the UTF-8 name: setting it directly spares libarchive an
        // iconv conversion per entry (a third of its time on 20,000 small files).
        let native = ArchiveLocale.isUTF8
        native ? archive_entry_copy_pathname(entry, header.path) : archive_entry_set_pathname_utf8(entry, header.path)
        archive_entry_set_perm(entry, mode_t(header.permissions & 0o7777))
        archive_entry_set_uid(entry, la_int64_t(header.uid))
        archive_entry_set_gid(entry, la_int64_t(header.gid))
        // A fraction of a second makes libarchive write a pax mtime record; whole seconds stay plain ustar.
        archive_entry_set_mtime(entry, time_t(header.mtime.seconds), Int(header.mtime.nanoseconds))
        switch header.kind {
        case .file(let size):
            archive_entry_set_filetype(entry, CSWIFT_AE_IFREG)
            archive_entry_set_size(entry, size)
        case .directory:
            archive_entry_set_filetype(entry, CSWIFT_AE_IFDIR)
            archive_entry_set_size(entry, 0)
        case .symlink(let target):
            archive_entry_set_filetype(entry, CSWIFT_AE_IFLNK)
            native ? archive_entry_copy_symlink(entry, target) : archive_entry_set_symlink_utf8(entry, target)
            archive_entry_set_size(entry, 0)
        case .hardlink(let target):
            archive_entry_set_filetype(entry, CSWIFT_AE_IFREG)
            native ? archive_entry_copy_hardlink(entry, target) : archive_entry_set_hardlink_utf8(entry, target)
            archive_entry_set_size(entry, 0)
        }
        for xattr in header.xattrs {
            xattr.value.withUnsafeBytes { raw in
                archive_entry_xattr_add_entry(entry, xattr.name, raw.baseAddress, raw.count)
            }
        }
        try check(archive_write_header(archive, entry), "write header for \(header.path)")
    }

    /// Appends file data for the current entry.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws(PhonePackError) {
        guard bytes.count > 0 else { return }
        let written = archive_write_data(archive, bytes.baseAddress, bytes.count)
        if written < 0 || written != bytes.count {
            if let writeError { throw writeError }
            throw PhonePackError(
                .io, operation: "write", path: outputName, message: "cannot write tar data",
                cause: ArchiveLibraryError(archive, function: "archive_write_data", status: Int32(written)))
        }
    }

    /// Appends file data for the current entry that `fill` reads into a buffer of the output pipeline (at most
    /// `limit` bytes; it returns how many it read): the bytes are hashed and written from there, never copied.
    /// Returns what `fill` returned (0: nothing was written).
    public func writeData(
        upTo limit: Int64, _ fill: (UnsafeMutableRawBufferPointer) throws(PhonePackError) -> Int
    ) throws(PhonePackError) -> Int {
        let (index, buffer) = pipeline.borrow()
        defer { pipeline.giveBack(index) }
        let count = try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(min(Int64(buffer.count), limit))]))
        try writeData(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return count
    }

    /// Writes the end-of-archive blocks, pads to a whole record, and returns the SHA-256 of the whole archive (if
    /// hashing) and its size.
    public func finish() throws(PhonePackError) -> (sha256: [UInt8]?, size: Int64) {
        try check(archive_write_close(archive), "archive_write_close")
        closed = true
        let padding = Int((Self.recordSize - bytesWritten % Self.recordSize) % Self.recordSize)
        if padding > 0 {
            let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: padding, alignment: 8)
            defer { zeros.deallocate() }
            zeros.initializeMemory(as: UInt8.self, repeating: 0)
            try pipeline.submit(UnsafeRawBufferPointer(zeros))
            bytesWritten += Int64(padding)
        }
        return (try pipeline.finish(), bytesWritten)
    }

    private func check(_ status: Int32, _ function: String) throws(PhonePackError) {
        guard status != ARCHIVE_OK else { return }
        if let writeError { throw writeError }
        throw PhonePackError(
            status == ARCHIVE_WARN ? .invalidInput : .io, operation: function, path: outputName,
            message: "cannot write the tar",
            cause: ArchiveLibraryError(archive, function: function, status: status))
    }
}

/// libarchive's output callback: hands each write to the output pipeline, which hashes and writes it on two other
/// threads while libarchive goes on.
private func tarWriteCallback(
    _: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ buffer: UnsafeRawPointer?, _ length: Int
) -> Int {
    let writer = Unmanaged<TarWriter>.fromOpaque(context!).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    do throws(PhonePackError) {
        try writer.pipeline.submit(bytes)
        writer.bytesWritten += Int64(length)
    } catch {
        writer.writeError = error
        return -1
    }
    return length
}
