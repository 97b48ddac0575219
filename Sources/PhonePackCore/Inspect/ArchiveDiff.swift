/// Compares two exports of the same phone (tar against tar, or tar against a folder): what was added,
/// removed, and what changed in type, size, mode, owner, time (to the nanosecond) or content.
///
/// As GNU tar: the last copy of a name wins, a hard link is compared as what it names (a file, or a symlink),
/// a folder a tar only implies is no difference, and a symlink's mode is none (it means nothing on Linux).
/// Memory stays small at any entry count: a tar side is one sorted array of compact records (names in one byte
/// arena, content digests in another), and a folder side is walked in the same order and compared as it goes.
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

    /// - Parameter ignoring: aspects not to compare (e.g. `owner` against a folder extracted without
    ///   `--same-owner`).
    public static func compare(_ left: String, _ right: String, ignoring: Set<Aspect> = []) throws(PhonePackError)
        -> Report
    {
        var report = Report(left: left, right: right)
        var merge = Merge(left: try side(left), ignoring: ignoring)
        if try FileStatus.of(right).isDirectory {
            let buffer = ReadBuffer()
            try DirectoryWalk.forEach(of: right) { (entry) throws(PhonePackError) in
                try merge.right(FolderFacts(entry, buffer: buffer))
            }
        } else {
            try merge.rightTar(right)
        }
        merge.finish()
        (report.added, report.removed, report.changed) = (merge.added, merge.removed, merge.changed)
        report.identical = report.added.isEmpty && report.removed.isEmpty && report.changed.isEmpty
        return report
    }

    /// The left side in compact form: a tar's records, or a folder listed into the same form (the right side is
    /// streamed).
    static func side(_ path: String) throws(PhonePackError) -> TarSide {
        guard try FileStatus.of(path).isDirectory else { return try TarSide(path: path) }
        let folder = TarSide()
        let buffer = ReadBuffer()
        try DirectoryWalk.forEach(of: path) { (entry) throws(PhonePackError) in
            folder.add(try FolderFacts(entry, buffer: buffer).facts)
        }
        folder.sort()
        return folder
    }

    /// What one entry is, as compared.
    struct Facts {
        var name: [UInt8]
        var type: TarEntry.Kind
        var size: Int64
        var mode: UInt32
        var uid: Int64
        var gid: Int64
        var mtime: FileTime
        var digest: [UInt8]?
        var linkTarget: [UInt8]?
    }

    /// A folder entry: its content digest computed when it is compared.
    struct FolderFacts {
        var facts: Facts

        init(_ entry: DirectoryWalk.Entry, buffer: ReadBuffer) throws(PhonePackError) {
            let st = entry.status
            facts = Facts(
                name: ArchiveName.bytes(of: entry.relativePath), type: st.kind, size: st.isRegular ? st.size : 0,
                mode: st.permissions, uid: Int64(st.uid), gid: Int64(st.gid), mtime: st.modified, digest: nil,
                linkTarget: entry.linkTarget.map(ArchiveName.bytes(of:)))
            if st.isRegular {
                let file = try OpenFile.forReading(joinPath(entry.directory, entry.name))
                var digest = Digest(.sha256)
                while true {
                    let n = try file.read(into: &buffer.bytes)
                    if n == 0 { break }
                    buffer.bytes.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
                facts.digest = digest.finalize()
            }
        }
    }

    /// One 1 MiB buffer for hashing every file of a folder side.
    final class ReadBuffer {
        var bytes = [UInt8](repeating: 0, count: 1 << 20)
    }

    /// Walks the sorted left records against right entries arriving in the same order (component by component,
    /// as `EntryPath.precedes` sorts and `DirectoryWalk` lists).
    struct Merge {
        let left: TarSide
        let ignoring: Set<Aspect>
        var next = 0
        var added: [String] = []
        var removed: [String] = []
        var changed: [Change] = []
        init(left: TarSide, ignoring: Set<Aspect>) {
            self.left = left
            self.ignoring = ignoring
        }

        mutating func right(_ folder: FolderFacts) throws(PhonePackError) { try right(folder.facts) }

        mutating func right(_ facts: Facts) throws(PhonePackError) {
            let name = facts.name
            while next < left.order.count, EntryPath.precedesBytes(left.name(at: left.order[next]), name) {
                let index = left.order[next]
                // A folder the right side only implies (it lists something inside) is not removed.
                if !(left.type(at: index) == .directory && EntryPath.isBytesPrefix(left.name(at: index), of: name)) {
                    removed.append(ArchiveName.decode(left.name(at: index)))
                }
                next += 1
            }
            if next < left.order.count, left.name(at: left.order[next]) == name {
                compare(left.facts(at: left.order[next]), facts)
                next += 1
            } else if !(facts.type == .directory && next < left.order.count
                && EntryPath.isBytesPrefix(name, of: left.name(at: left.order[next])))
            {
                added.append(ArchiveName.decode(name))
            }
        }

        mutating func finish() {
            if let matched {
                // A tar on the right, looked up entry by entry: what it did not match is removed, unless it is a
                // folder the right side implies.
                for (position, index) in left.order.enumerated() where !matched[position] && !implied[position] {
                    removed.append(ArchiveName.decode(left.name(at: index)))
                }
                changed = changedAt.keys.sorted().map { changedAt[$0]! }
                added.sort { EntryPath.precedesBytes(ArchiveName.bytes(of: $0), ArchiveName.bytes(of: $1)) }
                return
            }
            while next < left.order.count {
                removed.append(ArchiveName.decode(left.name(at: left.order[next])))
                next += 1
            }
        }

        /// Per left position: matched by a right entry, or a folder a right entry lies in (tar on the right only).
        var matched: [Bool]?
        var implied: [Bool] = []
        var changedAt: [Int: Change] = [:]

        /// A tar on the right, in archive order, each entry looked up in the sorted left records: nothing is kept
        /// per right entry but for names listed twice (only the last copy counts) and hard-link targets (a link
        /// compares as the latest copy of its target before it), found by a first pass over the headers.
        mutating func rightTar(_ path: String) throws(PhonePackError) {
            let file = try OpenFile.forReading(path)
            // Headers only: hard-link targets, and the names listed twice — first by a 64-bit hash per name (a few
            // MiB for 200,000), then exactly, keeping the index of each such name's last copy.
            var hashes: Set<Int> = []
            var twice: Set<Int> = []
            var targets: Set<NameKey> = []
            var reader = try TarReader(file: file)
            while let entry = try reader.next() {
                let key = NameKey(EntryPath.normalize(entry.path).path)
                if entry.kind == .hardlink { targets.insert(NameKey(EntryPath.normalize(entry.linkTarget ?? "").path)) }
                if !hashes.insert(key.hashValue).inserted { twice.insert(key.hashValue) }
            }
            _ = try reader.finish()
            hashes = []
            var lastCopy: [NameKey: Int] = [:]
            if !twice.isEmpty {
                reader = try TarReader(file: file)
                while let entry = try reader.next() {
                    let key = NameKey(EntryPath.normalize(entry.path).path)
                    if twice.contains(key.hashValue) { lastCopy[key] = entry.index }
                }
                _ = try reader.finish()
            }
            matched = Array(repeating: false, count: left.order.count)
            implied = Array(repeating: false, count: left.order.count)
            reader = try TarReader(file: file, readAhead: true)
            var digest = Digest(.sha256)
            var targetFacts: [NameKey: Facts] = [:]
            while let entry = try reader.next() {
                let name = EntryPath.normalize(entry.path).path
                guard !name.isEmpty else { continue }
                let key = NameKey(name)
                var facts = Facts(
                    name: ArchiveName.bytes(of: name), type: entry.kind, size: entry.kind == .file ? entry.size : 0,
                    mode: entry.permissions, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, digest: nil,
                    linkTarget: entry.linkTarget.map { ArchiveName.bytes(of: $0) })
                if entry.kind == .file {
                    try reader.forEachContentBlock(size: entry.size) { digest.update($0) }
                    facts.digest = digest.finalize()
                } else if entry.kind == .hardlink,
                    let target = targetFacts[NameKey(EntryPath.normalize(entry.linkTarget ?? "").path)]
                {
                    (facts.type, facts.size, facts.digest, facts.linkTarget) =
                        (target.type, target.size, target.digest, target.type == .symlink ? target.linkTarget : nil)
                }
                if targets.contains(key), facts.type != .directory { targetFacts[key] = facts }
                if let last = lastCopy[key], last != entry.index { continue }
                markImplied(facts.name)
                if let position = left.position(of: facts.name) {
                    matched![position] = true
                    let before = changed.count
                    compare(left.facts(at: left.order[position]), facts)
                    if changed.count > before { changedAt[position] = changed.removeLast() }
                } else if !(facts.type == .directory && left.hasEntry(below: facts.name)) {
                    added.append(ArchiveName.decode(facts.name))
                }
            }
            _ = try reader.finish()
        }

        /// Marks the left folders above `name`.
        mutating func markImplied(_ name: [UInt8]) {
            var end = name.count
            while let slash = name[..<end].lastIndex(of: UInt8(ascii: "/")) {
                guard let position = left.position(of: Array(name[..<slash])), !implied[position] else { break }
                implied[position] = true
                end = slash
            }
        }

        mutating func compare(_ x: Facts, _ y: Facts) {
            var differences: [String] = []
            func note(_ aspect: Aspect, _ before: String, _ after: String) {
                if before != after && !ignoring.contains(aspect) {
                    differences.append("\(aspect.rawValue) \(before) → \(after)")
                }
            }
            note(.type, x.type.rawValue, y.type.rawValue)
            note(.size, String(x.size), String(y.size))
            // A symlink's mode means nothing on Linux (always 0777 there, whatever the archive stored).
            if x.type != .symlink || y.type != .symlink { note(.mode, octalMode(x.mode), octalMode(y.mode)) }
            note(.owner, "\(x.uid):\(x.gid)", "\(y.uid):\(y.gid)")
            if x.type != .directory, x.mtime != y.mtime { note(.mtime, x.mtime.utcText, y.mtime.utcText) }
            note(
                .content, x.digest.map { String($0.hexString.prefix(12)) } ?? "-",
                y.digest.map { String($0.hexString.prefix(12)) } ?? "-")
            note(
                .link, x.linkTarget.map { ArchiveName.decode($0) } ?? "-",
                y.linkTarget.map { ArchiveName.decode($0) } ?? "-")
            if !differences.isEmpty {
                changed.append(Change(path: ArchiveName.decode(x.name), differences: differences))
            }
        }
    }
}

