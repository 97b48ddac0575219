/// Plans a shared-app tar from a batch-storage export of a seed phone (the workflow Huawei documents): keeps only
/// the package's four areas, with owners, modes, times and SELinux labels exactly as exported.
enum ExportRepacker {
    static func plan(export file: OpenFile, options: BuildOptions) throws(PhonePackError) -> BuildPlan {
        let reader = try TarReader(file: file)
        var candidates: [TarEntry] = []
        var packagesSeen: Set<String> = []
        var total = 0
        while let entry = try reader.next() {
            total += 1
            let (path, problem) = EntryPath.normalize(entry.path)
            // The export is the user's own; a leading '/' is how some exporters spell the phone root.
            if let problem, problem != .absolute {
                throw PhonePackError(
                    .corruptArchive, operation: "read export", path: "\(file.path):\(entry.path)",
                    message: "cannot be re-packed: \(problem)")
            }
            if path.hasPrefixBytes(SharedAppLayout.appParent + "/"),
                let package = SharedAppLayout.packageMentioned(in: path)
            {
                packagesSeen.insert(package)
            }
            var normalized = entry
            normalized.path = path
            if entry.kind == .hardlink, let target = entry.linkTarget {
                normalized.linkTarget = EntryPath.normalize(target).path
            }
            candidates.append(normalized)
        }
        _ = try reader.finish()

        let package: String
        if let requested = options.packageName {
            package = requested
        } else if packagesSeen.count == 1 {
            package = packagesSeen.first!
        } else {
            let found = packagesSeen.isEmpty ? "none" : packagesSeen.sorted().joined(separator: ", ")
            throw PhonePackError(
                .invalidInput, operation: "read export", path: file.path,
                message: "choose the app with --package (apps under data/app: \(found))")
        }
        let layout = SharedAppLayout(packageName: package)
        var plan = BuildPlan(
            layout: layout, package: APKInfo(packageName: package, abis: [], permissions: []), baseAPK: ("", 0, nil))
        // By bytes: a hard link names exactly one earlier entry, never another spelling of it. What each name is
        // at this point of the archive (the last copy wins), a hard link resolved to the file or symlink it is.
        var kept: [NameKey: TarEntry] = [:]
        var hardlinks: [(link: TarEntry, target: TarEntry)] = []
        var baseAPK: TarEntry?
        for entry in candidates where layout.area(of: entry.path) != nil {
            let where_ = "\(file.path):\(entry.path)"
            if entry.isSparse {
                throw PhonePackError(
                    .unsupported, operation: "read export", path: where_, message: "is a sparse file; cannot re-pack it"
                )
            }
            var header = TarEntryHeader(
                path: entry.path, kind: .directory, permissions: entry.permissions, uid: UInt32(clamping: entry.uid),
                gid: UInt32(clamping: entry.gid),
                mtime: options.mtime.map { min(FileTime(seconds: $0), entry.mtime) } ?? entry.mtime,
                xattrs: entry.xattrs.map { ($0.name, $0.value) })
            switch entry.kind {
            case .directory:
                plan.entries.append(PlannedEntry(header: header, source: .none))
            case .file:
                header.kind = .file(size: entry.size)
                kept[NameKey(entry.path)] = entry
                plan.entries.append(PlannedEntry(header: header, source: .archive(offset: entry.dataOffset)))
                if layout.isBaseAPK(entry.path) { baseAPK = entry }
            case .symlink:
                header.kind = .symlink(target: entry.linkTarget ?? "")
                kept[NameKey(entry.path)] = entry
                plan.entries.append(PlannedEntry(header: header, source: .none))
            case .hardlink:
                guard let target = entry.linkTarget.flatMap({ kept[NameKey($0)] }) else {
                    throw PhonePackError(
                        .invalidInput, operation: "read export", path: where_,
                        message:
                            "is a hard link to \(entry.linkTarget ?? "?"), which is not an earlier file or symlink of \(package)"
                    )
                }
                kept[NameKey(entry.path)] = target
                hardlinks.append((entry, target))
            default:
                throw PhonePackError(
                    .invalidInput, operation: "read export", path: where_,
                    message: "is a \(entry.kind.rawValue); an app tar may not hold one")
            }
        }
        plan.droppedEntries = total - plan.entries.count - hardlinks.count
        // A hard link becomes a copy of what it names: sorting may put it before its target, and a tar's hard link
        // must name an earlier entry. A copy is the same inode on the phone: it keeps the target's extended
        // attributes (its SELinux label) when the link entry carries none of its own, as GNU tar writes them.
        for (link, target) in hardlinks {
            plan.entries.append(
                PlannedEntry(
                    header: TarEntryHeader(
                        path: link.path,
                        kind: target.kind == .symlink
                            ? .symlink(target: target.linkTarget ?? "") : .file(size: target.size),
                        permissions: link.permissions,
                        uid: UInt32(clamping: link.uid), gid: UInt32(clamping: link.gid),
                        mtime: options.mtime.map { min(FileTime(seconds: $0), link.mtime) } ?? link.mtime,
                        xattrs: (link.xattrs.isEmpty ? target.xattrs : link.xattrs).map { ($0.name, $0.value) }),
                    source: target.kind == .symlink ? .none : .archive(offset: target.dataOffset)))
        }
        // A name the export lists twice is written once, with its last copy: what extract, cat and diff take.
        var written: Set<NameKey> = []
        plan.entries = plan.entries.reversed().filter { written.insert(NameKey($0.header.path)).inserted }.reversed()
        guard let baseAPK else {
            throw PhonePackError(
                .invalidInput, operation: "read export", path: file.path,
                message: "has no data/app/\(package)-*/base.apk; export with include_files /data/app/\(package)-*")
        }
        let info = try APKInfo.read(
            from: file, offset: baseAPK.dataOffset, length: baseAPK.size,
            displayName: "\(file.path):\(baseAPK.path)")
        try SharedAppBuilder.confirmPackage(package, manifest: info.packageName, source: "\(file.path):\(baseAPK.path)")
        plan.package = info
        plan.baseAPK = (baseAPK.path, baseAPK.dataOffset, baseAPK.size)
        return plan
    }
}
