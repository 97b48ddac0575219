/// The report being built and what the checks need, for one `verify` run.
struct VerifyState {
    let options: VerifyOptions
    let file: OpenFile
    var report: VerifyReport

    init(options: VerifyOptions, file: OpenFile, size: Int64) {
        self.options = options
        self.file = file
        report = VerifyReport(
            file: file.path, profile: options.profile, size: size, sha256: nil, format: nil,
            packageName: options.packageName, apk: nil, entries: 0, rules: [])
    }

    var profile: VerifyProfile { options.profile }

    mutating func skipArchiveRules(because reason: String) {
        for id in archiveRuleIDs {
            report.rules.append(RuleResult(id: id, status: .skip, detail: "not checked: \(reason)"))
        }
    }

    var archiveRuleIDs: [String] {
        switch profile {
        case .huaweiShareApp:
            ["package-name", "layout", "base-apk", "safe-paths", "file-types", "no-setid", "links", "unique-names"]
        case .huaweiShareFile, .huaweiPushFile:
            ["roots", "safe-paths", "file-types", "no-setid", "links", "unique-names"]
        case .alibabaSendFile:
            ["safe-paths", "file-types", "no-setid", "links", "unique-names"]
        }
    }

    // MARK: Tar

    mutating func scanTar() throws(PhonePackError) {
        let manifest = try options.manifestPath.map { (path) throws(PhonePackError) in
            try BuildManifest.read(path: path)
        }
        let expectedEntries = manifest.map {
            Dictionary($0.entries.map { (NameKey($0.path), $0) }, uniquingKeysWith: { a, _ in a })
        }
        var offenses = Offenses()
        var paths: [String] = []
        // Names by their bytes: two Unicode spellings of a name are two files on the phone.
        var seen: Set<[UInt8]> = []
        var files: Set<NameKey> = []
        var symlinks: [(path: String, target: String)] = []
        var apks: [TarEntry] = []
        var packages: Set<String> = []
        var entryDigest = Digest(.sha256)
        var format = "tar"
        let reader: TarReader
        do {
            reader = try TarReader(file: file, hashing: options.checksum == .compute)
            while let entry = try reader.next() {
                report.entries += 1
                let (path, problem) = EntryPath.normalize(entry.path)
                let name = entry.path
                // `./`, the entry for the archive's root that GNU tar writes, names no file: as extract, skip it.
                if let problem, !(problem == .empty && entry.kind == .directory) {
                    offenses.add("safe-paths", name, problem.description)
                }
                if !seen.insert(Array(path.utf8)).inserted && !path.isEmpty {
                    offenses.add("unique-names", name, "appears more than once (a later copy replaces the earlier)")
                }
                paths.append(path)
                if let package = SharedAppLayout.packageMentioned(in: path) { packages.insert(package) }
                switch entry.kind {
                case .file, .directory:
                    break
                case .symlink:
                    symlinks.append((path, entry.linkTarget ?? ""))
                case .hardlink:
                    let target = EntryPath.normalize(entry.linkTarget ?? "").path
                    if !files.contains(NameKey(target)) {
                        offenses.add(
                            "links", name,
                            "hard link to \(entry.linkTarget ?? "") which is not an earlier file of this tar")
                    }
                case .characterDevice, .blockDevice, .fifo, .socket, .unknown:
                    offenses.add("file-types", name, "is a \(entry.kind.rawValue)")
                }
                if entry.isSparse { offenses.add("file-types", name, "is a sparse file") }
                if entry.kind == .file {
                    files.insert(NameKey(path))
                    if path.hasSuffixBytes(".apk") {
                        apks.append(entry)
                    }
                }
                if entry.permissions & 0o4000 != 0 {
                    offenses.add("no-setid", name, "has the setuid bit (mode \(octalMode(entry.permissions)))")
                } else if entry.permissions & 0o2000 != 0 && entry.kind != .directory {
                    offenses.add("no-setid", name, "has the setgid bit (mode \(octalMode(entry.permissions)))")
                }
                if let expectedEntries {
                    try compare(
                        entry, path: path, with: expectedEntries[NameKey(entry.path)], digest: &entryDigest,
                        reader: reader,
                        offenses: &offenses)
                }
            }
            let (sha256, _) = try reader.finish()
            report.sha256 = sha256?.hexString
            if case .written(let sha256) = options.checksum { report.sha256 = sha256 }
            format = reader.formatName
        } catch let error where error.code == .corruptArchive || error.code == .unsupported {
            report.rules.append(RuleResult(id: "tar-format", status: .fail, detail: error.message))
            skipArchiveRules(because: "the archive is unreadable")
            if options.checksum == .compute { report.sha256 = try PackageVerifier.hashWholeFile(file) }
            return
        }
        report.format = format
        if let manifest {
            for entry in manifest.entries where !seen.contains(Array(EntryPath.normalize(entry.path).path.utf8)) {
                offenses.add("manifest-entries", entry.path, "is in the manifest but not in the tar")
            }
        }
        report.rules.append(
            RuleResult(
                id: "tar-format", status: .pass,
                detail: "uncompressed tar (\(format)), \(report.entries) entries, readable to the end"))
        let package = try resolvePackage(packages: packages, offenses: &offenses)
        switch profile {
        case .huaweiShareApp:
            if let package {
                let layout = SharedAppLayout(packageName: package)
                checkLayout(paths: paths, layout: layout, offenses: &offenses)
                checkLinks(symlinks, offenses: &offenses) { layout.area(of: $0) != nil }
                report.rules.append(
                    offenses.result(
                        "layout", pass: "every entry is under the four areas of \(package)",
                        fail:
                            "outside data/app/\(package)-*, data/data/\(package), data/media/0/Android/data/\(package), data/media/obb/\(package)"
                    ))
                if offenses.count("ancestors") > 0 {
                    report.rules.append(
                        offenses.result(
                            "ancestors", pass: "", failing: .warn,
                            fail: "would change the phone's own directories above the package (their owner and mode)"))
                }
                try checkBaseAPK(apks: apks, layout: layout)
            } else {
                report.rules.append(RuleResult(id: "layout", status: .skip, detail: "not checked: package unknown"))
                report.rules.append(RuleResult(id: "base-apk", status: .skip, detail: "not checked: package unknown"))
            }
        case .huaweiShareFile:
            for path in paths where !(EntryPath.isWithin(path, "data") || EntryPath.isWithin(path, "cache")) {
                offenses.add("roots", path, "is not under data/ or cache/")
            }
            checkLinks(symlinks, offenses: &offenses) {
                EntryPath.isWithin($0, "data") || EntryPath.isWithin($0, "cache")
            }
            report.rules.append(
                offenses.result(
                    "roots", pass: "every entry is under data/ or cache/",
                    fail: "outside data/ and cache/ (only those trees can be shared)"))
        case .huaweiPushFile:
            for path in paths where !EntryPath.isWithin(path, "data") {
                offenses.add("roots", path, "is not under data/")
            }
            checkLinks(symlinks, offenses: &offenses) { _ in true }
            report.rules.append(
                offenses.result(
                    "roots", pass: "every entry is under data/", failing: .warn,
                    fail: "outside data/; pushes into the system partition may fail"))
            let limit = PackageVerifier.pushFileLimit
            report.rules.append(
                report.size <= limit
                    ? RuleResult(id: "size", status: .pass, detail: "\(formatBytes(report.size)) ≤ PushFile's 6 GB")
                    : RuleResult(
                        id: "size", status: .fail,
                        detail:
                            "\(formatBytes(report.size)) is over PushFile's 6 GB limit; split the data into several tars"
                    ))
        case .alibabaSendFile:
            checkLinks(symlinks, offenses: &offenses) { _ in true }
        }
        report.rules.append(
            offenses.result("safe-paths", pass: "no absolute paths, '..' or unusable names", fail: "with unsafe names"))
        report.rules.append(
            offenses.result(
                "file-types", pass: "only files, folders and links",
                fail: "that cannot be pushed (devices, FIFOs, sockets, sparse files)"))
        report.rules.append(
            offenses.result(
                "no-setid", pass: "no setuid/setgid files (setgid folders, as Android's cache dirs, are fine)",
                fail: "with setuid/setgid bits"))
        report.rules.append(
            offenses.result(
                "links", pass: "every link stays inside the allowed areas", fail: "with links pointing outside"))
        report.rules.append(offenses.result("unique-names", pass: "no name appears twice", fail: "duplicated"))
        if options.manifestPath != nil {
            report.rules.append(
                offenses.result(
                    "manifest-entries", pass: "every entry matches the manifest", fail: "differ from the manifest"))
        }
    }

