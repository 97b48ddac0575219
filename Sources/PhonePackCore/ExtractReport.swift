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
    /// Apply extended attributes (SELinux labels and others) from the archive.
    public var xattrs = false
    public var maxEntries: Int = 1_000_000
    public var maxTotalSize: Int64?
    public var maxEntrySize: Int64?

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
    /// Entries left out for a harmless reason (devices, existing files without --overwrite, the root entry).
    public var skipped: [Note] = []
    /// Entries left out because they were unsafe or inconsistent.
    public var refused: [Note] = []
    /// Entries not selected by --include/--exclude/--strip-components (counted, not listed).
    public var notSelected = 0
    /// Symlinks whose targets lie outside the destination: written as links, never followed.
    public var symlinksPointingOutside = 0
    public var warnings: [String] = []

    init(archive: String, destination: String) {
        self.archive = archive
        self.destination = destination
    }
}
