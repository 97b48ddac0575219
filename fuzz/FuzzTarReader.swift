// libFuzzer entry point for the archive reader path: whatever bytes come in, reading them as a tar, judging every
// entry with the extraction policy, reading its data and finishing (trailing-data check, SHA-256) must end in a
// result or a PhonePackError, never a crash. Built by fuzz/run.sh together with the PhonePackCore sources.
import Glibc

/// One scratch file per fuzzing process, rewritten for every input (the reader needs a real, seekable file).
private let scratch: Int32 = {
    var template = Array("/tmp/phonepack-fuzz-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    unlink(template)
    return fd
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTarReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ftruncate(scratch, 0)
    var written = 0
    while written < size {
        let n = pwrite(scratch, data + written, size - written, off_t(written))
        if n <= 0 { break }
        written += n
    }
    let file = OpenFile(adopting: dup(scratch), path: "fuzz.tar")
    var policy = ExtractionPolicy(filter: try! ExportPathFilter())
    for hashing in [true, false] {
        do {
            let reader = try TarReader(file: file, hashing: hashing)
            while let entry = try reader.next() {
                _ = policy.judge(entry)
                _ = EntryPath.normalize(entry.path)
                if let target = entry.linkTarget { _ = EntryPath.resolveLink(at: entry.path, target: target) }
                try reader.forEachDataBlock { _ in }
            }
            _ = try reader.finish()
        } catch let error as PhonePackError {
            _ = error.description
        } catch {
            fatalError("unexpected error type: \(error)")
        }
    }
    return 0
}