    /// The package the tar is for: `--package` (checked against CPH's rule), or the one package its paths name.
    mutating func resolvePackage(packages: Set<String>, offenses: inout Offenses) throws(PhonePackError) -> String? {
        guard profile == .huaweiShareApp || options.packageName != nil else { return nil }
        let package: String
        if let given = options.packageName {
            package = given
        } else if packages.count == 1 {
            package = packages.first!
        } else {
            let detail =
                packages.isEmpty
                ? "no package found in the layout; give --package"
                : "the tar holds several packages (\(packages.sorted().joined(separator: ", "))); a shared-app tar holds one"
            report.rules.append(RuleResult(id: "package-name", status: .fail, detail: detail))
            return nil
        }
        report.packageName = package
        let check = FieldRules.packageName(package)
        if let violation = check.violation {
            report.rules.append(RuleResult(id: "package-name", status: .fail, detail: "\(package): \(violation)"))
        } else if let warning = check.warnings.first {
            report.rules.append(RuleResult(id: "package-name", status: .warn, detail: "\(package): \(warning)"))
        } else {
            report.rules.append(RuleResult(id: "package-name", status: .pass, detail: package))
        }
        return package
    }

    func checkLayout(paths: [String], layout: SharedAppLayout, offenses: inout Offenses) {
        for path in paths where layout.area(of: path) == nil {
            if SharedAppLayout.ancestorDirectories.contains(path) {
                offenses.add("ancestors", path, "is a directory above the package's areas")
            } else {
                offenses.add("layout", path, "is outside the package's areas")
            }
        }
    }

