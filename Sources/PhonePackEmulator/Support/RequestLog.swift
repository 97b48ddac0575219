import Glibc
import PhonePackCloud
import PhonePackCore
import Synchronization

/// Every request the emulator answered, one JSON line each, so tests can assert what a client sent (how many
/// parts, that nothing was sent after a client-side rejection) without trusting the client's own account.
public final class RequestLog: Sendable {
    public struct Entry: Codable, Sendable {
        public var store: String
        public var method: String
        public var path: String
        public var query: [String]
        public var status: Int
        public var fault: String?
        /// The eds-aic action (`SendFile`, `RunCommand`, …): every eds-aic call is `POST /`.
        public var action: String?
        /// When the answer was ready: Unix time in seconds, to the millisecond (benchmarks time a halt with it).
        public var time: Double
    }

    private let file: Mutex<OpenFile?>
    /// The requests as they arrived, for the signature oracle (``WireLog``).
    let wire: WireLog

    static func now() -> Double { CloudTime.nowWithMilliseconds() }

    /// Appends to `path`, and each request as it arrived to `wirePath`; with `nil`, records nothing.
    public init(path: String?, wirePath: String? = nil) throws(PhonePackError) {
        wire = try WireLog(path: wirePath)
        guard let path else {
            file = Mutex(nil)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open request log") }
        file = Mutex(OpenFile(adopting: fd, path: path))
    }

    func record(store: String, _ request: IncomingRequest, status: Int, note: String?, action: String? = nil) {
        let entry = Entry(
            store: store, method: request.method, path: request.path,
            query: request.query.map(\.name), status: status,
            fault: note, action: action, time: Self.now())
        guard let line = try? JSONCoding.encode(entry) else { return }
        file.withLock { file in try? file?.writeAll(line + [UInt8(ascii: "\n")]) }
    }
}
