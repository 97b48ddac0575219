import Glibc
import PhonePackCore

/// `phonepack sync`: makes a store prefix hold what a local folder holds, or the other way round, by content.
/// A file and an object are the same when their sizes match and so does their content: the MD5 when the ETag is
/// one, else the object's `sha256` metadata against the file's SHA-256. Only what differs is sent; `delete`
/// removes what the source lacks, and only under the named prefix or folder.
public struct SyncPlan: Sendable {
    public var folder: String
    public var url: ObjectURL
    public var delete = false
    public var dryRun = false
    /// Relative paths to leave out / to keep (when non-empty, only these), as key wildcards (`*`, `**`, `?`).
    public var excludes: [KeyPattern] = []
    public var includes: [KeyPattern] = []

    public init(folder: String, url: ObjectURL) {
        self.folder = folder
        self.url = url
    }

    /// The prefix every key lives under: the URL's key, ending in `/` unless empty.
    var prefix: String { url.key.isEmpty || url.key.hasSuffix("/") ? url.key : url.key + "/" }

    func wanted(_ relative: String) -> Bool {
        (includes.isEmpty || includes.contains { $0.matches(relative) }) && !excludes.contains { $0.matches(relative) }
    }
}

/// What a sync did (or, with `dryRun`, would do).
public struct SyncReport: Codable, Sendable {
    public var copied: [String] = []
    public var skipped = 0
    public var deleted: [String] = []
    public var bytes: Int64 = 0
    /// Names that cannot be keys or paths (not UTF-8, `..`, control characters), left alone.
    public var refused: [String] = []
    public var dryRun = false
}

extension ObjectTransfer {
    /// Local folder → store prefix.
    public func syncUp(_ plan: SyncPlan) throws(PhonePackError) -> SyncReport {
        var report = SyncReport(dryRun: plan.dryRun)
        var local: [String: (path: String, size: Int64)] = [:]
        try Self.walk(plan.folder, "") { relative, path, size in
            guard plan.wanted(relative) else { return }
            guard Self.isPlainName(relative) else { return report.refused.append(relative.terminalSafe) }
            local[relative] = (path, size)
        }
        let remote = Dictionary(
            try store.list(prefix: plan.prefix).objects.map { (String($0.key.dropFirst(plan.prefix.count)), $0) },
            uniquingKeysWith: { first, _ in first })
        try compare(local.keys, local: local, remote: remote, prefix: plan.prefix, into: &report) { local[$0]!.size }
        if !plan.dryRun {
            let copies = report.copied.map { (local[$0]!.path, plan.prefix + $0) }
            try transferAll(copies, sizes: report.copied.map { local[$0]!.size }) {
                (transfer, copy) throws(PhonePackError) in
                var settings = transfer.settings
                settings.sha256 = try Self.sha256(of: copy.0)
                _ = try ObjectTransfer(store: transfer.store, settings: settings).upload(file: copy.0, to: copy.1)
            }
        }
        if plan.delete {
            report.deleted = remote.keys.filter { local[$0] == nil && plan.wanted($0) }.sorted()
            if !plan.dryRun, !report.deleted.isEmpty {
                let failures = try store.delete(keys: report.deleted.map { plan.prefix + $0 })
                if let first = failures.first {
                    throw PhonePackError(
                        .service, operation: "sync --delete", path: first.key,
                        message: "\(failures.count) objects could not be deleted (\(first.code))")
                }
            }
        }
        return report
    }

    /// Store prefix → local folder. Keys that cannot be a path inside the folder are refused, never followed.
    public func syncDown(_ plan: SyncPlan) throws(PhonePackError) -> SyncReport {
        var report = SyncReport(dryRun: plan.dryRun)
        var remote: [String: ObjectInfo] = [:]
        for object in try store.list(prefix: plan.prefix).objects {
            let relative = String(object.key.dropFirst(plan.prefix.count))
            guard !relative.isEmpty, !relative.hasSuffix("/"), plan.wanted(relative) else { continue }
            guard Self.isPlainName(relative) else {
                report.refused.append(relative.terminalSafe)
                continue
            }
            remote[relative] = object
        }
        var local: [String: (path: String, size: Int64)] = [:]
        if FileStatus.exists(plan.folder) {
            try Self.walk(plan.folder, "") { relative, path, size in
                if plan.wanted(relative) { local[relative] = (path, size) }
            }
        }
        try compare(remote.keys, local: local, remote: remote, prefix: plan.prefix, into: &report) { remote[$0]!.size }
        if !plan.dryRun {
            for relative in report.copied {
                // A symlink planted on the way (DIR/a → /etc) must not carry a write outside the folder.
                var level = plan.folder
                for part in relative.split(separator: "/").dropLast() {
                    level = joinPath(level, String(part))
                    if let status = try FileStatus.ifExists(level), !status.isDirectory {
                        throw PhonePackError(
                            .invalidInput, operation: "sync", path: level,
                            message:
                                "is not a folder (a symlink or file); refusing to write \(relative.terminalSafe) through it"
                        )
                    }
                }
                try makeDirectories(parentDirectory(joinPath(plan.folder, relative)))
            }
            let copies = report.copied.map { (plan.prefix + $0, joinPath(plan.folder, $0)) }
            try transferAll(copies, sizes: report.copied.map { remote[$0]!.size }) {
                (transfer, copy) throws(PhonePackError) in
                _ = try transfer.download(copy.0, to: copy.1)
            }
        }
        if plan.delete {
            report.deleted = local.keys.filter { remote[$0] == nil }.sorted()
            if !plan.dryRun { for relative in report.deleted { unlink(local[relative]!.path) } }
        }
        return report
    }