    func checkLinks(
        _ symlinks: [(path: String, target: String)], offenses: inout Offenses, allowed: (String) -> Bool
    ) {
        for link in symlinks {
            guard let resolved = EntryPath.resolveLink(at: link.path, target: link.target) else {
                offenses.add("links", link.path, "symlink to \(link.target) climbs above the root")
                continue
            }
            if !allowed(resolved) { offenses.add("links", link.path, "symlink to \(link.target) points outside") }
        }
    }

    mutating func checkBaseAPK(apks: [TarEntry], layout: SharedAppLayout) throws(PhonePackError) {
        let candidates = apks.filter { layout.isBaseAPK(EntryPath.normalize($0.path).path) }
        guard !candidates.isEmpty else {
            report.rules.append(
                RuleResult(
                    id: "base-apk", status: .fail,
                    detail:
                        "no data/app/\(layout.packageName)-*/base.apk; the phone has nothing to install (INSTALL_FAILED_INVALID_APK: missing base APK)"
                ))
            return
        }
        var problems: [RuleResult.Offender] = []
        for entry in candidates {
            do {
                let name = "\(file.path):\(entry.path)"
                let info = try APKInfo.read(
                    from: file, offset: entry.dataOffset, length: entry.size, displayName: name,
                    signatures: options.checkInstall)
                if info.packageName == layout.packageName {
                    report.apk = info
                    report.rules.append(
                        RuleResult(
                            id: "base-apk", status: .pass,
                            detail: "\(entry.path) is \(info.packageName) \(info.versionDescription)"))
                    if options.checkInstall {
                        // The splits: the other APKs of the same folder (data/app/<package>-<suffix>/).
                        let folder = EntryPath.normalize(entry.path).path.utf8.dropLast("base.apk".utf8.count)
                        var splits: [(name: String, info: APKInfo)] = []
                        for other in apks where other.path != entry.path {
                            let path = EntryPath.normalize(other.path).path
                            guard path.utf8.starts(with: folder),
                                !path.utf8.dropFirst(folder.count).contains(UInt8(ascii: "/"))
                            else { continue }
                            let splitName = "\(file.path):\(other.path)"
                            splits.append(
                                (
                                    splitName,
                                    try APKInfo.read(
                                        from: file, offset: other.dataOffset, length: other.size,
                                        displayName: splitName, signatures: true)
                                ))
                        }
                        checkInstallable(base: (name, info), splits: splits)
                    }
                    return
                }
                problems.append(.init(entry: entry.path, reason: "its manifest says package \(info.packageName)"))
            } catch {
                problems.append(.init(entry: entry.path, reason: error.message))
            }
        }
        report.rules.append(
            RuleResult(
                id: "base-apk", status: .fail,
                detail: "no base.apk whose manifest package is \(layout.packageName)", offenders: problems,
                offenderCount: problems.count))
    }

