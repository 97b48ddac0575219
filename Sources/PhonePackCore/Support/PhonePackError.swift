import Glibc

/// The one error type the library throws, so the CLI can always print a single line that names the file,
/// URL or field and what to do, and map the failure class to an exit code.
///
/// Modelled on NIOFileSystem's `FileSystemError`: a `code` that is a struct over a private enum (new codes are not
/// API breaks), the `operation` that failed, the `path` it failed on, a human `message`, and the underlying `cause`.
public struct PhonePackError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case invalidInput = "invalid input"
            case notFound = "not found"
            case permissionDenied = "permission denied"
            case io = "I/O error"
            case corruptArchive = "corrupt archive"
            case unsupported = "unsupported"
            case checkFailed = "check failed"
            case interrupted = "interrupted"
            case timedOut = "timed out"
            case network = "network error"
            case service = "service error"
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The input is wrong: a bad flag value, a wrong package name, a file of the wrong kind.
        public static var invalidInput: Code { Code(.invalidInput) }
        public static var notFound: Code { Code(.notFound) }
        public static var permissionDenied: Code { Code(.permissionDenied) }
        /// Reading or writing a local file failed (disk full, I/O error).
        public static var io: Code { Code(.io) }
        /// An archive (tar, zip) is truncated, damaged, or not what its header claims.
        public static var corruptArchive: Code { Code(.corruptArchive) }
        public static var unsupported: Code { Code(.unsupported) }
        /// A check the user asked for ran and did not pass (verify found violations, checksums differ).
        public static var checkFailed: Code { Code(.checkFailed) }
        public static var interrupted: Code { Code(.interrupted) }
        /// A deadline the user set (`--timeout`) or a stall limit ran out.
        public static var timedOut: Code { Code(.timedOut) }
        /// The connection failed or broke (after retries).
        public static var network: Code { Code(.network) }
        /// The service answered with an error (after retries): access denied, a bad request, a missing object.
        public static var service: Code { Code(.service) }

        public var description: String { kind.rawValue }
        /// The code as an identifier for machines (`invalidInput`, `service`, …), e.g. in a JSON error.
        public var identifier: String { String(describing: kind) }
    }

    public var code: Code
    /// What we were doing, e.g. "open", "read tar header", "parse AndroidManifest.xml".
    public var operation: String
    /// The file, archive entry, URL or field the failure is about.
    public var path: String?
    /// What is wrong and, where there is one, what to do about it.
    public var message: String
    /// The underlying error: a ``SystemCallError``, an ``ArchiveLibraryError``, …
    public var cause: (any Error & Sendable)?
    /// The vendor's error code (`AccessDenied`, `CPS.0004`, `APIGW.0301`) and request id, when a service answered.
    public var vendorCode: String?
    public var requestID: String?
    /// The HTTP status of the refusal when a service answered one (404, 403, …): callers test this, never the text.
    public var httpStatus: Int?

    public init(
        _ code: Code, operation: String, path: String? = nil, message: String, cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.operation = operation
        self.path = path
        self.message = message
        self.cause = cause
    }

    /// The service answered 404, or a vendor code that means "no such object".
    public var isNotFound: Bool {
        httpStatus == 404 || ["NoSuchKey", "NoSuchUpload", "NotFound"].contains(vendorCode ?? "")
    }

    /// One line: `path: message (cause)`.
    public var description: String {
        var line = ""
        if let path { line += "\(path): " }
        line += message
        if let vendorCode { line += " [\(vendorCode)]" }
        if let requestID { line += " (request id \(requestID))" }
        // A broken field rule is the message itself; other causes (errno, libarchive, curl) add their detail.
        if let cause, !(cause is RuleViolation) { line += " (\(cause))" }
        return line
    }

    /// Maps a failed system call to the error the user should see, with the errno text as cause.
    public static func system(
        _ syscall: String, errno code: Int32, path: String, operation: String, hint: String? = nil
    ) -> PhonePackError {
        let cause = SystemCallError(systemCall: syscall, errno: code)
        let (kind, text): (Code, String) =
            switch code {
            case ENOENT: (.notFound, "does not exist")
            case EACCES, EPERM: (.permissionDenied, "permission denied")
            case ENOSPC: (.io, "no space left on device")
            case EISDIR: (.invalidInput, "is a directory")
            case ENOTDIR: (.invalidInput, "a parent is not a directory")
            case EEXIST: (.invalidInput, "already exists")
            default: (.io, "cannot \(operation)")
            }
        var message = text
        if let hint { message += "; \(hint)" }
        return PhonePackError(kind, operation: operation, path: path, message: message, cause: cause)
    }
}

/// A failed system call and its errno, kept as the ``PhonePackError/cause``.
struct SystemCallError: Error, Sendable, CustomStringConvertible {
    var systemCall: String
    public var errno: Int32
    public var description: String { "\(systemCall): \(String(cString: strerror(errno)))" }
}

/// `{"error": {...}}`: what a failure looks like on stderr under `--json`; `code` is ``PhonePackError/Code``'s
/// identifier (or `usage` for a command line that did not parse).
public struct ErrorReport: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var exitCode: Int32
        public var message: String
        public var operation: String?
        public var path: String?
        public var vendorCode: String?
        public var requestID: String?
        public var httpStatus: Int?
    }

    public var error: Detail

    public init(_ failure: PhonePackError, exitCode: Int32) {
        error = Detail(
            code: failure.code.identifier, exitCode: exitCode, message: failure.description,
            operation: failure.operation, path: failure.path, vendorCode: failure.vendorCode,
            requestID: failure.requestID, httpStatus: failure.httpStatus)
    }

    public init(usage message: String, exitCode: Int32) {
        error = Detail(code: "usage", exitCode: exitCode, message: message)
    }
}
