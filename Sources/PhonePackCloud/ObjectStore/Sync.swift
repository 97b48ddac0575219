import Dispatch
import Glibc
import PhonePackCore
import Synchronization

/// `phonepack sync`: makes a store prefix hold what a local folder holds, or the other way round, by content.
/// A file and an object are the same when their sizes match and so does their content: the MD5 when the ETag is
/// one, else the object's `sha256` metadata against the file's SHA-256. Only what differs is sent; `delete`
/// removes what the source lacks, and only under the named prefix or folder.
///
/// Neither side is held whole: the folder is walked and the prefix listed page by page, both in key order (UTF-8
/// bytes), and merged as they come; memory stays the same for ten files or ten million.
public struct SyncPlan: Sendable {
    public var folder: String
    public var url: ObjectURL
    public var delete = false
    public var dryRun = false
    /// False for a plain recursive copy (`upload -r`, `download -r`, wildcards): every file is sent, none compared.
    public var compare = true
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

/// One thing a sync did (or, with `dryRun`, would do), told as it happens.
public enum SyncAction: Sendable {
    case copied(String, bytes: Int64)
    case deleted(String)
    /// A name that cannot be a key or a path (not UTF-8, `..`, control characters), left alone.
    case refused(String)
}

/// What a sync did (or, with `dryRun`, would do), in counts; the names go to the observer as they happen.
public struct SyncReport: Codable, Sendable {
    public var copied = 0
    public var skipped = 0
    public var deleted = 0
    public var bytes: Int64 = 0
    public var refused = 0
    public var dryRun = false
}

extension ObjectTransfer {
    /// Local folder → store prefix.
    public func syncUp(_ plan: SyncPlan, observe: @escaping @Sendable (SyncAction) -> Void = { _ in })
        throws(PhonePackError) -> SyncReport
    {
        let tally = SyncTally(dryRun: plan.dryRun, observe: observe)
        var local = try LocalWalk(folder: plan.folder)
        var remote = store.objects(prefix: plan.prefix)
        let prefix = plan.prefix
        let cache = SyncHashCache(stateDirectory: settings.stateDirectory, folder: plan.folder)
        defer { cache.save() }
        let feed = feed(plan, tally, cache) { (transfer, item) throws(PhonePackError) in
            var settings = transfer.settings
            // One read for both: the SHA-256 for the metadata, the MD5 for a one-request upload's Content-MD5.
            let sums = try cache.digests(of: item.path, relative: item.name, status: item.status)
            settings.sha256 = sums.sha256
            settings.md5 = sums.md5
            _ = try ObjectTransfer(store: transfer.store, settings: settings).upload(
                file: item.path, to: prefix + item.name)
        }
        var doomed: [String] = []
        func flushDeletes(_ force: Bool) throws(PhonePackError) {
            guard !doomed.isEmpty, force || doomed.count >= 1000 else { return }
            if !plan.dryRun {
                let failures = try store.delete(keys: doomed.map { prefix + $0 })
                if let first = failures.first {
                    throw PhonePackError(
                        .service, operation: "sync --delete", path: first.key,
                        message: "\(failures.count) objects could not be deleted (\(first.code))")
                }
            }
            for name in doomed { tally.deleted(name) }
            doomed.removeAll(keepingCapacity: true)
        }
        do throws(PhonePackError) {
            var file = try nextFile(&local, plan, tally)
            var object = try nextObject(&remote, plan)
            while file != nil || object != nil {
                let order = SyncOrder.compare(file?.relative, object?.relative)
                if order <= 0, let current = file {
                    let counterpart =
                        plan.compare && order == 0 && object!.info.size == current.size ? object!.info : nil
                    try feed.submit(
                        .init(
                            name: current.relative, path: current.path, size: current.size, object: counterpart,
                            status: current.status))
                    file = try nextFile(&local, plan, tally)
                }
                if order >= 0, let current = object {
                    if order > 0, plan.delete, plan.wanted(current.relative) {
                        doomed.append(current.relative)
                        try flushDeletes(false)
                    }
                    object = try nextObject(&remote, plan)
                }
            }
            try feed.finish()
            try flushDeletes(true)
        } catch {
            feed.abandon()
            throw error
        }
        return tally.report
    }

