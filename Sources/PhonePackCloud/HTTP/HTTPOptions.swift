import CLibCurl
import Glibc
import PhonePackCore
import Synchronization

/// Settings shared by every request of a client.
public struct HTTPOptions: Sendable {
    var connectTimeout: Int = 10
    /// Abort when slower than `lowSpeedLimit` bytes/s for `lowSpeedTime` seconds: a stalled connection, or a
    /// server that trickles a few bytes a second to keep it open. 1 KiB/s is far below any real link.
    var lowSpeedLimit: Int = 1024
    public var lowSpeedTime: Int = 30
    /// The longest an API call (a small request answered in memory: a listing, a job poll) may take in all.
    /// Transfers have no total limit; the stall limit above bounds them.
    var requestTimeout: Int = 120
    /// A CA bundle to trust instead of the system's (`--ca-bundle`); verification is never turned off.
    public var caBundle: String?
    /// A proxy for every request (the config file's `proxy`); nil lets libcurl read https_proxy, http_proxy and
    /// no_proxy from the environment, as curl does.
    public var proxy: String?
    /// Largest response body kept in memory (error documents, listings); larger ones go to a file.
    var maxMemoryBody: Int = 64 << 20
    /// Seconds without a byte either way after which a notice says the server is silent (once per request).
    public var silenceNotice: Double = 10

    public init() {}

    /// The defaults, with `PHONEPACK_STALL_TIMEOUT` (seconds) changing `lowSpeedTime` and
    /// `PHONEPACK_SILENCE_NOTICE` (seconds) `silenceNotice`.
    public init(environment: [String: String]) {
        if let text = environment["PHONEPACK_STALL_TIMEOUT"], let seconds = Int(text), seconds > 0 {
            lowSpeedTime = seconds
        }
        if let text = environment["PHONEPACK_SILENCE_NOTICE"], let seconds = Double(text), seconds > 0 {
            silenceNotice = seconds
        }
    }
}
