import Glibc

/// Builds the tar CPH PushShareApps accepts: the shared-app layout, Android owners and modes, sorted entries and a
/// fixed mtime so the same input always gives the same bytes, SHA-256 computed while writing.
public enum SharedAppBuilder {
    public static func build(_ options: BuildOptions) throws(PhonePackError) -> BuildResult {
        var (plan, exportFile) = try makePlan(options)
        plan.entries.sort { EntryPath.precedes($0.header.path, $1.header.path) }
        try plan.validate()
        return try write(plan, options: options, exportFile: exportFile)
    }

    /// The base APK a build of `options` would pack, read with its signatures: for the checks a release makes
    /// before anything is built or uploaded.
    public static func baseAPK(_ options: BuildOptions) throws(PhonePackError) -> APKInfo {
        let (plan, exportFile) = try makePlan(options)
        let base = plan.baseAPK
        let file: OpenFile
        if let exportFile { file = exportFile } else { file = try OpenFile.forReading(base.path) }
        return try APKInfo.read(
            from: file, offset: base.offset, length: base.length,
            displayName: exportFile.map { "\($0.path):\(base.path)" } ?? base.path, signatures: true)
    }

    private static func makePlan(_ options: BuildOptions) throws(PhonePackError) -> (BuildPlan, OpenFile?) {
        switch options.input {
        case .directory(let path):
            return (try planDirectory(path, options: options), nil)
        case .apks(let paths):
            return (try planAPKs(paths, extras: nil, options: options), nil)
        case .export(let path):
            let file = try OpenFile.forReading(path)
            return (try ExportRepacker.plan(export: file, options: options), file)
        }
    }

    // MARK: Planning from a folder or APK files

