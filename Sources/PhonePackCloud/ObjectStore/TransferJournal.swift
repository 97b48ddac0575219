import Glibc
import PhonePackCore

/// A resumable transfer's journal on disk: one JSON header line saying what is being moved, then one JSON line
/// per finished part. Appending a line per part keeps the cost per part constant; a line cut short by `kill -9`
/// is ignored when the journal is read back, and the server's own part list has the last word anyway.
struct TransferJournal<Header: Codable & Equatable, Entry: Codable> {
    public let path: String

    /// The journal for `identity` (store, bucket, key and local path) in `directory`.
    public init(directory: String, identity: String) {
        let name = Digest.hash(.sha256, Array(identity.utf8)).hexString.prefix(32)
        path = joinPath(directory, "\(name).jsonl")
    }

    /// The header and finished entries, or `nil` when there is no journal or it cannot be read.
    public func load() -> (header: Header, entries: [Entry])? {
        guard let file = try? OpenFile.forReading(path), let bytes = try? file.readToEnd(limit: 256 << 20) else {
            return nil
        }
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        guard let first = lines.first, let header = try? JSONCoding.decode(Header.self, from: Array(first)) else {
            return nil
        }
        let entries = lines.dropFirst().compactMap { try? JSONCoding.decode(Entry.self, from: Array($0)) }
        return (header, entries)
    }

    /// Starts a new journal with `header` (replacing any old one), written atomically.
    public func start(_ header: Header) throws(PhonePackError) {
        try makeDirectories(parentDirectory(path))
        let output = try AtomicOutputFile(destination: path, permissions: 0o600)
        try output.file.writeAll(JSONCoding.encode(header) + [UInt8(ascii: "\n")])
        try output.commit()
    }

    /// Records one finished entry. Called under the transfer's lock.
    public func append(_ entry: Entry) throws(PhonePackError) {
        let file = try OpenFile.forAppending(path)
        try file.writeAll(JSONCoding.encode(entry) + [UInt8(ascii: "\n")])
    }

    public func remove() { unlink(path) }
}

/// What an upload journal's header pins down: if any of it differs, the old upload cannot be continued.
struct UploadJournalHeader: Codable, Equatable, Sendable {
    public var kind = "upload"
    public var endpoint: String
    public var bucket: String
    public var key: String
    public var file: String
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var inode: UInt64
    public var partSize: Int64
    public var uploadID: String
}

/// What a download journal's header pins down: the object's identity and how it was cut into ranges.
struct DownloadJournalHeader: Codable, Equatable, Sendable {
    public var kind = "download"
    public var endpoint: String
    public var bucket: String
    public var key: String
    public var etag: String
    public var size: Int64
    var rangeSize: Int64
    var partialFile: String
}

/// One finished download range and the CRC-64 of its bytes.
struct DownloadedRange: Codable, Sendable {
    public var index: Int
    public var crc64: UInt64
}

/// Where transfer journals live: `PHONEPACK_STATE_DIR`, else `$XDG_STATE_HOME/phonepack/transfers`, else
/// `~/.local/state/phonepack/transfers`. Never beside the user's files.
public func transferStateDirectory(environment: [String: String]) -> String {
    if let explicit = environment["PHONEPACK_STATE_DIR"], !explicit.isEmpty { return explicit }
    if let state = environment["XDG_STATE_HOME"], !state.isEmpty { return joinPath(state, "phonepack/transfers") }
    return joinPath(environment["HOME"] ?? "/tmp", ".local/state/phonepack/transfers")
}
