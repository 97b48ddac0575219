import Glibc
import Synchronization

/// An output file that appears under its final name only when complete.
///
/// Bytes go to a hidden temporary file beside the destination; ``commit()`` renames it into place (atomic on one
/// file system). If the process fails, the owner is released without committing, or the user presses Ctrl-C
/// (see ``TemporaryFiles/removeAll()``), the temporary file is deleted, so nothing half-written is ever left
/// looking complete.
public final class AtomicOutputFile {
    public let destination: String
    let temporaryPath: String
    public let file: OpenFile
    private var committed = false

    public init(destination: String, permissions: mode_t = 0o644) throws(PhonePackError) {
        self.destination = destination
        if let existing = try FileStatus.ifExists(destination), existing.isDirectory {
            throw PhonePackError(
                .invalidInput, operation: "create output", path: destination,
                message: "is a directory; give a file name such as \(joinPath(destination, "app.tar"))")
        }
        let directory = parentDirectory(destination)
        guard let dirStatus = try FileStatus.ifExists(directory), dirStatus.isDirectory else {
            throw PhonePackError(
                .notFound, operation: "create output", path: destination,
                message: "its directory \(directory) does not exist; create it first")
        }
        let name = lastPathComponent(destination)
        var attempt = 0
        while true {
            let candidate = joinPath(directory, ".\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).part")
            do {
                file = try TemporaryFiles.creating(candidate) { () throws(PhonePackError) in
                    try OpenFile.creatingNew(candidate, permissions: permissions)
                }
                temporaryPath = candidate
                break
            } catch  where attempt < 8 && (try? FileStatus.ifExists(candidate)) != nil {
                attempt += 1
            }
        }
    }

    deinit {
        if !committed {
            unlink(temporaryPath)
            TemporaryFiles.unregister(temporaryPath)
        }
    }

    /// Moves the finished file to its destination, replacing what was there.
    public func commit() throws(PhonePackError) {
        guard rename(temporaryPath, destination) == 0 else {
            throw .system("rename", errno: errno, path: destination, operation: "rename into place")
        }
        committed = true
        TemporaryFiles.unregister(temporaryPath)
    }

    /// Writes a small file atomically in one call.
    public static func write(_ bytes: [UInt8], to destination: String, permissions: mode_t = 0o644)
        throws(PhonePackError)
    {
        let output = try AtomicOutputFile(destination: destination, permissions: permissions)
        try output.file.writeAll(bytes)
        try output.commit()
    }
}

/// The temporary files this process has open, so an interrupt handler can delete them before exiting.
package enum TemporaryFiles {
    private static let paths = Mutex<Set<String>>([])

    /// Creates a temporary file and registers it in one step: an interrupt that arrives in between would
    /// otherwise find the file made but not yet listed, and leave it behind (seen in a test of Ctrl-C).
    static func creating<T>(_ path: String, _ create: () throws(PhonePackError) -> T) throws(PhonePackError) -> T {
        var result: Result<T, PhonePackError>!
        paths.withLock { set in
            do throws(PhonePackError) {
                result = .success(try create())
                set.insert(path)
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    static func unregister(_ path: String) { paths.withLock { _ = $0.remove(path) } }

    /// Deletes every registered temporary file. Safe to call from a signal-handling queue.
    public static func removeAll() {
        paths.withLock { set in
            for path in set { unlink(path) }
            set.removeAll()
        }
    }
}
