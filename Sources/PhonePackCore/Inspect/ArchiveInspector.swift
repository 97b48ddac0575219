import Glibc

/// What `phonepack inspect` reports for a tar or an APK.
public struct InspectReport: Sendable, Codable {
    public var file: String
    /// `tar` or `apk`.
    public var kind: String
    public var format: String?
    public var size: Int64
    /// Every entry, when asked for (`--long`, `--tree`, `--json`); `nil` otherwise to keep memory flat.
    public var entries: [EntryRecord]?
    public var summary: Summary?
    /// For an APK file.
    public var apk: APKInfo?
    /// Per-app sizes, owners, labels and suspicious entries (`--summary`).
    public var export: ExportSummary?

    public struct Summary: Sendable, Codable {
        public var entries = 0
        public var files = 0
        public var directories = 0
        public var symlinks = 0
        public var hardlinks = 0
        /// Devices, FIFOs, sockets.
        public var specialFiles = 0
        /// Sum of file sizes (`fileBytes`, as in build's report).
        public var totalBytes: Int64 = 0
        public var packages: [PackageFound] = []
        public var largestFiles: [SizedPath] = []

        enum CodingKeys: String, CodingKey {
            case entries, files, directories, symlinks, hardlinks, specialFiles, totalBytes = "fileBytes", packages
            case largestFiles
        }
    }

    public struct PackageFound: Sendable, Codable {
        public var packageName: String
        public var apkPath: String
        public var versionName: String?
        public var versionCode: Int64?
        public var abis: [String]
        /// Set when the APK could not be read.
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case packageName = "package", apkPath, versionName, versionCode, abis, error
        }
    }

    public struct SizedPath: Sendable, Codable, Equatable {
        public var path: String
        public var size: Int64
    }
}

/// Lists and summarises archives without extracting them. Tar data is skipped with seeks, so listing a large tar
/// reads little more than its headers.
public enum ArchiveInspector {
    static let largestFilesShown = 10

    public static func inspect(path: String, listEntries: Bool, exportSummary: Bool = false) throws(PhonePackError)
        -> InspectReport
    {
        let file = try OpenFile.forReading(path)
        let size = try file.status().size
        if try FileKind.sniff(file) == .zip {
            let info = try APKInfo.read(from: file, signatures: true)
            return InspectReport(
                file: path, kind: "apk", format: "zip", size: size, entries: nil, summary: nil, apk: info, export: nil)
        }
        let reader = try TarReader(file: file)
        var summary = InspectReport.Summary()
        var entries: [EntryRecord] = []
        var apks: [TarEntry] = []
        while let entry = try reader.next() {
            summary.entries += 1
            switch entry.kind {
            case .file:
                summary.files += 1
                summary.totalBytes += entry.size
                recordLargest(&summary.largestFiles, path: entry.path, size: entry.size)
                if entry.path.hasSuffixBytes(".apk") && entry.path.hasPrefixBytes(SharedAppLayout.appParent + "/") {
                    apks.append(entry)
                }
            case .directory: summary.directories += 1
            case .symlink: summary.symlinks += 1
            case .hardlink: summary.hardlinks += 1
            default: summary.specialFiles += 1
            }
            if listEntries {
                entries.append(EntryRecord(entry))
            }
        }
        let format = reader.formatName
        _ = try reader.finish()
        for apk in apks where apk.path.hasSuffixBytes("/base.apk") {
            var found = InspectReport.PackageFound(
                packageName: SharedAppLayout.packageMentioned(in: apk.path) ?? "?", apkPath: apk.path, abis: [])
            do {
                let info = try APKInfo.read(
                    from: file, offset: apk.dataOffset, length: apk.size, displayName: "\(path):\(apk.path)")
                found.packageName = info.packageName
                found.versionName = info.versionName
                found.versionCode = info.versionCode
                found.abis = info.abis
            } catch {
                found.error = error.message
            }
            summary.packages.append(found)
        }
        return InspectReport(
            file: path, kind: "tar", format: format, size: size, entries: listEntries ? entries : nil,
            summary: summary, apk: nil, export: exportSummary ? try ExportSummary.summarize(file) : nil)
    }

    /// Calls `body` with each entry of the tar at `path`, in archive order, holding none of them: `inspect --long`
    /// lists 200,000 entries in the memory of one.
    public static func forEachEntry(of path: String, _ body: (EntryRecord) -> Void) throws(PhonePackError) {
        let reader = try TarReader(file: try OpenFile.forReading(path))
        while let entry = try reader.next() { body(EntryRecord(entry)) }
        _ = try reader.finish()
    }

    /// Keeps the largest files, biggest first, without holding every entry.
    static func recordLargest(_ list: inout [InspectReport.SizedPath], path: String, size: Int64) {
        guard list.count < largestFilesShown || size > list[list.count - 1].size else { return }
        let item = InspectReport.SizedPath(path: path, size: size)
        let index = list.firstIndex { $0.size < size } ?? list.count
        list.insert(item, at: index)
        if list.count > largestFilesShown { list.removeLast() }
    }
}
