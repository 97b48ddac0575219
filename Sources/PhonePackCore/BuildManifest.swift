import FoundationEssentials

/// The JSON manifest `phonepack build --manifest` writes beside the tar and `phonepack verify --manifest` checks:
/// every entry with its owner, mode and SHA-256, the package facts and totals.
public struct BuildManifest: Sendable, Codable, Equatable {
    public var format = "phonepack-manifest/1"
    public var archive: Archive
    public var package: APKInfo
    public var entries: [ManifestEntry]
    public var totals: Totals

    public struct Archive: Sendable, Codable, Equatable {
        public var name: String
        public var size: Int64
        public var sha256: String
    }

    public struct Totals: Sendable, Codable, Equatable {
        public var entries: Int
        public var files: Int
        public var bytes: Int64
    }

    func encoded() throws(PhonePackError) -> [UInt8] {
        do {
            return Array(try JSONOutput.encode(self)) + [0x0a]
        } catch {
            throw PhonePackError(.io, operation: "encode manifest", message: "cannot encode the manifest", cause: nil)
        }
    }

    /// Reads a manifest written by `phonepack build --manifest`.
    public static func read(path: String) throws(PhonePackError) -> BuildManifest {
        let bytes = try OpenFile.forReading(path).readToEnd()
        do {
            return try JSONDecoder().decode(BuildManifest.self, from: Data(bytes))
        } catch {
            throw PhonePackError(
                .invalidInput, operation: "read manifest", path: path,
                message: "is not a phonepack manifest (write one with: phonepack build --manifest)")
        }
    }
}

public struct ManifestEntry: Sendable, Codable, Equatable {
    public var path: String
    public var type: TarEntry.Kind
    public var size: Int64
    /// Octal, as `ls -l` and `tar tv` readers think of modes: `"0644"`.
    public var mode: String
    public var uid: Int64
    public var gid: Int64
    public var sha256: String?
    public var linkTarget: String?

    init(_ header: TarEntryHeader, sha256: String?) {
        path = header.path
        uid = Int64(header.uid)
        gid = Int64(header.gid)
        mode = octalMode(header.permissions)
        self.sha256 = sha256
        switch header.kind {
        case .file(let size):
            type = .file
            self.size = size
        case .directory:
            type = .directory
            size = 0
        case .symlink(let target):
            type = .symlink
            size = 0
            linkTarget = target
        case .hardlink(let target):
            type = .hardlink
            size = 0
            linkTarget = target
        }
    }
}

/// `0644`-style octal text for permission bits.
public func octalMode(_ permissions: UInt32) -> String {
    let digits = String(permissions & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// One JSON style for everything phonepack prints or writes: sorted keys (stable diffs), pretty, no escaped `/`.
public enum JSONOutput {
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    public static func string(_ value: some Encodable) -> String {
        (try? encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
