/// What the object-store verbs print with `--json` (besides ``TransferSummary`` and ``SyncReport``): one object
/// each, camelCase keys, times in ISO 8601 UTC, sizes in bytes, objects named by their full `obs://` URL.

/// `ls --json`: the objects (with their size, ETag and time) and, without `-r`, the folders one level down.
public struct ObjectListing: Codable, Sendable, Equatable {
    public var objects: [ObjectInfo]
    public var prefixes: [String]

    public init(objects: [ObjectInfo], prefixes: [String]) {
        self.objects = objects
        self.prefixes = prefixes
    }
}

/// `presign --json`: the URL, what it allows and until when.
public struct PresignReport: Codable, Sendable, Equatable {
    public var url: String
    public var method: String
    public var expiresIn: Int
    public var expiresAt: String

    public init(url: String, method: String, expiresIn: Int, expiresAt: String) {
        (self.url, self.method, self.expiresIn, self.expiresAt) = (url, method, expiresIn, expiresAt)
    }
}

/// `rm --json`: what was (or, with `--dry-run`, would be) deleted, and what the store refused.
public struct RemoveReport: Codable, Sendable, Equatable {
    public struct Refusal: Codable, Sendable, Equatable {
        public var url: String
        public var code: String
    }

    public var dryRun: Bool
    public var deleted: [String]
    public var failed: [Refusal]

    public init(dryRun: Bool, deleted: [String], failed: [(url: String, code: String)] = []) {
        self.dryRun = dryRun
        self.deleted = deleted
        self.failed = failed.map { Refusal(url: $0.url, code: $0.code) }
    }
}

/// `uploads ls --json` and `uploads abort --json`: the unfinished multipart uploads listed, or aborted (with
/// `--dry-run`: to be aborted).
public struct UploadListing: Codable, Sendable, Equatable {
    public var uploads: [PendingUpload]
    /// Set by `uploads abort`.
    public var aborted: Bool?
    public var dryRun: Bool?

    public init(uploads: [PendingUpload], aborted: Bool? = nil, dryRun: Bool? = nil) {
        (self.uploads, self.aborted, self.dryRun) = (uploads, aborted, dryRun)
    }
}

/// One line of `sync --json` (and `upload -r`, `download -r`) per action, before the ``SyncReport`` line.
public struct SyncLine: Codable, Sendable, Equatable {
    /// `copy`, `delete`, `refuse` (not a plain name), `leave-out` (a symlink or special file), `fail` (could not be
    /// moved safely).
    public var action: String
    public var name: String
    public var bytes: Int64?
    /// Why a name was refused, left out or failed.
    public var reason: String?

    public init(action: String, name: String, bytes: Int64? = nil, reason: String? = nil) {
        (self.action, self.name, self.bytes, self.reason) = (action, name, bytes, reason)
    }

    /// The line for one action of a tree transfer.
    public init(_ action: SyncAction) {
        switch action {
        case .copied(let name, let bytes): self.init(action: "copy", name: name, bytes: bytes)
        case .deleted(let name): self.init(action: "delete", name: name)
        case .refused(let name, let reason): self.init(action: "refuse", name: name, reason: reason)
        case .leftOut(let name, let kind): self.init(action: "leave-out", name: name, reason: kind)
        case .failed(let name, let reason): self.init(action: "fail", name: name, reason: reason)
        }
    }
}
