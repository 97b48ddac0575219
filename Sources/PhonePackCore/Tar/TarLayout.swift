import Synchronization

/// Where each entry of a tar lies and a digest of its exact bytes: what a delta upload matches a new tar against,
/// so that every entry whose bytes did not change is copied by the store from the previous object instead of
/// being sent again. Kept beside each uploaded tar (`KEY.layout.json`), so the next upload plans without reading
/// the previous object back.
public struct TarLayout: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// The name, for people reading the file (matching is by bytes, below).
        public var path: String
        /// The entry's byte range in the tar: its first header block to the end of its padded data.
        public var offset: Int64
        public var end: Int64
        /// SHA-256 of those bytes, exactly as stored: equal digests and lengths are the same run of bytes.
        public var sha256: String
    }

    public var size: Int64
    /// SHA-256 of the whole tar.
    public var sha256: String
    public var entries: [Entry]

    /// Reads a tar: its entries' ranges and the digest of each range, and the whole file's SHA-256 unless the
    /// caller has it (a build computes it as it writes).
    public static func read(_ path: String, sha256 known: String? = nil) throws(PhonePackError) -> TarLayout {
        let file = try OpenFile.forReading(path)
        let size = try file.status().size
        let reader = try TarReader(file: file)
        var ranges: [(path: String, offset: Int64)] = []
        var lastEnd: Int64 = 0
        while let entry = try reader.next() {
            ranges.append((entry.path, entry.headerOffset))
            lastEnd = min(size, entry.dataOffset + (entry.storedSize + 511) / 512 * 512)
        }
        _ = try reader.finish()
        var entries: [Entry] = []
        entries.reserveCapacity(ranges.count)
        for (index, range) in ranges.enumerated() {
            let end = index + 1 < ranges.count ? ranges[index + 1].offset : lastEnd
            guard range.offset >= 0, end >= range.offset, end <= size else {
                throw PhonePackError(
                    .corruptArchive, operation: "map tar", path: "\(path):\(range.path)",
                    message: "its header lies at \(range.offset), past the next entry or the end")
            }
            entries.append(Entry(path: range.path, offset: range.offset, end: end, sha256: ""))
        }
        // The ranges are hashed on every core (pread; each worker takes the next range).
        let digests = Mutex<(next: Int, values: [String], failure: PhonePackError?)>(
            (0, Array(repeating: "", count: entries.count), nil))
        let shared = UncheckedSendable((file, entries.map { ($0.offset, $0.end) }))
        WorkerThreads.run(count: min(APKSignatureVerifier.defaultWorkers, max(1, entries.count))) { _ in
            var digest = Digest(.sha256)
            let (file, ranges) = shared.value
            while let index = digests.withLock({ state -> Int? in
                guard state.failure == nil, state.next < ranges.count else { return nil }
                state.next += 1
                return state.next - 1
            }) {
                do throws(PhonePackError) {
                    try file.forEachBlock(offset: ranges[index].0, length: ranges[index].1 - ranges[index].0) {
                        digest.update($0)
                    }
                    let value = digest.finalize().hexString
                    digests.withLock { $0.values[index] = value }
                } catch {
                    digests.withLock { $0.failure = $0.failure ?? error }
                }
            }
        }
        let result = digests.withLock { $0 }
        if let failure = result.failure { throw failure }
        for index in entries.indices { entries[index].sha256 = result.values[index] }
        var whole = known
        if whole == nil { whole = try PackageVerifier.hashWholeFile(file) }
        return TarLayout(size: size, sha256: whole!, entries: entries)
    }
}