    func compare(
        _ entry: TarEntry, path: String, with expected: EntryRecord?, digest: inout Digest, reader: TarReader,
        offenses: inout Offenses
    ) throws(PhonePackError) {
        guard let expected else {
            offenses.add("manifest-entries", entry.path, "is not in the manifest")
            return
        }
        var differences: [String] = []
        if expected.type != entry.kind { differences.append("type \(entry.kind.rawValue) ≠ \(expected.type.rawValue)") }
        if expected.size != entry.size { differences.append("size \(entry.size) ≠ \(expected.size)") }
        if expected.mode != octalMode(entry.permissions) {
            differences.append("mode \(octalMode(entry.permissions)) ≠ \(expected.mode)")
        }
        if expected.uid != entry.uid || expected.gid != entry.gid {
            differences.append("owner \(entry.uid):\(entry.gid) ≠ \(expected.uid):\(expected.gid)")
        }
        if entry.kind == .file, let sha = expected.sha256 {
            try reader.forEachDataBlock { digest.update($0) }
            let actual = digest.finalize().hexString
            if actual != sha { differences.append("SHA-256 \(actual.prefix(12))… ≠ \(sha.prefix(12))…") }
        }
        if !differences.isEmpty {
            offenses.add("manifest-entries", entry.path, differences.joined(separator: ", "))
        }
    }

    // MARK: Plain files (SendFile)

    mutating func checkPlainFile(isAPK: Bool) throws(PhonePackError) {
        report.sha256 = try PackageVerifier.hashWholeFile(file)
        guard isAPK else {
            report.rules.append(
                RuleResult(id: "file-type", status: .pass, detail: "a plain file (SendFile copies it as is)"))
            return
        }
        do {
            let info = try APKInfo.read(from: file, signatures: options.checkInstall)
            report.apk = info
            report.rules.append(
                RuleResult(id: "apk", status: .pass, detail: "\(info.packageName) \(info.versionDescription)"))
            if options.checkInstall {
                if info.splitName == nil {
                    checkInstallable(base: (file.path, info), splits: [])
                } else {
                    let problems = InstallRules.problems(base: nil, splits: [(file.path, info)])
                    report.rules.append(
                        RuleResult(
                            id: "installable", status: .fail, detail: "a split APK cannot be installed alone",
                            offenders: problems.map { .init(entry: $0.location, reason: $0.line) },
                            offenderCount: problems.count))
                }
            }
            if let expected = options.packageName, expected != info.packageName {
                report.rules.append(
                    RuleResult(
                        id: "package-name", status: .fail,
                        detail: "the APK is \(info.packageName), not \(expected)"))
            } else {
                report.packageName = info.packageName
                report.rules.append(RuleResult(id: "package-name", status: .pass, detail: info.packageName))
            }
        } catch {
            report.rules.append(RuleResult(id: "apk", status: .fail, detail: error.message))
        }
    }
}
