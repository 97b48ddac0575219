import Glibc
import PhonePackCore
import Synchronization

/// How a transfer is cut up and run.
public struct TransferSettings: Sendable {
    /// Part (upload) or range (download) size; `nil` picks one (see ``PartSizing``).
    public var partSize: Int64?
    /// Parts or ranges in flight at once, each on its own connection.
    public var jobs = 4
    /// Where the journals that make a transfer resumable are kept.
    public var stateDirectory: String
    /// The content's SHA-256 when already known (from `build`): stored as metadata on upload, checked on download.
    public var sha256: String?
    /// The whole file's MD5 when already known (a sync read it with the SHA-256): a one-request upload sends it as
    /// Content-MD5 without reading the file a second time for it.
    public var md5: String?
    /// Headers, storage class, ACL, encryption and metadata for what is written (``ObjectStoreClient/checked(_:)``);
    /// the content type, when not given, is guessed from each file's name.
    public var properties = ObjectProperties()
    /// Bytes per second for the whole transfer, all connections together (`--limit-rate`); `nil` = no limit.
    public var limitRate: Int64?

    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }
}

/// Part sizes within every store's limits: at most 10,000 parts, each 100 KiB to 5 GiB (the last may be smaller).
enum PartSizing {
    public static let minimum: Int64 = 100 << 10
    public static let maximum: Int64 = 5 << 30
    public static let maxParts: Int64 = 10_000
    /// 8 MiB: large enough that per-request cost is small, small enough that a retry is cheap.
    static let preferred: Int64 = 8 << 20

    /// The part size for a `size`-byte object: `requested` if it fits the limits, else the preferred size grown
    /// (in whole MiB) until the object fits in 10,000 parts.
    public static func choose(size: Int64, requested: Int64?) throws(PhonePackError) -> Int64 {
        let needed = (size + maxParts - 1) / maxParts
        if let requested {
            guard requested >= minimum, requested <= maximum else {
                throw PhonePackError(
                    .invalidInput, operation: "choose part size", path: "--part-size",
                    message: "\(requested) is outside the stores' limits: give 100KiB to 5GiB")
            }
            guard requested >= needed else {
                throw PhonePackError(
                    .invalidInput, operation: "choose part size", path: "--part-size",
                    message:
                        "\(requested) bytes would need more than 10,000 parts for \(size) bytes; give at least \(needed)"
                )
            }
            return requested
        }
        let mib: Int64 = 1 << 20
        return max(preferred, (needed + mib - 1) / mib * mib)
    }
}
