import ArgumentParser
import PhonePackCore

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a tar or APK holds, without extracting anything.",
        discussion: """
            For a tar: entry counts, total bytes, the apps found (package, version, ABIs from each \
            data/app/*/base.apk) and the largest files; --long lists entries like 'tar tv' with numeric \
            owners; --tree shows folders with their total sizes.
            For an APK: package, version, SDK levels, ABIs, permissions, the signature schemes present and \
            verified (as apksigner verify judges them), each signer's certificate (subject, SHA-256 as apksigner \
            prints it, key algorithm and size) and, for a rotated key, the lineage oldest first.

            Examples:
              phonepack inspect app.tar                  # package, version, areas, sizes
              phonepack inspect export.tar --summary     # apps, sizes, owners, labels
              phonepack inspect export.tar --long        # like tar -tvf
              phonepack inspect base.apk --json
              phonepack inspect export.tar --html export.html  # open in a browser
            """
    )

    @Argument(help: "A .tar or .apk file.", completion: .file())
    var file: String

    @Flag(name: .shortAndLong, help: "List every entry: mode, owner, size, time (UTC), name.")
    var long = false

    @Flag(help: "Show the entries as a folder tree with sizes.")
    var tree = false

    @Flag(help: "For exported phone data: per app sizes, owner and SELinux label, largest folders, suspicious entries.")
    var summary = false

    @Option(
        help: ArgumentHelp(
            "Also write a self-contained HTML page: a treemap of the file data by package and area, the apps, the largest files, suspicious entries.",
            valueName: "page.html"))
    var html: String?

    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        // The listing alone is streamed: nothing is kept per entry.
        if long, !tree, !summary, html == nil, !outputOptions.json,
            try FileKind.sniff(OpenFile.forReading(file)) == .tar
        {
            try printListing { (line) throws(PhonePackError) in try ArchiveInspector.forEachEntry(of: file, line) }
            return
        }
        let report = try ArchiveInspector.inspect(
            path: file, listEntries: long || tree || outputOptions.json, exportSummary: summary || html != nil)
        if let html {
            guard report.apk == nil else { throw ValidationError("--html takes a tar, not an APK") }
            try writePage(html, InspectPage.render(report), quiet: outputOptions.silent)
        }
        if outputOptions.json {
            print(JSONOutput.string(report))
            return
        }
        if let apk = report.apk {
            printAPK(apk)
            return
        }
        if long, let entries = report.entries { try printListing { line in entries.forEach(line) } }
        if tree, let entries = report.entries { printTree(PathTree.build(entries)) }
        // --long is the listing alone, as `tar tv` prints it (scripts read it line by line).
        if let summary = report.summary, !long { printSummary(report, summary) }
        if let export = report.export { printExport(export) }
    }

    private func printExport(_ e: ExportSummary) {
        for app in e.apps {
            let version = [app.versionName, app.versionCode.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
            say("  app data     \(app.packageName)\(version.isEmpty ? "" : " " + version)")
            say(
                "                 data \(formatBytes(app.appDataBytes)), external \(formatBytes(app.externalDataBytes)), obb \(formatBytes(app.obbBytes))"
            )
            if let uid = app.ownerUID {
                say("                 uid \(uid)\(app.selinuxLabel.map { ", label \($0)" } ?? "")")
            }
        }
        if !e.largestDirectories.isEmpty {
            say("  largest folders")
            for folder in e.largestDirectories {
                say("    \(formatBytes(folder.bytes).padded(to: 10)) \(folder.path)/")
            }
        }
        say("  links        \(e.symlinks) symlinks, \(e.hardlinks) hard links, \(e.specialFiles) special files")
        say(
            "  suspicious   \(e.suspiciousCount) (what extract would refuse, skip or change; symlinks out of the export)"
        )
        for note in e.suspicious { say("    \(note.entry): \(note.reason)") }
    }

    private func printAPK(_ apk: APKInfo) {
        say("\(file): APK")
        say("  package      \(apk.packageName)")
        if let split = apk.splitName { say("  split        \(split)") }
        say("  version      \(apk.versionDescription)")
        say(
            "  sdk          min \(apk.minSdk.map(String.init) ?? "?"), target \(apk.targetSdk.map(String.init) ?? "?")")
        say("  abis         \(apk.abis.isEmpty ? "none (no native code)" : apk.abis.joined(separator: " "))")
        // One say per line: say escapes a newline inside its text (text from an APK is hostile).
        for (index, permission) in (apk.permissions.isEmpty ? ["none"] : apk.permissions).enumerated() {
            say("  \(index == 0 ? "permissions" : "           ")  \(permission)")
        }
        guard let signature = apk.signature else { return }
        let schemes = signature.schemes.map { "\($0.name)\($0.verified ? " (verified)" : "")" }
        say("  schemes      \(schemes.isEmpty ? "none" : schemes.joined(separator: ", "))")
        say(
            "  signature    \(signature.verified ? "verifies" : "DOES NOT VERIFY: \(signature.failure?.description ?? "")")"
        )
        for (index, signer) in signature.signers.enumerated() {
            say("  signer \(index + 1)     \(signer.subject)")
            say("               SHA-256 \(signer.sha256), \(signer.keyAlgorithm) \(signer.keyBits)")
        }
        for (index, certificate) in signature.lineage.enumerated() {
            say("  lineage \(index + 1)    \(certificate.subject), SHA-256 \(certificate.sha256)")
        }
    }

    /// Prints the entries `each` gives as `tar -tv` lines, gathered and printed 64 KiB at a time (one print per
    /// entry was a third of the command's time).
    private func printListing(
        _ each: (_ line: (EntryRecord) -> Void) throws(PhonePackError) -> Void
    ) throws(PhonePackError) {
        var width = 19
        var block = ""
        block.reserveCapacity(1 << 16 + 4096)
        try each { entry in
            block += listingLine(entry, ownerSizeWidth: &width)
            block += "\n"
            if block.utf8.count >= 1 << 16 {
                print(block, terminator: "")
                block.removeAll(keepingCapacity: true)
            }
        }
        print(block, terminator: "")
    }

    /// One line as GNU tar's `tar -tv --numeric-owner` prints it in UTC: owner left, size right-aligned so that
    /// the two fill `ownerSizeWidth` (19 at first, widened for good by a longer pair, as tar does).
    private func listingLine(_ entry: EntryRecord, ownerSizeWidth width: inout Int) -> String {
        let typeChar: Character =
            switch entry.type {
            case .directory: "d"
            case .symlink: "l"
            case .hardlink: "h"
            case .characterDevice: "c"
            case .blockDevice: "b"
            case .fifo: "p"
            case .socket: "s"
            default: "-"
            }
        let owner = "\(entry.uid)/\(entry.gid)"
        let size = String(entry.size)
        width = max(width, owner.count + 1 + size.count)
        var line = "\(typeChar)\(permissionString(entry.mode)) \(owner) "
        line += String(repeating: " ", count: width - owner.count - 1 - size.count) + size
        // Names come from the archive: quoted as tar quotes them, which also leaves no control byte raw.
        func quoted(_ name: String) -> String { TarQuoting.quote(ArchiveName.bytes(of: name)) }
        line += " \(formatUTCMinute(entry.mtime)) \(quoted(entry.path))"
        if let target = entry.linkTarget {
            line += entry.type == .hardlink ? " link to \(quoted(target))" : " -> \(quoted(target))"
        }
        return line
    }

    private func printTree(_ root: PathTree) {
        func visit(_ node: PathTree, _ prefix: String) {
            let children = node.sortedChildren
            for (i, child) in children.enumerated() {
                let last = i == children.count - 1
                var label = child.name
                if let entry = child.entry, entry.type == .symlink { label += " -> \(entry.linkTarget ?? "")" }
                if !child.children.isEmpty || child.entry?.type == .directory { label += "/" }
                say("\(prefix)\(last ? "└── " : "├── ")\(label)  (\(formatBytes(child.size)))")
                visit(child, prefix + (last ? "    " : "│   "))
            }
        }
        say(".  (\(formatBytes(root.size)))")
        visit(root, "")
    }

    private func printSummary(_ report: InspectReport, _ s: InspectReport.Summary) {
        say("\(report.file): \(report.format ?? "tar"), \(formatBytes(report.size))")
        say(
            "  entries      \(s.entries): \(s.files) files, \(s.directories) folders, \(s.symlinks) symlinks, \(s.hardlinks) hard links, \(s.specialFiles) special"
        )
        say("  file bytes   \(s.totalBytes) (\(formatBytes(s.totalBytes)))")
        // An export holds apps' data without their APKs: those are listed below as "app data", not "none".
        if s.packages.isEmpty && (report.export?.apps.isEmpty ?? true) {
            say("  apps         none (no data/app/*/base.apk, no app data)")
        }
        for app in s.packages {
            if let error = app.error {
                say("  app          \(app.apkPath): unreadable: \(error)")
                continue
            }
            let version = [app.versionName, app.versionCode.map { "(\($0))" }].compactMap { $0 }.joined(separator: " ")
            let abis = app.abis.isEmpty ? "no native code" : app.abis.joined(separator: " ")
            say("  app          \(app.packageName) \(version), \(abis)  [\(app.apkPath)]")
        }
        if !s.largestFiles.isEmpty {
            say("  largest files")
            for item in s.largestFiles {
                say("    \(formatBytes(item.size).padded(to: 10)) \(item.path)")
            }
        }
    }
}

/// `rwxr-xr-x` from `"0755"`, with s/S/t/T for the special bits, as `ls -l` prints them.
func permissionString(_ octal: String) -> String {
    guard let mode = UInt32(octal, radix: 8) else { return "?????????" }
    var text = Array("---------".utf8)
    for (index, letter) in "rwxrwxrwx".utf8.enumerated() where mode & (0o400 >> UInt32(index)) != 0 {
        text[index] = letter
    }
    // setuid, setgid, sticky: lower case over an x, upper case where x is missing.
    for (index, bit, letter) in [(2, UInt32(0o4000), "s"), (5, 0o2000, "s"), (8, 0o1000, "t")] where mode & bit != 0 {
        let lower = letter.utf8.first!
        text[index] = text[index] == UInt8(ascii: "x") ? lower : lower - 32
    }
    return String(decoding: text, as: UTF8.self)
}
