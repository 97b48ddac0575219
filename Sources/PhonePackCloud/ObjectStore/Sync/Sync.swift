import PhonePackCore
import Synchronization

/// `phonepack sync` (and `upload -r`, `download -r`): a folder to a store prefix, a prefix to a folder, or one prefix
/// to another, by content (see ``SyncPlan``). Neither side is held whole: the folder is walked and the prefixes
/// listed page by page, all in key order (UTF-8 bytes), and merged as they come; memory stays the same for ten
/// items or ten million.
///
/// Every file operation is relative to an open folder (``Folder``, ``LocalWalk``): a folder swapped for a symlink
/// after it was listed, a file replaced by another, a symlink or a FIFO, are refused for that item — named,
/// counted in ``SyncReport/failed`` — and never followed. A file written while it is uploaded is sent again (three
/// tries), never stored under metadata that does not match it.
extension ObjectTransfer {
    /// Local folder → store prefix.
    public func syncUp(_ plan: SyncPlan, observe: @escaping @Sendable (SyncAction) -> Void = { _ in })
        throws(PhonePackError) -> SyncReport
    {
        let tally = SyncTally(dryRun: plan.dryRun, observe: observe)
        var local = try LocalWalk(folder: plan.folder, followSymlinks: plan.followSymlinks)
        var remote = store.objects(prefix: plan.prefix)
        let prefix = plan.prefix
        let cache = SyncHashCache(stateDirectory: settings.stateDirectory, folder: plan.folder)
        defer { cache.save() }
        let feed = SyncFeed(transfer: self, tally: tally) { (transfer, item) throws(PhonePackError) -> Bool in
            try Self.perItem(item, tally) { () throws(PhonePackError) -> Bool in
                try transfer.send(item.file!, to: prefix + item.name, item.counterpart, plan, cache)
            }
        }
        var doomed: [String] = []
        do throws(PhonePackError) {
            var file = try nextFile(&local, plan, tally)
            var object = try nextObject(&remote, plan)
            while file != nil || object != nil {
                let order = SyncOrder.compare(file?.relative, object?.relative)
                if order <= 0, let current = file {
                    let counterpart = order == 0 ? object!.info : nil
                    if !skip(plan, source: current.size, current.status.mtime, counterpart, tally) {
                        try feed.submit(
                            .init(
                                name: current.relative, size: current.size, file: current,
                                counterpart: counterpart?.size == current.size ? counterpart : nil))
                    }
                    file = try nextFile(&local, plan, tally)
                }
                if order >= 0, let current = object {
                    if order > 0, plan.delete, plan.wanted(current.relative) {
                        doomed.append(current.relative)
                        try flushDeletes(&doomed, prefix: prefix, plan, tally, force: false)
                    }
                    object = try nextObject(&remote, plan)
                }
            }
            try feed.finish()
            try flushDeletes(&doomed, prefix: prefix, plan, tally, force: true)
        } catch {
            feed.abandon()
            throw error
        }
        return tally.report
    }

