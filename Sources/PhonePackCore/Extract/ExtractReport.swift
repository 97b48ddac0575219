/// What `phonepack extract` may do. The defaults are the safe ones.
public struct ExtractOptions: Sendable {
    public var destination: String
    public var filter: ExportPathFilter
    public var stripComponents: Int = 0
    /// Replace existing files (atomically: a temporary file renamed over the old one).
    public var overwrite = false
    /// Keep setuid/setgid/sticky and world-writable bits instead of clearing them.
    public var preservePermissions = false
    /// Give files the archive's numeric owners (root only).
    public var sameOwner = false
    /// Apply the archive's `user.*` extended attributes.
    public var xattrs = false
    /// Apply SELinux labels (`security.selinux`).
    public var selinux = false
    /// Apply POSIX ACLs (`system.posix_acl_access`, `system.posix_acl_default`).
    public var acls = false
    /// Apply every extended attribute, those that grant privileges too (`security.capability`, `trusted.*`).
    public var privilegedXattrs = false

    /// Whether the attribute `name` from the archive may be set. File capabilities and the other
    /// `security.*`/`trusted.*` attributes can make a file run with privileges, like a setuid bit: they are set
    /// only with ``privilegedXattrs``.
    func allowsXattr(_ name: String) -> Bool {
        if privilegedXattrs { return true }
        if name.hasPrefix("user.") { return xattrs }
        if name == "security.selinux" { return selinux }
        if name == "system.posix_acl_access" || name == "system.posix_acl_default" { return acls }
        return false
    }

    /// Whether any kind of extended attribute was asked for.
    var wantsXattrs: Bool { xattrs || selinux || acls || privilegedXattrs }
    public var maxEntries: Int = 1_000_000
    public var maxTotalSize: Int64?
    /// The largest entry written (its apparent size: a sparse file's holes count); `extract --max-entry-size` and
    /// `cat --max-size` share the default.
    public var maxEntrySize: Int64? = Self.defaultMaxEntrySize

    /// 16 GiB: more than any APK, OBB or database a phone exports, far less than the terabytes a header can claim
    /// for a sparse file that holds nothing.
    public static let defaultMaxEntrySize: Int64 = 16 << 30

    public init(destination: String, filter: ExportPathFilter) {
        self.destination = destination
        self.filter = filter
    }
}

/// What an extraction did, printed as text or `--json`.
public struct ExtractReport: Sendable, Codable {
    public struct Note: Sendable, Codable, Equatable {
        public var entry: String
        public var reason: String
    }

    public var archive: String
    public var destination: String
    public var files = 0
    public var directories = 0
    public var symlinks = 0
    public var hardlinks = 0
    public var bytes: Int64 = 0
    /// Entries left out for a harmless reason (devices, existing files without --overwrite, the root entry);
    /// the first 1,000 are listed, `skippedCount` counts them all.
    public var skipped: [Note] = []
    public var skippedCount = 0
    /// Entries left out because they were unsafe or inconsistent; the first 1,000 are listed, `refusedCount`
    /// counts them all.
    public var refused: [Note] = []
    public var refusedCount = 0
    /// Entries not selected by --include/--exclude/--strip-components (counted, not listed).
    public var notSelected = 0
    /// Symlinks whose targets lie outside the destination: written as links, never followed.
    public var symlinksPointingOutside = 0
    /// Extended attributes in the archive that were not set because no flag asked for their kind
    /// (`security.capability`, `trusted.*`, … are set only with `--privileged-xattrs`). Counted when any
    /// xattr flag was given.
    public var droppedXattrs = 0
    /// Entries created whose mode, owner, time or extended attribute could not be set as the archive says
    /// (first 1,000 listed, all counted): the extraction is not faithful for them.
    public var metadataFailures: [Note] = []
    public var metadataFailureCount = 0
    public var warnings: [String] = []

    init(archive: String, destination: String) {
        self.archive = archive
        self.destination = destination
    }
}