    /// Store prefix → local folder. Keys that cannot be a path inside the folder are refused, never followed.
    public func syncDown(_ plan: SyncPlan, observe: @escaping @Sendable (SyncAction) -> Void = { _ in })
        throws(PhonePackError) -> SyncReport
    {
        let tally = SyncTally(dryRun: plan.dryRun, observe: observe)
        var local = try LocalWalk(folder: plan.folder)
        var remote = store.objects(prefix: plan.prefix)
        let prefix = plan.prefix
        let cache = SyncHashCache(stateDirectory: settings.stateDirectory, folder: plan.folder)
        defer { cache.save() }
        let feed = feed(plan, tally, cache) { (transfer, item) throws(PhonePackError) in
            _ = try transfer.download(prefix + item.name, to: item.path)
        }
        var checkedFolder = ""
        do throws(PhonePackError) {
            var file = try nextFile(&local, plan, tally)
            var object = try nextObject(&remote, plan)
            while file != nil || object != nil {
                let order = SyncOrder.compare(file?.relative, object?.relative)
                let localStatus = file?.status
                if order <= 0, let current = file {
                    if order < 0, plan.delete {
                        if !plan.dryRun { unlink(current.path) }
                        tally.deleted(current.relative)
                    }
                    file = try nextFile(&local, plan, tally)
                }
                if order >= 0, let current = object {
                    if Self.isPlainName(current.relative) {
                        let path = joinPath(plan.folder, current.relative)
                        if !plan.dryRun {
                            try Self.prepareFolder(for: current.relative, in: plan.folder, &checkedFolder)
                        }
                        let counterpart =
                            plan.compare && order == 0 && current.info.size == localStatus?.size ? current.info : nil
                        try feed.submit(
                            .init(name: current.relative, path: path, size: current.info.size, object: counterpart))
                    } else {
                        tally.refused(current.relative)
                    }
                    object = try nextObject(&remote, plan)
                }
            }
            try feed.finish()
        } catch {
            feed.abandon()
            throw error
        }
        return tally.report
    }

    /// The workers' side of a sync: an item whose other side has a same-size object is compared first (and
    /// skipped when the content is the same); the rest are copied by `copy`, unless this is a dry run.
    private func feed(
        _ plan: SyncPlan, _ tally: SyncTally, _ cache: SyncHashCache,
        copy: @escaping @Sendable (ObjectTransfer, SyncFeed.Item) throws(PhonePackError) -> Void
    ) -> SyncFeed {
        let prefix = plan.prefix
        return SyncFeed(transfer: self, tally: tally) { (transfer, item) throws(PhonePackError) -> Bool in
            if let object = item.object, try transfer.same(item, object, key: prefix + item.name, cache: cache) {
                return false
            }
            if !plan.dryRun { try copy(transfer, item) }
            return true
        }
    }

    /// The next wanted local file; names that cannot be keys are refused and skipped.
    private func nextFile(_ walk: inout LocalWalk, _ plan: SyncPlan, _ tally: SyncTally) throws(PhonePackError)
        -> LocalWalk.File?
    {
        while let file = try walk.next() {
            guard plan.wanted(file.relative) else { continue }
            guard Self.isPlainName(file.relative) else {
                tally.refused(file.relative)
                continue
            }
            return file
        }
        return nil
    }

    /// The next wanted object under the prefix, named relative to it; folder markers (`x/`) are left alone.
    private func nextObject(_ stream: inout ObjectStream, _ plan: SyncPlan) throws(PhonePackError)
        -> (relative: String, info: ObjectInfo)?
    {
        while let object = try stream.next() {
            let relative = String(object.key.utf8.dropFirst(plan.prefix.utf8.count)) ?? ""
            guard !relative.isEmpty, !relative.hasSuffixBytes("/"), plan.wanted(relative) else { continue }
            return (relative, object)
        }
        return nil
    }

