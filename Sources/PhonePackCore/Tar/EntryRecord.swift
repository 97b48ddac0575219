/// One archive entry as phonepack reports it: in listings (`inspect --long --json`), in build manifests, and
/// in `diff`. One type, so a manifest, a listing and a comparison describe an entry the same way.
public struct EntryRecord: Sendable, Codable, Equatable {
    public var path: String
    public var type: TarEntry.Kind
    public var size: Int64
    /// Octal, as `ls -l` and `tar tv` readers think of modes: `"0644"`.
    public var mode: String
    public var uid: Int64
    public var gid: Int64
    /// Whole seconds since 1970 (floor: `-0.5` s is `-1` here and `500000000` below), and the nanoseconds after
    /// them when there are any.
    public var mtime: Int64
    public var mtimeNanoseconds: Int32?
    public var sha256: String?
    /// A symlink's target, or the entry a hard link names.
    public var linkTarget: String?
    public var selinuxLabel: String?

    public init(
        path: String, type: TarEntry.Kind, size: Int64, mode: String, uid: Int64, gid: Int64, mtime: FileTime,
        sha256: String? = nil, linkTarget: String? = nil, selinuxLabel: String? = nil
    ) {
        self.path = path
        self.type = type
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.mtime = mtime.seconds
        mtimeNanoseconds = mtime.nanoseconds == 0 ? nil : mtime.nanoseconds
        self.sha256 = sha256
        self.linkTarget = linkTarget
        self.selinuxLabel = selinuxLabel
    }

    /// The modification time to the nanosecond.
    public var modified: FileTime { FileTime(seconds: mtime, nanoseconds: Int64(mtimeNanoseconds ?? 0)) }

    /// An entry read from a tar.
    public init(_ entry: TarEntry, sha256: String? = nil) {
        self.init(
            path: entry.path, type: entry.kind, size: entry.size, mode: octalMode(entry.permissions), uid: entry.uid,
            gid: entry.gid, mtime: entry.mtime, sha256: sha256, linkTarget: entry.linkTarget,
            selinuxLabel: entry.selinuxLabel)
    }

    /// An entry as the builder writes it.
    init(_ header: TarEntryHeader, sha256: String?) {
        let (type, size, target): (TarEntry.Kind, Int64, String?) =
            switch header.kind {
            case .file(let size): (.file, size, nil)
            case .directory: (.directory, 0, nil)
            case .symlink(let target): (.symlink, 0, target)
            case .hardlink(let target): (.hardlink, 0, target)
            }
        self.init(
            path: header.path, type: type, size: size, mode: octalMode(header.permissions), uid: Int64(header.uid),
            gid: Int64(header.gid), mtime: header.mtime, sha256: sha256, linkTarget: target)
    }
}