    /// Sorts the source's `names` into unchanged (the other side has the same size and content) and to copy.
    func compare(
        _ names: Dictionary<String, some Any>.Keys, local: [String: (path: String, size: Int64)],
        remote: [String: ObjectInfo], prefix: String, into report: inout SyncReport, size: (String) -> Int64
    ) throws(PhonePackError) {
        for name in names.sorted() {
            if let file = local[name], let object = remote[name], file.size == object.size,
                try same(file.path, object, key: prefix + name)
            {
                report.skipped += 1
            } else {
                report.copied.append(name)
                report.bytes += size(name)
            }
        }
    }

    /// Runs `body` for every copy: files up to one part `settings.jobs` at a time, each worker on its own
    /// connection (reused from file to file) moving one file in one request; larger files one after another,
    /// each with its parts in parallel. The first failure stops the rest and is thrown.
    func transferAll(
        _ copies: [(String, String)], sizes: [Int64],
        _ body: @escaping @Sendable (ObjectTransfer, (String, String)) throws(PhonePackError) -> Void
    ) throws(PhonePackError) {
        let threshold = settings.partSize ?? PartSizing.preferred
        let small = copies.indices.filter { sizes[$0] <= threshold }
        var single = settings
        single.jobs = 1
        let one = UncheckedSendable((copies, single))
        let outcome = forEachInParallel(small) { (client, index) throws(PhonePackError) in
            try body(ObjectTransfer(store: client, settings: one.value.1), one.value.0[index])
        }
        if let failure = outcome.failure { throw failure }
        for index in copies.indices where sizes[index] > threshold { try body(self, copies[index]) }
    }

    /// Whether the local file holds the object's content (its size already matches).
    func same(_ path: String, _ object: ObjectInfo, key: String) throws(PhonePackError) -> Bool {
        if let md5 = object.etag.flatMap(ObjectStoreClient.plainMD5) {
            return try Self.digest(.md5, of: path) == md5
        }
        guard let sha256 = try store.head(key).metadata["sha256"] else { return false }
        return try Self.sha256(of: path) == sha256.lowercased()
    }

    static func sha256(of path: String) throws(PhonePackError) -> String { try digest(.sha256, of: path) }

    static func digest(_ algorithm: DigestAlgorithm, of path: String) throws(PhonePackError) -> String {
        let file = try OpenFile.forReading(path)
        var digest = Digest(algorithm)
        try file.forEachBlock(offset: 0, length: try file.status().size) { digest.update($0) }
        return digest.finalize().hexString
    }

    /// Regular files below `folder`, depth first, symlinks and special files left out (never followed).
    static func walk(
        _ folder: String, _ relative: String, _ visit: (String, String, Int64) throws(PhonePackError) -> Void
    ) throws(PhonePackError) {
        for name in try sortedDirectoryEntries(joinPath(folder, relative)) {
            let child = relative.isEmpty ? name : relative + "/" + name
            let path = joinPath(folder, child)
            let status = try FileStatus.of(path)
            if status.isDirectory {
                try walk(folder, child, visit)
            } else if status.isRegular {
                try visit(child, path, status.size)
            }
        }
    }

    /// A relative name that is both a fine key and a path inside the folder: no empty, `.` or `..` level, no
    /// control characters, no raw (non-UTF-8) bytes.
    static func isPlainName(_ relative: String) -> Bool {
        let levels = relative.split(separator: "/", omittingEmptySubsequences: false)
        return !relative.hasPrefix("/") && levels.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
            && !relative.unicodeScalars.contains {
                $0.value < 0x20 || $0.value == 0x7F || (0xE000...0xF8FF).contains($0.value)
            }
    }
}