    /// Makes the folders above `relative` inside `folder`, refusing one that is a symlink or a file: a link planted
    /// on the way (DIR/a → /etc) must not carry a write outside the folder. `checked` is the last folder found
    /// good (names come in order, so most files share it).
    static func prepareFolder(for relative: String, in folder: String, _ checked: inout String) throws(PhonePackError) {
        let parent = parentDirectory(relative)
        guard parent != checked else { return }
        var level = folder
        for part in pathComponents(relative).dropLast() {
            level = joinPath(level, String(part))
            if let status = try FileStatus.ifExists(level), !status.isDirectory {
                throw PhonePackError(
                    .invalidInput, operation: "sync", path: level,
                    message:
                        "is not a folder (a symlink or file); refusing to write \(relative.terminalSafe) through it")
            }
        }
        try makeDirectories(joinPath(folder, parent))
        checked = parent
    }

    /// Whether the local file holds the object's content (its size already matches): by the MD5 when the ETag is
    /// one, else by the object's `sha256` metadata. A large unchanged file is compared by a recorded digest rather
    /// than read again: its MD5, or its SHA-256 against the metadata (one HEAD, much less than reading the file).
    func same(_ item: SyncFeed.Item, _ object: ObjectInfo, key: String, cache: SyncHashCache) throws(PhonePackError)
        -> Bool
    {
        let md5 = object.etag.flatMap(ObjectStoreClient.plainMD5)
        let recorded = cache.recorded(relative: item.name, status: item.status)
        if let md5, let known = recorded?.md5 { return known == md5 }
        if md5 == nil || recorded?.sha256 != nil, let sha256 = try store.head(key).metadata["sha256"] {
            return try cache.digest(.sha256, of: item.path, relative: item.name, status: item.status)
                == sha256.lowercased()
        }
        guard let md5 else { return false }
        return try cache.digest(.md5, of: item.path, relative: item.name, status: item.status) == md5
    }

    static func sha256(of path: String) throws(PhonePackError) -> String { try digest(.sha256, of: path) }

    static func digest(_ algorithm: DigestAlgorithm, of path: String) throws(PhonePackError) -> String {
        let file = try OpenFile.forReading(path)
        var digest = Digest(algorithm)
        try file.forEachBlock(offset: 0, length: try file.status().size) { digest.update($0) }
        return digest.finalize().hexString
    }

    /// A relative name that is both a fine key and a path inside the folder: no empty, `.` or `..` level, no
    /// control characters, no raw (non-UTF-8) bytes.
    static func isPlainName(_ relative: String) -> Bool {
        let levels = pathComponents(relative, omittingEmpty: false)
        return !relative.hasPrefixBytes("/")
            && levels.allSatisfy { !$0.isEmpty && !$0.isBytes(".") && !$0.isBytes("..") }
            && !relative.unicodeScalars.contains {
                $0.value < 0x20 || $0.value == 0x7F || (0xE000...0xF8FF).contains($0.value)
            }
    }
}

/// Key order: UTF-8 bytes, never `String` comparison (which would call "é" and "e\u{301}" equal).
enum SyncOrder {
    /// -1, 0 or 1; a missing side (`nil`, the end of its listing) comes after everything.
    static func compare(_ a: String?, _ b: String?) -> Int {
        guard let a else { return b == nil ? 0 : 1 }
        guard let b else { return -1 }
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }
}

/// Regular files below a folder in key order: each folder's entries sorted by their bytes, a folder's name
/// compared as if it ended in `/`, which is the order a store lists the same names in. Symlinks and special
/// files are left out, never followed. It holds one listing per level of the current path, not the tree.
struct LocalWalk {
    struct File {
        var relative: String
        var path: String
        var status: FileStatus
        var size: Int64 { status.size }
    }