/// One side of a diff in compact form: fixed-size records in one array, every name in one byte arena, every
/// content digest in another; sorted in walk order, the last copy of each name kept, hard links resolved to what
/// they name. About 100 bytes per entry plus its name.
final class TarSide {
    struct Record {
        var nameStart: UInt32
        var nameCount: UInt32
        var linkStart: UInt32
        var linkCount: UInt32
        var size: Int64
        var uid: Int64
        var gid: Int64
        var mtimeSeconds: Int64
        var mtimeNanoseconds: Int32
        /// Index of its digest in `digests` (32 bytes each), or -1.
        var digest: Int32
        var mode: UInt16
        var kind: TarEntry.Kind
    }

    private(set) var records: [Record] = []
    private var names: [UInt8] = []
    private var digests: [UInt8] = []
    /// Indexes of `records` in walk order, one per name (its last copy).
    private(set) var order: [Int] = []

    init() {}

    init(path: String) throws(PhonePackError) {
        let reader = try TarReader(file: try OpenFile.forReading(path), readAhead: true)
        var digest = Digest(.sha256)
        while let entry = try reader.next() {
            let name = EntryPath.normalize(entry.path).path
            guard !name.isEmpty else { continue }
            var value: [UInt8]?
            if entry.kind == .file {
                // The file's contents, holes of a sparse file as zeros: the same digest as the file stored whole.
                try reader.forEachContentBlock(size: entry.size) { digest.update($0) }
                value = digest.finalize()
            }
            add(
                ArchiveDiff.Facts(
                    name: ArchiveName.bytes(of: name), type: entry.kind, size: entry.kind == .file ? entry.size : 0,
                    mode: entry.permissions, uid: entry.uid, gid: entry.gid, mtime: entry.mtime, digest: value,
                    // A hard link names an entry (normalised like every name); a symlink's target is its text.
                    linkTarget: entry.linkTarget.map {
                        ArchiveName.bytes(of: entry.kind == .hardlink ? EntryPath.normalize($0).path : $0)
                    }))
        }
        _ = try reader.finish()
        sort()
    }

