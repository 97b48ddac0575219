/// Compares two exports of the same phone (tar against tar, or tar against a folder): what was added,
/// removed, and what changed in size, mode, owner, time or content.
public enum ArchiveDiff {
    public enum Aspect: String, Sendable, CaseIterable, Codable {
        case type, size, mode, owner, mtime, content, link
    }

    public struct Change: Sendable, Codable, Equatable {
        public var path: String
        /// `aspect: before → after`, one per difference.
        public var differences: [String]
    }

    public struct Report: Sendable, Codable {
        public var left: String
        public var right: String
        public var added: [String] = []
        public var removed: [String] = []
        public var changed: [Change] = []
        /// True when nothing was added, removed or changed.
        public var identical = true
    }

    /// - Parameter ignoring: aspects not to compare (e.g. `owner` and `mtime` against a folder extracted without
    ///   `--same-owner`).
    public static func compare(_ left: String, _ right: String, ignoring: Set<Aspect> = []) throws(PhonePackError)
        -> Report
    {
        let a = try records(of: left)
        let b = try records(of: right)
        var report = Report(left: left, right: right)
        // A folder a tar only implies (it lists data/x/f but not data/x) is not "added" by a folder that has it.
        let impliedA = ancestors(of: a.keys)
        let impliedB = ancestors(of: b.keys)
        report.removed = a.keys.filter { b[$0] == nil && !(a[$0]?.type == .directory && impliedB.contains($0)) }
            .sorted().map(\.name)
        report.added = b.keys.filter { a[$0] == nil && !(b[$0]?.type == .directory && impliedA.contains($0)) }
            .sorted().map(\.name)
        for key in a.keys.sorted() {
            let path = key.name
            guard let x = a[key], let y = b[key] else { continue }
            var differences: [String] = []
            func note(_ aspect: Aspect, _ before: String, _ after: String) {
                if before != after && !ignoring.contains(aspect) {
                    differences.append("\(aspect.rawValue) \(before) → \(after)")
                }
            }
            note(.type, x.type.rawValue, y.type.rawValue)
            note(.size, String(x.size), String(y.size))
            note(.mode, x.mode, y.mode)
            note(.owner, "\(x.uid):\(x.gid)", "\(y.uid):\(y.gid)")
            if x.type != .directory { note(.mtime, formatUTCMinute(x.mtime), formatUTCMinute(y.mtime)) }
            note(.content, String((x.sha256 ?? "-").prefix(12)), String((y.sha256 ?? "-").prefix(12)))
            note(.link, x.linkTarget ?? "-", y.linkTarget ?? "-")
            if !differences.isEmpty { report.changed.append(Change(path: path, differences: differences)) }
        }
        report.identical = report.added.isEmpty && report.removed.isEmpty && report.changed.isEmpty
        return report
    }

    /// Every folder above the paths, each found once (a walk up stops at the first folder already seen).
    static func ancestors(of paths: Dictionary<NameKey, EntryRecord>.Keys) -> Set<NameKey> {
        var result: Set<NameKey> = []
        for key in paths {
            let path = key.name
            // A name no file system takes (a hostile 32,000-level one) implies no folders: linear work.
            guard path.utf8.count <= EntryPath.maxPathBytes else { continue }
            var end = path.utf8.endIndex
            while let slash = path.utf8[..<end].lastIndex(of: UInt8(ascii: "/")) {
                guard result.insert(NameKey(path[..<slash])).inserted else { break }
                end = slash
            }
        }
        return result
    }

    /// Every entry of a tar, or every file of a folder, by normalised path, with its content's SHA-256.
    static func records(of path: String) throws(PhonePackError) -> [NameKey: EntryRecord] {
        let status = try FileStatus.of(path)
        return status.isDirectory ? try folderRecords(path) : try tarRecords(path)
    }

    static func tarRecords(_ path: String) throws(PhonePackError) -> [NameKey: EntryRecord] {
        let reader = try TarReader(file: try OpenFile.forReading(path), readAhead: true)
        var digest = Digest(.sha256)
        var result: [NameKey: EntryRecord] = [:]
        var fileDigests: [NameKey: String] = [:]
        while let entry = try reader.next() {
            let name = EntryPath.normalize(entry.path).path
            guard !name.isEmpty else { continue }
            var facts = EntryRecord(entry)
            facts.path = name
            if entry.kind == .file {
                // The file's contents, holes of a sparse file as zeros: the same digest as the file stored whole.
                try reader.forEachContentBlock(size: entry.size) { digest.update($0) }
                facts.sha256 = digest.finalize().hexString
                fileDigests[NameKey(name)] = facts.sha256
            } else if entry.kind == .hardlink {
                // Compared as the file it names, as a folder would show it.
                let target = NameKey(EntryPath.normalize(entry.linkTarget ?? "").path)
                facts.type = .file
                facts.linkTarget = nil
                facts.sha256 = fileDigests[target]
                facts.size = result[target]?.size ?? 0
            }
            result[NameKey(name)] = facts
        }
        _ = try reader.finish()
        return result
    }

    static func folderRecords(_ root: String) throws(PhonePackError) -> [NameKey: EntryRecord] {
        var result: [NameKey: EntryRecord] = [:]
        var digest = Digest(.sha256)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        for entry in try DirectoryWalk.entries(of: root) {
            let st = entry.status
            var facts = EntryRecord(
                path: entry.relativePath, type: st.kind, size: st.isRegular ? st.size : 0,
                mode: octalMode(st.permissions),
                uid: Int64(st.uid), gid: Int64(st.gid), mtime: st.mtime, linkTarget: entry.linkTarget)
            if st.isRegular {
                let file = try OpenFile.forReading(joinPath(entry.directory, entry.name))
                while true {
                    let n = try file.read(into: &buffer)
                    if n == 0 { break }
                    buffer.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
                facts.sha256 = digest.finalize().hexString
            }
            result[NameKey(entry.relativePath)] = facts
        }
        return result
    }
}