    private struct Level {
        var relative: String
        var entries: [(name: String, status: FileStatus)]
        var index = 0
    }

    let folder: String
    private var levels: [Level] = []

    /// A folder that does not exist yet is walked as empty (a sync down into a new folder).
    init(folder: String) throws(PhonePackError) {
        self.folder = folder
        if FileStatus.exists(folder) { levels = [Level(relative: "", entries: try Self.entries(folder))] }
    }

    mutating func next() throws(PhonePackError) -> File? {
        while let top = levels.last {
            guard top.index < top.entries.count else {
                levels.removeLast()
                continue
            }
            levels[levels.count - 1].index += 1
            let entry = top.entries[top.index]
            let relative = top.relative.isEmpty ? entry.name : top.relative + "/" + entry.name
            if entry.status.isDirectory {
                levels.append(Level(relative: relative, entries: try Self.entries(joinPath(folder, relative))))
            } else {
                return File(relative: relative, path: joinPath(folder, relative), status: entry.status)
            }
        }
        return nil
    }

    private static func entries(_ path: String) throws(PhonePackError) -> [(name: String, status: FileStatus)] {
        let slash = UInt8(ascii: "/")
        return try sortedDirectoryEntriesWithStatus(path).compactMap { entry in
            guard let status = entry.status, status.isDirectory || status.isRegular else { return nil }
            return (entry.name, status)
        }
        .sorted {
            let a = Array($0.name.utf8) + ($0.status.isDirectory ? [slash] : [])
            let b = Array($1.name.utf8) + ($1.status.isDirectory ? [slash] : [])
            return a.lexicographicallyPrecedes(b)
        }
    }
}

/// Counts, and the observer told of each action, shared by the walking thread and the workers.
final class SyncTally: Sendable {
    private let state: Mutex<SyncReport>
    private let observe: @Sendable (SyncAction) -> Void

    init(dryRun: Bool, observe: @escaping @Sendable (SyncAction) -> Void) {
        state = Mutex(SyncReport(dryRun: dryRun))
        self.observe = observe
    }

    var report: SyncReport { state.withLock { $0 } }

    func copied(_ name: String, bytes: Int64) {
        state.withLock {
            $0.copied += 1
            $0.bytes += bytes
            observe(.copied(name, bytes: bytes))
        }
    }

    func skipped() { state.withLock { $0.skipped += 1 } }

    func deleted(_ name: String) {
        state.withLock {
            $0.deleted += 1
            observe(.deleted(name))
        }
    }

    func refused(_ name: String) {
        state.withLock {
            $0.refused += 1
            observe(.refused(name.terminalSafe))
        }
    }
}

/// The files a sync compares and copies, handed in one at a time. Files up to one part go to `jobs` workers, each
/// on its own connection reused from file to file, with at most `2 × jobs` waiting (the walk never runs far
/// ahead); larger files are kept for ``finish()``, which sends several at once, each with its parts in parallel
/// when there are fewer files than jobs. Comparing (hashing a same-size file) happens on the workers too. The
/// first failure stops the rest.
final class SyncFeed: @unchecked Sendable {
    // Invariants behind @unchecked Sendable: `large`, `workers` and `transfer` are touched only by the walking
    // thread; the workers share only the Mutex-guarded state and the semaphores.
    struct Item: Sendable {
        var name: String
        var path: String
        var size: Int64
        /// The other side's object when its size matches (then the content is compared first).
        var object: ObjectInfo?
        /// The local file's status, for the digest cache.
        var status: FileStatus?
    }

    /// Compares and copies one item; returns whether it copied (false: the content was the same).
    typealias Body = @Sendable (ObjectTransfer, Item) throws(PhonePackError) -> Bool