    func add(_ facts: ArchiveDiff.Facts) {
        let nameStart = names.count
        names += facts.name
        let linkStart = names.count
        if let target = facts.linkTarget { names += target }
        var digestIndex: Int32 = -1
        if let value = facts.digest {
            digestIndex = Int32(digests.count / 32)
            digests += value
        }
        records.append(
            Record(
                nameStart: UInt32(truncatingIfNeeded: nameStart),
                nameCount: UInt32(truncatingIfNeeded: facts.name.count),
                linkStart: UInt32(truncatingIfNeeded: linkStart),
                linkCount: UInt32(truncatingIfNeeded: facts.linkTarget?.count ?? 0), size: facts.size, uid: facts.uid,
                gid: facts.gid, mtimeSeconds: facts.mtime.seconds, mtimeNanoseconds: facts.mtime.nanoseconds,
                digest: digestIndex, mode: UInt16(truncatingIfNeeded: facts.mode), kind: facts.type))
    }

    /// Sorts in walk order (archive order among copies of one name), keeps the last copy of each name, and turns
    /// each hard link into what it names: the latest copy of its target before it, followed back through hard
    /// links to hard links.
    func sort() {
        var sorted = Array(records.indices)
        names.withUnsafeBufferPointer { arena in
            sorted.sort { a, b in
                let x = UnsafeBufferPointer(rebasing: arena[range(records[a].nameStart, records[a].nameCount)])
                let y = UnsafeBufferPointer(rebasing: arena[range(records[b].nameStart, records[b].nameCount)])
                if x.elementsEqual(y) { return a < b }
                return EntryPath.precedesBytes(x, y)
            }
        }
        // Hard links, in archive order (a link resolves against what came before it).
        for link in records.indices where records[link].kind == .hardlink {
            var current = link
            var steps = 0
            while records[current].kind == .hardlink, steps < 64 {
                let target = Array(bytes(records[current].linkStart, records[current].linkCount))
                guard let found = latest(named: target, before: current, in: sorted) else { break }
                current = found
                steps += 1
            }
            guard current != link, records[current].kind != .hardlink, records[current].kind != .directory else {
                continue
            }
            let resolved = records[current]
            records[link].kind = resolved.kind
            records[link].size = resolved.size
            records[link].digest = resolved.digest
            (records[link].linkStart, records[link].linkCount) =
                resolved.kind == .symlink ? (resolved.linkStart, resolved.linkCount) : (0, 0)
        }
        order = []
        order.reserveCapacity(sorted.count)
        for (position, index) in sorted.enumerated() {
            if position + 1 < sorted.count, name(at: sorted[position + 1]) == name(at: index) { continue }
            order.append(index)
        }
    }

