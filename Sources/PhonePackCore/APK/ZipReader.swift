import CLibArchive
import Glibc

/// Reads a zip (an APK) stored in a byte range of a file: a whole `.apk`, or a `base.apk` entry inside a tar,
/// without extracting it. Uses libarchive's seekable zip reader, which trusts the central directory, as Android's
/// package manager does.
final class ZipReader {
    fileprivate let file: OpenFile
    fileprivate let rangeStart: Int64
    fileprivate let rangeLength: Int64
    fileprivate var position: Int64 = 0
    fileprivate var buffer: UnsafeMutableRawBufferPointer
    fileprivate var readError: PhonePackError?
    private let archive: OpaquePointer
    /// How the APK is named in messages, e.g. `app.tar:data/app/com.x-1/base.apk`.
    let displayName: String
    /// The End of Central Directory's two disk numbers (relative to the range), when they are not 0: a "spanned"
    /// archive. apksig ignores them, libarchive refuses to open such a ZIP, Android's zip reader refuses it at
    /// install: they are read as 0 here, and the APK is reported as one Android refuses (see `spansDisks`).
    fileprivate var blanked: Range<Int64>?
    var spansDisks: Bool { blanked != nil }

    init(file: OpenFile, offset: Int64 = 0, length: Int64? = nil, displayName: String? = nil)
        throws(PhonePackError)
    {
        self.file = file
        self.rangeStart = offset
        if let length {
            self.rangeLength = length
        } else {
            self.rangeLength = try file.status().size - offset
        }
        self.displayName = displayName ?? file.path
        if let layout = try? APKLayout.read(file, offset: offset, length: rangeLength),
            layout.eocd[4..<8].contains(where: { $0 != 0 })
        {
            blanked = (layout.eocdOffset + 4)..<(layout.eocdOffset + 8)
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        archive = archive_read_new()
        archive_read_support_format_zip_seekable(archive)
        archive_read_support_filter_none(archive)
        let context = Unmanaged.passUnretained(self).toOpaque()
        archive_read_set_callback_data(archive, context)
        archive_read_set_read_callback(archive, zipReadCallback)
        archive_read_set_seek_callback(archive, zipSeekCallback)
        let status = archive_read_open1(archive)
        guard status == ARCHIVE_OK else {
            throw PhonePackError(
                .invalidInput, operation: "open APK", path: self.displayName,
                message:
                    "is not a valid APK (zip): \(ArchiveLibraryError(archive, function: "open", status: status).message)"
            )
        }
    }

    deinit {
        archive_read_free(archive)
        buffer.deallocate()
    }

    /// Lists every entry (name and uncompressed size) and reads the data of those `wanted` selects, each limited
    /// to `limit` bytes so a crafted APK cannot make us inflate gigabytes.
    func scan(readingDataOf wanted: (String) -> Bool, limit: Int) throws(PhonePackError) -> ZipScan {
        var scan = ZipScan()
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return scan }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw corrupt("read entry", status)
            }
            let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) } ?? ""
            scan.entries.append((name, archive_entry_size(entry)))
            if wanted(name), scan.contents[name] == nil {
                scan.contents[name] = try readData(name: name, limit: limit)
            }
        }
    }

    /// Calls `body` with each entry's name (its UTF-8 bytes), in central directory order; `body` may read the
    /// entry's uncompressed data with ``readChunk(into:)``. Stops at the first unreadable entry header.
    func forEachEntry(_ body: (_ name: [UInt8]) -> Void) throws(PhonePackError) {
        while true {
            var entry: OpaquePointer?
            let status = archive_read_next_header(archive, &entry)
            if status == ARCHIVE_EOF { return }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                throw corrupt("read entry", status)
            }
            let name =
                archive_entry_pathname_utf8(entry).map {
                    Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map { UInt8(bitPattern: $0) }
                } ?? []
            body(name)
        }
    }

    /// The next bytes of the current entry's uncompressed data; 0 at its end.
    func readChunk(into buffer: UnsafeMutableRawBufferPointer) throws(PhonePackError) -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 { throw corrupt("read entry data", Int32(n)) }
        return n
    }

    private func readData(name: String, limit: Int) throws(PhonePackError) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { raw in archive_read_data(archive, raw.baseAddress, raw.count) }
            if n == 0 { return data }
            if n < 0 { throw corrupt("read \(name)", Int32(n)) }
            data += chunk[0..<n]
            if data.count > limit {
                throw PhonePackError(
                    .invalidInput, operation: "read \(name)", path: displayName,
                    message: "\(name) is larger than \(limit) bytes; refusing to read it (zip bomb?)")
            }
        }
    }

    private func corrupt(_ operation: String, _ status: Int32) -> PhonePackError {
        if let readError { return readError }
        let cause = ArchiveLibraryError(archive, function: operation, status: status)
        return PhonePackError(
            .invalidInput, operation: operation, path: displayName,
            message: "is not a valid APK (zip): \(cause.message)", cause: cause)
    }
}

struct ZipScan {
    var entries: [(name: String, size: Int64)] = []
    var contents: [String: [UInt8]] = [:]
}

private func zipReadCallback(
    _: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ bufferOut: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> Int {
    let zip = Unmanaged<ZipReader>.fromOpaque(context!).takeUnretainedValue()
    let remaining = zip.rangeLength - zip.position
    guard remaining > 0 else { return 0 }
    let want = Int(min(Int64(zip.buffer.count), remaining))
    do throws(PhonePackError) {
        let n = try zip.file.read(
            fromAbsoluteOffset: zip.rangeStart + zip.position,
            into: UnsafeMutableRawBufferPointer(rebasing: zip.buffer[0..<want]))
        if let blanked = zip.blanked {
            let start = max(blanked.lowerBound, zip.position)
            let end = min(blanked.upperBound, zip.position + Int64(n))
            if start < end {
                UnsafeMutableRawBufferPointer(
                    rebasing: zip.buffer[Int(start - zip.position)..<Int(end - zip.position)]
                ).initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        zip.position += Int64(n)
        bufferOut?.pointee = UnsafeRawPointer(zip.buffer.baseAddress)
        return n
    } catch {
        zip.readError = error
        return -1
    }
}

private func zipSeekCallback(
    _: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ offset: Int64, _ whence: Int32
) -> Int64 {
    let zip = Unmanaged<ZipReader>.fromOpaque(context!).takeUnretainedValue()
    let target: Int64 =
        switch whence {
        case SEEK_SET: offset
        case SEEK_CUR: zip.position + offset
        case SEEK_END: zip.rangeLength + offset
        default: -1
        }
    guard target >= 0, target <= zip.rangeLength else { return Int64(ARCHIVE_FATAL) }
    zip.position = target
    return target
}
