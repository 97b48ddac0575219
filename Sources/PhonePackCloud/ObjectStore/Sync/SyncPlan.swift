import PhonePackCore
import Synchronization

/// What a tree transfer — `sync`, `upload -r`, `download -r`, a download by wildcard — is asked to do: make the
/// destination hold what the source holds, a folder and a store prefix, or two prefixes.
///
/// A source item is sent unless its destination counterpart is the same: same size and content — the MD5 when
/// both ETags are one, else the `sha256` metadata against the file's (or object's) SHA-256 — or only the same size
/// with `sameWhen = .size`. `ignoreExisting` leaves every counterpart alone, `update` one newer than its source.
/// `delete` removes what the source lacks, only under the named prefix or folder.
public struct SyncPlan: Sendable {
    /// How a source item and its counterpart are found to be the same.
    public enum Sameness: String, Sendable, Codable {
        /// Size and content (MD5 or SHA-256).
        case content
        /// Size only (`--size-only`), as rclone and s5cmd offer: no reading, no HEAD.
        case size
    }

    public var folder: String
    public var url: ObjectURL
    public var delete = false
    public var dryRun = false
    /// False for a plain recursive copy (`upload -r`, `download -r`, wildcards): every item is sent, none compared.
    public var compare = true
    public var sameWhen = Sameness.content
    /// `--update`: a counterpart modified after its source is left as it is.
    public var update = false
    /// `--ignore-existing`: a counterpart that exists is left as it is, whatever it holds.
    public var ignoreExisting = false
    /// `--follow-symlinks`: a symlink in the folder is read as what it points to (anywhere); without it, each is
    /// named and left out.
    public var followSymlinks = false
    /// Relative paths to leave out / to keep (when non-empty, only these), as key wildcards (`*`, `**`, `?`).
    public var excludes: [KeyPattern] = []
    public var includes: [KeyPattern] = []

    public init(folder: String, url: ObjectURL) {
        self.folder = folder
        self.url = url
    }

    /// The prefix every key lives under: the URL's key, ending in `/` unless empty.
    var prefix: String { Self.prefix(of: url) }

    static func prefix(of url: ObjectURL) -> String {
        url.key.isEmpty || url.key.hasSuffix("/") ? url.key : url.key + "/"
    }

    func wanted(_ relative: String) -> Bool {
        (includes.isEmpty || includes.contains { $0.matches(relative) }) && !excludes.contains { $0.matches(relative) }
    }

    /// Whether an item whose source was modified at `source` (Unix seconds) and whose counterpart exists, modified
    /// at `destination`, is left alone before anything is compared.
    func keepsCounterpart(source: Int64?, destination: Int64?) -> Bool {
        if ignoreExisting { return true }
        if update, let source, let destination, destination > source { return true }
        return false
    }
}

/// One thing a tree transfer did (or, with `dryRun`, would do), told as it happens.
public enum SyncAction: Sendable {
    case copied(String, bytes: Int64)
    case deleted(String)
    /// A name that cannot be a key and a path at once (``PlainName``), left alone.
    case refused(String, reason: String)
    /// A symlink, FIFO, socket or device in the folder, left out (symlinks are read with `followSymlinks`).
    case leftOut(String, kind: String)
    /// A file or object that could not be moved safely: replaced by a symlink or another file after it was listed,
    /// changed while it was read (after retries), or a folder on its way that became a symlink.
    case failed(String, reason: String)
}

/// What a tree transfer did (or, with `dryRun`, would do), in counts; the names go to the observer as they happen.
public struct SyncReport: Codable, Sendable {
    public var copied = 0
    /// The same on both sides, or kept on purpose (`--ignore-existing`, `--update`, `--no-clobber`).
    public var skipped = 0
    public var deleted = 0
    public var bytes: Int64 = 0
    public var refused = 0
    /// Symlinks and special files left out of the folder's side.
    public var leftOut = 0
    /// Items that could not be moved safely; the command then exits 1.
    public var failed = 0
    public var dryRun = false
}

/// Key order: UTF-8 bytes, never `String` comparison (which would call "é" and "e\u{301}" equal).
enum SyncOrder {
    /// -1, 0 or 1; a missing side (`nil`, the end of its listing) comes after everything.
    static func compare(_ a: String?, _ b: String?) -> Int {
        guard let a else { return b == nil ? 0 : 1 }
        guard let b else { return -1 }
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }
}

/// Counts, and the observer told of each action, shared by the walking thread and the workers.
final class SyncTally: Sendable {
    private let state: Mutex<SyncReport>
    private let observe: @Sendable (SyncAction) -> Void

    init(dryRun: Bool, observe: @escaping @Sendable (SyncAction) -> Void) {
        state = Mutex(SyncReport(dryRun: dryRun))
        self.observe = observe
    }

    var report: SyncReport { state.withLock { $0 } }

    func record(_ action: SyncAction) {
        state.withLock {
            switch action {
            case .copied(_, let bytes):
                $0.copied += 1
                $0.bytes += bytes
            case .deleted: $0.deleted += 1
            case .refused: $0.refused += 1
            case .leftOut: $0.leftOut += 1
            case .failed: $0.failed += 1
            }
            observe(action)
        }
    }

    func skipped() { state.withLock { $0.skipped += 1 } }
}