    /// Where `name` is in ``order``, by binary search.
    func position(of name: [UInt8]) -> Int? {
        let low = lowerBound(name)
        return low < order.count && self.name(at: order[low]) == name ? low : nil
    }

    /// Whether some entry lies inside the folder `name`.
    func hasEntry(below name: [UInt8]) -> Bool {
        var low = lowerBound(name)
        if low < order.count, self.name(at: order[low]) == name { low += 1 }
        return low < order.count && EntryPath.isBytesPrefix(name, of: self.name(at: order[low]))
    }

    /// The first position in ``order`` whose name does not precede `name`.
    private func lowerBound(_ name: [UInt8]) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let middle = (low + high) / 2
            if EntryPath.precedesBytes(self.name(at: order[middle]), name) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The last record of `name` whose archive index is below `index`, by binary search in `sorted`.
    private func latest(named target: [UInt8], before index: Int, in sorted: [Int]) -> Int? {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            let candidate = name(at: sorted[middle])
            if EntryPath.precedesBytes(candidate, target)
                || (candidate == target && sorted[middle] < index)
            {
                low = middle + 1
            } else {
                high = middle
            }
        }
        guard low > 0, name(at: sorted[low - 1]) == target else { return nil }
        return sorted[low - 1]
    }

    private func range(_ start: UInt32, _ count: UInt32) -> Range<Int> { Int(start)..<(Int(start) + Int(count)) }
    private func bytes(_ start: UInt32, _ count: UInt32) -> ArraySlice<UInt8> { names[range(start, count)] }

    func name(at index: Int) -> [UInt8] { Array(bytes(records[index].nameStart, records[index].nameCount)) }
    func type(at index: Int) -> TarEntry.Kind { records[index].kind }

    func facts(at index: Int) -> ArchiveDiff.Facts {
        let record = records[index]
        return ArchiveDiff.Facts(
            name: name(at: index), type: record.kind, size: record.size, mode: UInt32(record.mode), uid: record.uid,
            gid: record.gid, mtime: FileTime(seconds: record.mtimeSeconds, nanoseconds: Int64(record.mtimeNanoseconds)),
            digest: record.digest < 0
                ? nil : Array(digests[(Int(record.digest) * 32)..<(Int(record.digest) * 32 + 32)]),
            linkTarget: record.linkCount > 0 || record.kind == .symlink
                ? Array(bytes(record.linkStart, record.linkCount)) : nil)
    }
}