    private let transfer: ObjectTransfer
    private let tally: SyncTally
    private let body: Body
    private let threshold: Int64
    private var large: [Item] = []
    private var workers: WorkerThreads.Group?
    private let queue = Mutex<(items: [Item?], failure: PhonePackError?)>(([], nil))
    private let ready = DispatchSemaphore(value: 0)
    private let room: DispatchSemaphore

    /// Without `--part-size`, a tree moves files up to this size in one request each, and larger ones in parts of
    /// it: many files are in flight at once, so parallel parts of one file gain nothing, and fewer, larger
    /// requests cost less on both ends (s5cmd's parts are 50 MiB for the same reason). Measured: 20 × 50 MiB
    /// in 8 MiB parts took 5.7 s, in single requests 3.x s (benchmarks/README.md).
    static let defaultPartSize: Int64 = 64 << 20

    init(transfer: ObjectTransfer, tally: SyncTally, body: @escaping Body) {
        var settings = transfer.settings
        settings.partSize = settings.partSize ?? Self.defaultPartSize
        self.transfer = ObjectTransfer(store: transfer.store, settings: settings)
        self.tally = tally
        self.body = body
        threshold = settings.partSize!
        room = DispatchSemaphore(value: 2 * max(1, settings.jobs))
    }

    func submit(_ item: Item) throws(PhonePackError) {
        if let failure = queue.withLock({ $0.failure }) { throw failure }
        if item.size > threshold { return large.append(item) }
        if workers == nil { startWorkers() }
        room.wait()
        queue.withLock { $0.items.append(item) }
        ready.signal()
    }

    private func startWorkers() {
        let count = max(1, transfer.settings.jobs)
        var single = transfer.settings
        single.jobs = 1
        let clients = transfer.workerClients(count)
        let settings = single
        workers = WorkerThreads.start(count: count) { [self] worker in
            let one = ObjectTransfer(store: clients.value[worker], settings: settings)
            while true {
                ready.wait()
                guard let item = queue.withLock({ $0.items.removeFirst() }) else { return }
                defer { room.signal() }
                if queue.withLock({ $0.failure }) != nil { continue }
                run(one, item)
            }
        }
    }

    private func run(_ transfer: ObjectTransfer, _ item: Item) {
        do throws(PhonePackError) {
            if try body(transfer, item) { tally.copied(item.name, bytes: item.size) } else { tally.skipped() }
        } catch {
            queue.withLock { if $0.failure == nil { $0.failure = error } }
        }
    }

    private func stopWorkers() {
        guard let group = workers.take() else { return }
        for _ in 0..<max(1, transfer.settings.jobs) {
            queue.withLock { $0.items.append(nil) }
            ready.signal()
        }
        group.join()
    }

    /// Waits for the small files, then sends the large ones; throws the first failure.
    func finish() throws(PhonePackError) {
        stopWorkers()
        if let failure = queue.withLock({ $0.failure }) { throw failure }
        guard !large.isEmpty else { return }
        let jobs = max(1, transfer.settings.jobs)
        let files = min(jobs, large.count)
        var outer = transfer.settings
        outer.jobs = files
        var inner = transfer.settings
        inner.jobs = max(1, jobs / files)
        let items = UncheckedSendable((large, inner))
        let outcome = ObjectTransfer(store: transfer.store, settings: outer).forEachInParallel(Array(large.indices)) {
            (client, index) throws(PhonePackError) in
            let item = items.value.0[index]
            if try self.body(ObjectTransfer(store: client, settings: items.value.1), item) {
                self.tally.copied(item.name, bytes: item.size)
            } else {
                self.tally.skipped()
            }
        }
        if let failure = outcome.failure { throw failure }
    }

    /// After a failure on the walking side: lets the workers finish what they hold, sends nothing more.
    func abandon() {
        queue.withLock {
            if $0.failure == nil {
                $0.failure = PhonePackError(.invalidInput, operation: "sync", path: nil, message: "stopped")
            }
        }
        stopWorkers()
    }
}
