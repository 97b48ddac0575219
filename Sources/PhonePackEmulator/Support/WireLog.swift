import Glibc
import PhonePackCore
import Synchronization

/// Every request exactly as it arrived — method, request target, headers in order and, for the cloud-phone APIs,
/// the body — with the emulator's verdict on its signature, one JSON line each. `Tests/Scripts/signature_oracle.py`
/// checks every line with the vendors' own SDK signing code, so a signing mistake shared by phonepack and this
/// emulator cannot pass unseen. Opt-in (`--wire-log FILE`, mode 0600): it holds security tokens and bodies.
public final class WireLog: Sendable {
    /// What the emulator decided about a request's signature.
    public enum Verdict: String, Codable, Sendable {
        /// The signature matched.
        case accepted
        /// Refused because the signature did not match: the oracle must refuse it too.
        case mismatch
        /// Refused for another reason before or while checking (time, key, form), or not signed (tokens,
        /// injected faults): not a signature verdict.
        case unchecked
    }

    struct Entry: Encodable {
        var service: String
        var method: String
        var target: String
        var headers: [[String]]
        /// Base64 of the body, for the APIs whose signatures cover it.
        var body: String?
        var verdict: Verdict
        var code: String?
    }

    private let file: Mutex<OpenFile?>

    /// Appends to `path`; with `nil`, records nothing.
    public init(path: String?) throws(PhonePackError) {
        guard let path else {
            file = Mutex(nil)
            return
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .system("open", errno: errno, path: path, operation: "open wire log") }
        file = Mutex(OpenFile(adopting: fd, path: path))
    }

    var enabled: Bool { file.withLock { $0 != nil } }

    func record(
        service: String, method: String, target: String, headers: [(name: String, value: String)],
        body: [UInt8]? = nil, verdict: Verdict, code: String? = nil
    ) {
        guard enabled else { return }
        let entry = Entry(
            service: service, method: method, target: target, headers: headers.map { [$0.name, $0.value] },
            body: body.map { $0.base64String }, verdict: verdict, code: code)
        guard let line = try? JSONCoding.encode(entry) else { return }
        file.withLock { file in try? file?.writeAll(line + [UInt8(ascii: "\n")]) }
    }
}

/// Where a request's checks leave their verdict for the wire log (the cloud-phone APIs check deep in each handler).
final class VerdictBox: Sendable {
    private let state = Mutex<(verdict: WireLog.Verdict, code: String?)>((.unchecked, nil))
    func set(_ verdict: WireLog.Verdict, code: String? = nil) { state.withLock { $0 = (verdict, code) } }
    var value: (verdict: WireLog.Verdict, code: String?) { state.withLock { $0 } }
}
