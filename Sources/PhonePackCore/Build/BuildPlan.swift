import Glibc

/// One entry of the tar to be written and where its data comes from.
struct PlannedEntry {
    enum Source {
        case none
        /// A file on disk, as its folder and name so siblings open relative to one folder descriptor.
        case file(directory: String, name: String)
        /// A byte range of the export tar (the data of one of its entries).
        case archive(offset: Int64)
    }

    var header: TarEntryHeader
    var source: Source
}

/// The entries of a shared-app tar before they are written.
struct BuildPlan {
    var layout: SharedAppLayout
    var package: APKInfo
    /// Where the base APK's bytes are: a file (offset 0), or an entry of the export tar (its path in the tar).
    var baseAPK: (path: String, offset: Int64, length: Int64?)
    var entries: [PlannedEntry] = []
    var droppedEntries = 0

    /// The tar's size give or take pax headers: what an upload needs to choose its part size up front.
    var estimatedSize: Int64 {
        entries.reduce(Int64(10240)) { total, entry in
            guard case .file(let size) = entry.header.kind else { return total + 1024 }
            return total + 1024 + (size + 511) / 512 * 512
        }
    }

    mutating func add(directory path: String, _ uid: UInt32, _ gid: UInt32, _ mode: UInt32, _ mtime: Int64) {
        entries.append(
            PlannedEntry(
                header: TarEntryHeader(
                    path: path, kind: .directory, permissions: mode, uid: uid, gid: gid, mtime: FileTime(seconds: mtime)
                ),
                source: .none))
    }

    /// The same layout rules `verify` applies, run on the plan so a bad tar is never written: unique names,
    /// everything inside the package's areas, links that stay inside them, no setuid/setgid files.
    func validate() throws(PhonePackError) {
        var previous: String?
        for entry in entries {
            let path = entry.header.path
            // Names are compared as bytes: two Unicode spellings of one name are two files to Linux and Android.
            if let previous, path.utf8.elementsEqual(previous.utf8) {
                throw PhonePackError(
                    .invalidInput, operation: "plan tar", path: path, message: "would be in the tar twice")
            }
            previous = path
            if ArchiveName.hasEscapes(path) {
                throw PhonePackError(
                    .invalidInput, operation: "plan tar", path: path.terminalSafe,
                    message: "has a name that is not valid UTF-8; Android paths are UTF-8, rename it")
            }
            // What verify and extract refuse is never written: a newline or ESC in a name, an over-long name.
            if let problem = EntryPath.normalize(path).problem {
                throw PhonePackError(
                    .invalidInput, operation: "plan tar", path: path.terminalSafe,
                    message: "has a name phonepack verify refuses (\(problem)); rename it")
            }
            guard layout.area(of: path) != nil else {
                throw PhonePackError(
                    .invalidInput, operation: "plan tar", path: path,
                    message: "is outside the areas of \(layout.packageName)")
            }
            if case .symlink(let target) = entry.header.kind {
                if target.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                    throw PhonePackError(
                        .invalidInput, operation: "plan tar", path: path.terminalSafe,
                        message: "is a symlink whose target has a control character; fix the link")
                }
                guard let resolved = EntryPath.resolveLink(at: path, target: target), layout.area(of: resolved) != nil
                else {
                    throw PhonePackError(
                        .invalidInput, operation: "plan tar", path: path,
                        message:
                            "is a symlink to \(target), outside the package's areas on the phone; replace it with the file it points to"
                    )
                }
            }
            if case .file = entry.header.kind, entry.header.permissions & 0o6000 != 0 {
                throw PhonePackError(
                    .invalidInput, operation: "plan tar", path: path,
                    message: "has the setuid/setgid bit; CPH shared apps must not carry it")
            }
        }
    }
}