    static func planDirectory(_ root: String, options: BuildOptions) throws(PhonePackError) -> BuildPlan {
        let status = try FileStatus.of(root)
        guard status.isDirectory else {
            throw PhonePackError(.invalidInput, operation: "read input", path: root, message: "is not a directory")
        }
        var apks: [String] = []
        var extras: [SharedAppLayout.Area: String] = [:]
        for name in try sortedDirectoryEntries(root) {
            let path = joinPath(root, name)
            switch name {
            case "lib": extras[.app] = path
            case "data": extras[.data] = path
            case "external": extras[.external] = path
            case "obb": extras[.obb] = path
            case _ where name.hasSuffix(".apk"): apks.append(path)
            default:
                throw PhonePackError(
                    .invalidInput, operation: "read input", path: path,
                    message:
                        "is not part of the app layout; the folder may hold *.apk, lib/, data/, external/ and obb/ (see phonepack build --help)"
                )
            }
        }
        for (area, path) in extras where !(try FileStatus.of(path).isDirectory) {
            throw PhonePackError(
                .invalidInput, operation: "read input", path: path,
                message: "must be a folder (it becomes the \(area.rawValue) area)")
        }
        guard !apks.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "read input", path: root,
                message: "holds no .apk file; put the app's base APK (and splits) at the top of the folder")
        }
        return try planAPKs(apks, extras: extras, options: options)
    }

    static func planAPKs(_ apkPaths: [String], extras: [SharedAppLayout.Area: String]?, options: BuildOptions)
        throws(PhonePackError) -> BuildPlan
    {
        var base: (path: String, info: APKInfo)?
        var splits: [(path: String, info: APKInfo)] = []
        for path in apkPaths {
            let info = try APKInfo.read(path: path)
            if info.splitName == nil {
                if let base {
                    throw PhonePackError(
                        .invalidInput, operation: "read APKs", path: path,
                        message: "is a second base APK (\(base.path) is one too); give one app at a time")
                }
                base = (path, info)
            } else {
                splits.append((path, info))
            }
        }
        guard let base else {
            throw PhonePackError(
                .invalidInput, operation: "read APKs", path: apkPaths[0],
                message: "only split APKs were given; add the base APK")
        }
        let package = base.info.packageName
        try confirmPackage(options.packageName, manifest: package, source: base.path)
        for split in splits where split.info.packageName != package {
            throw PhonePackError(
                .invalidInput, operation: "read APKs", path: split.path,
                message: "belongs to \(split.info.packageName), not to \(package) like \(base.path)")
        }
        var info = base.info
        info.abis = Array(Set(([base] + splits).flatMap(\.info.abis))).sorted()

        let layout = SharedAppLayout(packageName: package)
        var files: [(source: String, archivePath: String)] = [(base.path, "base.apk")]
        for split in splits {
            files.append((split.path, "split_\(split.info.splitName!).apk"))
        }
        // Without --mtime or SOURCE_DATE_EPOCH, the newest input decides, so rebuilding unchanged input is stable.
        var newest: Int64 = 0
        var plan = BuildPlan(layout: layout, package: info, baseAPK: (base.path, 0, nil))
        var walked: [(area: SharedAppLayout.Area, entries: [DirectoryWalk.Entry])] = []
        for (area, folder) in (extras ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let entries = try DirectoryWalk.entries(of: folder)
            if let special = entries.first(where: {
                !($0.status.isDirectory || $0.status.isRegular || $0.status.isSymlink)
            }) {
                throw PhonePackError(
                    .invalidInput, operation: "read input", path: joinPath(special.directory, special.name),
                    message: "is a device, FIFO or socket; an app tar may hold only files, folders and symlinks")
            }
            newest = entries.reduce(newest) { max($0, $1.status.mtime) }
            walked.append((area, entries))
        }
        var apkStatuses: [FileStatus] = []
        for file in files {
            let status = try FileStatus.of(file.source)
            newest = max(newest, status.mtime)
            apkStatuses.append(status)
        }
        let mtime = options.mtime ?? newest
        func ownership(_ area: SharedAppLayout.Area) -> AreaOwnership {
            options.ownership[area] ?? .androidDefault(area)
        }

        let app = ownership(.app)
        plan.add(directory: layout.root(.app), app.uid, app.gid, app.directoryMode, mtime)
        for (file, status) in zip(files, apkStatuses) {
            plan.entries.append(
                PlannedEntry(
                    header: TarEntryHeader(
                        path: layout.root(.app) + "/" + file.archivePath, kind: .file(size: status.size),
                        permissions: app.fileMode, uid: app.uid, gid: app.gid, mtime: FileTime(seconds: mtime)),
                    source: .file(directory: parentDirectory(file.source), name: lastPathComponent(file.source))))
        }
        for (area, entries) in walked {
            let owner = ownership(area)
            let root = area == .app ? layout.root(.app) + "/lib" : layout.root(area)
            var rootMode = owner.directoryMode
            if area == .data && options.ownership[.data] == nil {
                // installd: the package's data directory is 0700 for targetSdk >= 28, 0751 before.
                rootMode = (info.targetSdk ?? 28) >= 28 ? 0o700 : 0o751
            }
            plan.add(directory: root, owner.uid, owner.gid, rootMode, mtime)
            for entry in entries {
                let path = root + "/" + entry.relativePath
                let kind: TarEntryHeader.Kind
                let mode: UInt32
                var source = PlannedEntry.Source.none
                if entry.status.isDirectory {
                    kind = .directory
                    mode = owner.directoryMode
                } else if entry.status.isSymlink {
                    kind = .symlink(target: entry.linkTarget ?? "")
                    mode = 0o777
                } else {
                    kind = .file(size: entry.status.size)
                    // Native libraries are mapped executable on Android; elsewhere keep the source's owner-execute bit.
                    mode = owner.mode(forFileExecutable: area == .app || entry.status.permissions & 0o100 != 0)
                    source = .file(directory: entry.directory, name: entry.name)
                }
                plan.entries.append(
                    PlannedEntry(
                        header: TarEntryHeader(
                            path: path, kind: kind, permissions: mode, uid: owner.uid, gid: owner.gid,
                            mtime: FileTime(seconds: mtime)),
                        source: source))
            }
        }
        return plan
    }

    static func confirmPackage(_ expected: String?, manifest: String, source: String) throws(PhonePackError) {
        if let expected, expected != manifest {
            throw PhonePackError(
                .invalidInput, operation: "check package", path: source,
                message:
                    "its manifest says package \(manifest), but --package says \(expected); fix --package or use the right APK"
            )
        }
        let check = FieldRules.packageName(manifest)
        if let violation = check.violation {
            throw PhonePackError(
                .invalidInput, operation: "check package", path: source,
                message: "package name \(manifest) is not accepted by CPH: \(violation)")
        }
    }

    // MARK: Writing

    static func write(_ plan: BuildPlan, options: BuildOptions, exportFile: OpenFile?) throws(PhonePackError)
        -> BuildResult
    {
        if let makeStream = options.stream {
            let stream = try makeStream(plan.estimatedSize)
            do {
                return try write(plan, options: options, exportFile: exportFile, writer: TarWriter(stream: stream)) {
                    (sha256, size) throws(PhonePackError) in
                    try stream.finish(sha256: sha256, size: size)
                    return stream.name + ".sha256"
                }
            } catch {
                stream.abandon()
                throw error
            }
        }
        let output = try AtomicOutputFile(destination: options.output)
        return try write(plan, options: options, exportFile: exportFile, writer: TarWriter(output: output.file)) {
            (sha256, size) throws(PhonePackError) in
            let checksumFile = options.output + ".sha256"
            try AtomicOutputFile.write(
                ChecksumLine.make(sha256: sha256, name: lastPathComponent(options.output)), to: checksumFile)
            try output.commit()
            return checksumFile
        }
    }

    /// Writes the planned entries through `writer`; `finish` gets the SHA-256 and size, puts the archive in place
    /// and returns where its checksum went.
    private static func write(
        _ plan: BuildPlan, options: BuildOptions, exportFile: OpenFile?, writer: TarWriter,
        finish: (String, Int64) throws(PhonePackError) -> String
    ) throws(PhonePackError) -> BuildResult {
        var manifest: [EntryRecord] = []
        var entryDigest = Digest(.sha256)
        var fileCount = 0
        var payload: Int64 = 0
        var parent: OpenFile?

        for entry in plan.entries {
            var header = entry.header
            if header.kind == .directory { header.path += "/" }
            try writer.writeHeader(header)
            guard case .file(let size) = header.kind else {
                if options.writeManifest { manifest.append(EntryRecord(header, sha256: nil)) }
                continue
            }
            fileCount += 1
            payload += size
            let source: OpenFile
            var offset: Int64 = 0
            switch entry.source {
            case .file(let directory, let name):
                if parent?.path != directory { parent = try OpenFile.directory(directory) }
                source = try OpenFile.forReading(name, in: parent!)
            case .archive(let start):
                source = exportFile!
                offset = start
            case .none: preconditionFailure("file entry without a source")
            }
            var remaining = size
            let fromArchive = if case .archive = entry.source { true } else { false }
            while remaining > 0 {
                // Read straight into the output pipeline's buffer: hashed and written from there.
                let n = try writer.writeData(upTo: remaining) { (slice) throws(PhonePackError) in
                    let n =
                        fromArchive
                        ? try source.read(fromAbsoluteOffset: offset, into: slice) : try source.read(into: slice)
                    if options.writeManifest { entryDigest.update(UnsafeRawBufferPointer(rebasing: slice[0..<n])) }
                    return n
                }
                guard n > 0 else {
                    throw PhonePackError(
                        .io, operation: "read", path: source.path,
                        message: "ended after \(size - remaining) of \(size) bytes; did it change during the build?")
                }
                remaining -= Int64(n)
                offset += Int64(n)
            }
            if options.writeManifest {
                manifest.append(EntryRecord(header, sha256: entryDigest.finalize().hexString))
            }
        }
        let (digest, size) = try writer.finish()
        let sha256 = digest!.hexString
        let name = lastPathComponent(options.output)
        // The manifest is written first but given its name only after the tar has its own: a build that fails
        // (a full disk) leaves neither behind.
        var manifestOutput: AtomicOutputFile?
        if options.writeManifest {
            let document = BuildManifest(
                archive: .init(name: name, size: size, sha256: sha256), apk: plan.package,
                entries: manifest, totals: .init(entries: plan.entries.count, files: fileCount, bytes: payload))
            manifestOutput = try AtomicOutputFile(destination: options.output + ".manifest.json")
            try manifestOutput!.file.writeAll(try document.encoded())
        }
        let checksumFile = try finish(sha256, size)
        try manifestOutput?.commit()
        let manifestFile = manifestOutput?.destination
        return BuildResult(
            output: options.output, sha256: sha256, size: size, package: plan.package, entries: plan.entries.count,
            files: fileCount, payloadBytes: payload, checksumFile: checksumFile, manifestFile: manifestFile,
            droppedEntries: plan.droppedEntries)
    }
}