    /// Store prefix → local folder. Keys that are not plain names (``PlainName``) are refused, never written.
    public func syncDown(_ plan: SyncPlan, observe: @escaping @Sendable (SyncAction) -> Void = { _ in })
        throws(PhonePackError) -> SyncReport
    {
        let tally = SyncTally(dryRun: plan.dryRun, observe: observe)
        // The destination's own symlinks are its business: compared and replaced (renameat, never followed), not
        // reported.
        var local = try LocalWalk(folder: plan.folder)
        var remote = store.objects(prefix: plan.prefix)
        let prefix = plan.prefix
        let root = plan.dryRun ? nil : try Folder.open(plan.folder, create: true)
        let cache = SyncHashCache(stateDirectory: settings.stateDirectory, folder: plan.folder)
        defer { cache.save() }
        let feed = SyncFeed(transfer: self, tally: tally) { (transfer, item) throws(PhonePackError) -> Bool in
            try Self.perItem(item, tally) { () throws(PhonePackError) -> Bool in
                if let file = item.file, try transfer.sameLocal(file, item.source!, key: prefix + item.name, cache) {
                    return false
                }
                guard let root else { return true }
                // Each level opened from the last, never through a symlink: one planted on the way after an
                // earlier file landed refuses this file, it cannot carry it elsewhere.
                let folder = try root.descend(
                    parentDirectory(item.name).isBytes(".") ? "" : parentDirectory(item.name), create: true)
                _ = try transfer.download(prefix + item.name, into: folder, name: lastPathComponent(item.name))
                return true
            }
        }
        do throws(PhonePackError) {
            var file = try nextFile(&local, plan, nil)
            var object = try nextObject(&remote, plan)
            while file != nil || object != nil {
                let order = SyncOrder.compare(file?.relative, object?.relative)
                let counterpart = order == 0 ? file : nil
                if order <= 0, let current = file {
                    if order < 0, plan.delete {
                        if !plan.dryRun { try current.folder.remove(current.name) }
                        tally.record(.deleted(current.relative))
                    }
                    file = try nextFile(&local, plan, nil)
                }
                if order >= 0, let current = object {
                    if let problem = PlainName.problem(current.relative) {
                        tally.record(.refused(current.relative, reason: problem))
                    } else if !skip(
                        plan, source: current.info.size, CloudTime.parseISO8601(current.info.lastModified ?? ""),
                        counterpart.map { ($0.size, $0.status.mtime) }, tally)
                    {
                        try feed.submit(
                            .init(
                                name: current.relative, size: current.info.size,
                                file: counterpart?.size == current.info.size ? counterpart : nil, source: current.info))
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

    /// Store prefix → store prefix (`source` is the other store's client, `sourceURL` its prefix): within one store
    /// the store copies (no byte passes through here), between stores the bytes stream through memory, checked
    /// end to end (``copy(from:_:to:)``).
    public func syncStores(
        from source: ObjectStoreClient, _ sourceURL: ObjectURL, _ plan: SyncPlan,
        observe: @escaping @Sendable (SyncAction) -> Void = { _ in }
    ) throws(PhonePackError) -> SyncReport {
        let tally = SyncTally(dryRun: plan.dryRun, observe: observe)
        let sourcePrefix = SyncPlan.prefix(of: sourceURL)
        var from = source.objects(prefix: sourcePrefix)
        var to = store.objects(prefix: plan.prefix)
        let prefix = plan.prefix
        // The source's clients, one per worker at most, each on its own connection; made here, on this thread.
        let readers = Mutex(UncheckedSendable((0...max(1, settings.jobs)).map { _ in source.sibling() }))
        let feed = SyncFeed(transfer: self, tally: tally) { (transfer, item) throws(PhonePackError) -> Bool in
            let reader = readers.withLock { $0.value.popLast()! }
            defer { readers.withLock { $0.value.append(reader) } }
            // Names are listed keys (ArchiveName.fromKey): the requests name the keys they stand for.
            let (from, to) = (ArchiveName.toKey(sourcePrefix + item.name), ArchiveName.toKey(prefix + item.name))
            if let counterpart = item.counterpart,
                try Self.sameObjects(reader, from, item.source!, transfer.store, to, counterpart)
            {
                return false
            }
            if plan.dryRun { return true }
            do throws(PhonePackError) {
                _ = try transfer.copy(from: reader, from, to: to)
            } catch  where error.isAlreadyExists {
                return false
            }
            return true
        }
        var doomed: [String] = []
        do throws(PhonePackError) {
            var a = try nextObject(&from, plan, prefix: sourcePrefix)
            var b = try nextObject(&to, plan)
            while a != nil || b != nil {
                let order = SyncOrder.compare(a?.relative, b?.relative)
                if order <= 0, let current = a {
                    let counterpart = order == 0 ? b!.info : nil
                    if !skip(
                        plan, source: current.info.size, CloudTime.parseISO8601(current.info.lastModified ?? ""),
                        counterpart, tally)
                    {
                        try feed.submit(
                            .init(
                                name: current.relative, size: current.info.size, source: current.info,
                                counterpart: counterpart?.size == current.info.size ? counterpart : nil))
                    }
                    a = try nextObject(&from, plan, prefix: sourcePrefix)
                }
                if order >= 0, let current = b {
                    if order > 0, plan.delete, plan.wanted(current.relative) {
                        doomed.append(current.relative)
                        try flushDeletes(&doomed, prefix: prefix, plan, tally, force: false)
                    }
                    b = try nextObject(&to, plan)
                }
            }
            try feed.finish()
            try flushDeletes(&doomed, prefix: prefix, plan, tally, force: true)
        } catch {
            feed.abandon()
            throw error
        }
        return tally.report
    }

    // MARK: Per item

    /// Runs one item's work; a failure that concerns only this item — a local file replaced, a folder on the way
    /// turned into a symlink, a file that kept changing — is counted and named, and the transfer goes on.
    /// Service and network failures stop it.
    static func perItem(
        _ item: SyncFeed.Item, _ tally: SyncTally, _ work: () throws(PhonePackError) -> Bool
    ) throws(PhonePackError) -> Bool {
        do throws(PhonePackError) {
            return try work()
        } catch
            where error.httpStatus == nil
            && ([.invalidInput, .notFound, .permissionDenied].contains(error.code) || error.isFileChanged)
        {
            tally.record(.failed(item.name, reason: error.description))
            return false
        }
    }

    /// Sends one local file (unless it is the same as `counterpart`): opened and checked, digested once, uploaded
    /// from the same descriptor; sent again when it changed on the way, three times at most.
    private func send(
        _ file: LocalWalk.File, to key: String, _ counterpart: ObjectInfo?, _ plan: SyncPlan, _ cache: SyncHashCache
    ) throws(PhonePackError) -> Bool {
        var attempt = 1
        while true {
            let opened = try file.open()
            let status = try opened.status()
            if let counterpart, counterpart.size == status.size,
                try same(opened, file.relative, status, counterpart, key: key, cache: cache)
            {
                return false
            }
            if plan.dryRun { return true }
            var settings = self.settings
            // One read for both: the SHA-256 for the metadata, the MD5 for a one-request upload's Content-MD5.
            let sums = try cache.digests(of: opened, relative: file.relative, status: status)
            settings.sha256 = sums.sha256
            settings.md5 = sums.md5
            settings.properties = settings.properties.typed(for: file.name)
            do throws(PhonePackError) {
                _ = try sibling(store: store, settings: settings).upload(opened: opened, status: status, to: key)
                return true
            } catch  where error.isFileChanged && attempt < 3 {
                attempt += 1
                notice?("\(file.relative.terminalSafe) changed while it was sent; sending it again")
            } catch  where error.isAlreadyExists {
                return false
            }
        }
    }

    // MARK: Listings

    /// The next wanted local file; names that are not plain are refused, symlinks and special files reported.
    /// `tally` is nil for the destination's own walk (nothing is reported of it).
    private func nextFile(_ walk: inout LocalWalk, _ plan: SyncPlan, _ tally: SyncTally?) throws(PhonePackError)
        -> LocalWalk.File?
    {
        while let event = try walk.next() {
            switch event {
            case .leftOut(let relative, let kind):
                if plan.wanted(relative) { tally?.record(.leftOut(relative, kind: kind)) }
            case .failed(let relative, let reason):
                tally?.record(.failed(relative, reason: reason.description))
            case .file(let file):
                guard plan.wanted(file.relative) else { continue }
                if let problem = PlainName.problem(file.relative) {
                    tally?.record(.refused(file.relative, reason: problem))
                    continue
                }
                return file
            }
        }
        return nil
    }

    /// The next wanted object under `prefix` (the plan's by default), named relative to it; folder markers (`x/`)
    /// are left alone.
    private func nextObject(_ stream: inout ObjectStream, _ plan: SyncPlan, prefix: String? = nil)
        throws(PhonePackError) -> (relative: String, info: ObjectInfo)?
    {
        let prefix = prefix ?? plan.prefix
        while let object = try stream.next() {
            let relative = String(object.key.utf8.dropFirst(prefix.utf8.count)) ?? ""
            guard !relative.isEmpty, !relative.hasSuffixBytes("/"), plan.wanted(relative) else { continue }
            return (relative, object)
        }
        return nil
    }

    /// Whether a source item is left alone without a look at its content: its counterpart is kept on purpose
    /// (`--ignore-existing`, `--update`), or only sizes are compared and they match. Counted as skipped.
    private func skip(
        _ plan: SyncPlan, source size: Int64, _ modified: Int64?, _ counterpart: (size: Int64, modified: Int64?)?,
        _ tally: SyncTally
    ) -> Bool {
        guard plan.compare, let counterpart else { return false }
        if plan.keepsCounterpart(source: modified, destination: counterpart.modified)
            || (plan.sameWhen == .size && counterpart.size == size)
        {
            tally.skipped()
            return true
        }
        return false
    }

    private func skip(
        _ plan: SyncPlan, source size: Int64, _ modified: Int64?, _ counterpart: ObjectInfo?, _ tally: SyncTally
    ) -> Bool {
        skip(
            plan, source: size, modified,
            counterpart.map { ($0.size, CloudTime.parseISO8601($0.lastModified ?? "")) }, tally)
    }

    /// Deletes what the source lacks, a thousand keys per call.
    private func flushDeletes(
        _ doomed: inout [String], prefix: String, _ plan: SyncPlan, _ tally: SyncTally, force: Bool
    ) throws(PhonePackError) {
        guard !doomed.isEmpty, force || doomed.count >= 1000 else { return }
        if !plan.dryRun {
            let failures = try store.delete(keys: doomed.map { prefix + $0 })
            if let first = failures.first {
                throw PhonePackError(
                    .service, operation: "sync --delete", path: first.key,
                    message: "\(failures.count) objects could not be deleted (\(first.code))")
            }
        }
        for name in doomed { tally.record(.deleted(name)) }
        doomed.removeAll(keepingCapacity: true)
    }

    // MARK: Sameness

    /// Whether the open local file holds the object's content (sizes already match): by the MD5 when the ETag is
    /// one, else by the object's `sha256` metadata. A large unchanged file is compared by a recorded digest rather
    /// than read again: its MD5, or its SHA-256 against the metadata (one HEAD, much less than reading the file).
    func same(
        _ file: OpenFile, _ relative: String, _ status: FileStatus, _ object: ObjectInfo, key: String,
        cache: SyncHashCache
    ) throws(PhonePackError) -> Bool {
        let md5 = object.etag.flatMap(ObjectStoreClient.plainMD5)
        let recorded = cache.recorded(relative: relative, status: status)
        if let md5, let known = recorded?.md5 { return known == md5 }
        if md5 == nil || recorded?.sha256 != nil, let sha256 = try store.head(key).metadata["sha256"] {
            return try cache.digest(.sha256, of: file, relative: relative, status: status) == sha256.lowercased()
        }
        guard let md5 else { return false }
        return try cache.digest(.md5, of: file, relative: relative, status: status) == md5
    }

    /// ``same(_:_:_:_:key:cache:)`` for a local destination file (a sync down).
    func sameLocal(_ file: LocalWalk.File, _ object: ObjectInfo, key: String, _ cache: SyncHashCache)
        throws(PhonePackError) -> Bool
    {
        let opened = try file.open()
        return try same(opened, file.relative, try opened.status(), object, key: key, cache: cache)
    }

    /// Whether two objects of the same size hold the same bytes: both ETags plain MD5s and equal, else both
    /// `sha256` metadata equal. Unknown counts as different (the copy is made).
    static func sameObjects(
        _ source: ObjectStoreClient, _ sourceKey: String, _ a: ObjectInfo, _ destination: ObjectStoreClient,
        _ key: String, _ b: ObjectInfo
    ) throws(PhonePackError) -> Bool {
        if let x = a.etag.flatMap(ObjectStoreClient.plainMD5), let y = b.etag.flatMap(ObjectStoreClient.plainMD5) {
            return x == y
        }
        guard let x = try source.head(sourceKey).metadata["sha256"],
            let y = try destination.head(key).metadata["sha256"]
        else { return false }
        return x.lowercased() == y.lowercased()
    }
}
