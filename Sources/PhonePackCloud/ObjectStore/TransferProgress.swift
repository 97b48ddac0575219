import Glibc
import PhonePackCore
import Synchronization

/// Bytes moved so far, readable from any thread (the progress bar polls it), and the pace keeper of
/// `--limit-rate`: every connection reports its bytes here, and one that gets ahead of the rate sleeps.
public final class TransferProgress: Sendable {
    public let total = Atomic<Int64>(0)
    /// Includes bytes of parts in flight; goes back down when a part is retried.
    public let done = Atomic<Int64>(0)
    fileprivate let start = Mutex<(seconds: Double, bytes: Int64)?>(nil)
    private let rate: Int64?

    public init(limitRate: Int64? = nil) { rate = limitRate }

    /// Adds `bytes` moved and, with a rate limit, sleeps until the transfer is back under it.
    func add(_ bytes: Int64) {
        let now = done.add(bytes, ordering: .relaxed).newValue
        guard let rate, rate > 0, bytes > 0 else { return }
        let origin = start.withLock { origin in
            if origin == nil { origin = (CloudTime.monotonicSeconds(), now - bytes) }
            return origin!
        }
        let ahead = Double(now - origin.bytes) / Double(rate) - (CloudTime.monotonicSeconds() - origin.seconds)
        if ahead > 0.001 { usleep(useconds_t(min(ahead, 5) * 1_000_000)) }
    }
}

extension TransferProgress {
    /// Counts `bytes` as done without their passing through here (a part the store copied): `--limit-rate`
    /// paces only what is sent.
    func addCopied(_ bytes: Int64) {
        done.add(bytes, ordering: .relaxed)
        start.withLock { origin in origin?.bytes += bytes }
    }
}

/// What a finished transfer reports (`--json`).
public struct TransferSummary: Codable, Sendable {
    public var operation: String
    public var source: String
    public var destination: String
    public var bytes: Int64
    public var seconds: Double
    public var mibPerSecond: Double
    public var multipart: Bool
    public var parts: Int
    /// Parts a resumed transfer found already done.
    public var resumedParts: Int
    public var retries: Int
    /// Without HTTP's quotes, as every ETag phonepack prints.
    public var etag: String?
    /// CRC-64/XZ of the whole object, as a decimal string (OSS's form; too big for a JSON number).
    public var crc64: String?
    public var sha256: String?
    /// A delta upload: what was sent and what the store copied from the base.
    public var delta: DeltaSummary? = nil
}
