import ArgumentParser
import Glibc
import PhonePackCloud
import PhonePackCore

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the tar CPH PushShareApps accepts, with its SHA-256.",
        discussion: """
            INPUT is one of:
              a folder:   *.apk at the top (base + split APKs), and optionally
                            lib/       -> data/app/<pkg>-1/lib/      (native libraries, e.g. lib/arm64/libx.so)
                            data/      -> data/data/<pkg>/           (private app data)
                            external/  -> data/media/0/Android/data/<pkg>/
                            obb/       -> data/media/obb/<pkg>/
              APK files:  the base APK and its splits (split_<name>.apk in the tar)
              --from EXPORT.tar: a batch-storage export of a seed phone; only the package's
                          paths are kept, with owners, modes, times and SELinux labels as exported.

            The package name comes from the APK's AndroidManifest.xml; --package only confirms it.
            The tar is reproducible: sorted entries, numeric owners, pax format, and one mtime
            (--mtime, else SOURCE_DATE_EPOCH, else the newest input file). Beside it go
            OUTPUT.sha256 (sha256sum format) and, with --manifest, OUTPUT.manifest.json.

            Owners and modes follow Android (data/app 1000:1000 0755/0644; data 10000:10000 0771/0660,
            its root 0700; external 1023:1023 and obb 1023:1079, 0771/0660). Change them with
            --owner AREA=UID:GID and --mode AREA=DIRMODE:FILEMODE, AREA being app, data, external or obb.

            With -o obs://bucket/app.tar (or oss://, s3://) the tar streams straight into a multipart upload,
            no temporary file; its SHA-256 goes to the object KEY.sha256 beside it. Parts are kept in memory
            ((--jobs + 1) x part size) so each can be retried; a failed build aborts the upload.
            """
    )

    @OptionGroup var app: BuildInputFlags

    @Option(name: .shortAndLong, help: "The tar to write: a file, or obs://bucket/key, oss://…, s3://… to upload it.")
    var output: String

    @Flag(help: "Also write OUTPUT.manifest.json: every entry with owner, mode and SHA-256.")
    var manifest = false

    @Option(name: .shortAndLong, help: "Parts in flight when -o is an object URL.")
    var jobs = 4

    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup(title: "Upload options (when -o is an object URL)") var cloud: CloudOptions

    func run() throws {
        var options = try app.options(output: output)
        options.writeManifest = manifest
        if output.contains("://") {
            guard !manifest else { throw ValidationError("--manifest needs a local -o file") }
            guard (1...64).contains(jobs) else { throw ValidationError("--jobs takes 1 to 64") }
            let target = try ObjectURL(parsing: output)
            let store = UncheckedSendable(try cloud.objectStore(for: target))
            let jobs = self.jobs
            options.stream = { (estimatedSize) throws(PhonePackError) in
                try MultipartStreamUpload(
                    store: store.value, key: target.key, name: target.description, estimatedSize: estimatedSize,
                    jobs: jobs)
            }
        }

        let result = try SharedAppBuilder.build(options)
        if outputOptions.json {
            print(JSONOutput.string(result))
            return
        }
        say("built \(result.output): \(result.package.packageName) \(result.package.versionDescription)")
        say("  \(result.entries) entries, \(result.files) files, \(formatBytes(result.size))")
        say("  sha256 \(result.sha256)  (\(result.checksumFile))")
        if let manifestFile = result.manifestFile { say("  manifest \(manifestFile)") }
        if result.droppedEntries > 0 {
            say("  \(result.droppedEntries) export entries left out (not part of \(result.package.packageName))")
        }
    }
}

/// Seconds since 1970 from `1710495000`, `2024-03-15` or `2024-03-15T09:30:00Z` (UTC).
func parseTime(_ text: String, what: String) throws -> Int64 {
    if let seconds = Int64(text), seconds >= 0 { return seconds }
    let digits = text.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int32($0) }
    let shapeOK = text.count == 10 || (text.count == 20 && text.hasSuffix("Z"))
    guard shapeOK, digits.count == 3 || digits.count == 6 else {
        throw ValidationError("\(what) must be seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ], not '\(text)'")
    }
    var parts = tm()
    parts.tm_year = digits[0] - 1900
    parts.tm_mon = digits[1] - 1
    parts.tm_mday = digits[2]
    if digits.count == 6 {
        parts.tm_hour = digits[3]
        parts.tm_min = digits[4]
        parts.tm_sec = digits[5]
    }
    let seconds = timegm(&parts)
    guard seconds >= 0 else { throw ValidationError("\(what): \(text) is before 1970") }
    return Int64(seconds)
}

/// What to build an app tar from, shared by `build` and `release`.
struct BuildInputFlags: ParsableArguments {
    @Argument(help: "An app folder, or APK files (base and splits).")
    var inputs: [String] = []

    @Option(name: .customLong("from"), help: "Re-pack the app from a batch-storage export tar instead.")
    var export: String?

    @Option(help: "Expected package name; an error if the APK says otherwise.")
    var package: String?

    @Option(help: "Modification time of every entry: seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ].")
    var mtime: String?

    @Option(help: "Owner for an area, e.g. data=10123:10123 (repeatable).")
    var owner: [String] = []

    @Option(help: "Folder and file modes for an area, e.g. data=0771:0660 (repeatable).")
    var mode: [String] = []

    func options(output: String) throws -> BuildOptions {
        let input: BuildOptions.Input
        switch (export, inputs.count) {
        case (let export?, 0):
            input = .export(export)
        case (nil, 1) where !inputs[0].hasSuffix(".apk"):
            input = .directory(inputs[0])
        case (nil, 1...) where inputs.allSatisfy({ $0.hasSuffix(".apk") }):
            input = .apks(inputs)
        case (nil, 0):
            throw ValidationError("give an app folder, APK files, or --from EXPORT.tar")
        case (_?, _):
            throw ValidationError("--from takes the place of the input folder or APKs; give one or the other")
        default:
            throw ValidationError("give either one folder or only .apk files")
        }
        guard output.hasSuffix(".tar") else {
            throw ValidationError("the output must be an uncompressed .tar (CPH accepts nothing else): \(output)")
        }
        var options = BuildOptions(input: input, output: output, packageName: package)
        options.mtime = try resolveMtime()
        options.ownership = try parseOwnership()
        return options
    }

    private func resolveMtime() throws -> Int64? {
        if let mtime { return try parseTime(mtime, what: "--mtime") }
        if let epoch = getenv("SOURCE_DATE_EPOCH").map({ String(cString: $0) }), !epoch.isEmpty {
            guard let value = Int64(epoch), value >= 0 else {
                throw ValidationError("SOURCE_DATE_EPOCH must be whole seconds since 1970, not '\(epoch)'")
            }
            return value
        }
        return nil
    }

    private func parseOwnership() throws -> [SharedAppLayout.Area: AreaOwnership] {
        var result: [SharedAppLayout.Area: AreaOwnership] = [:]
        func area(_ text: Substring, _ flag: String) throws -> SharedAppLayout.Area {
            guard let area = SharedAppLayout.Area(rawValue: String(text)) else {
                throw ValidationError("\(flag): area must be app, data, external or obb, not '\(text)'")
            }
            return area
        }
        for item in owner {
            let parts = item.split(separator: "=", maxSplits: 1)
            let ids = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard ids.count == 2, let uid = UInt32(ids[0]), let gid = UInt32(ids[1]) else {
                throw ValidationError("--owner takes AREA=UID:GID, e.g. data=10123:10123, not '\(item)'")
            }
            let a = try area(parts[0], "--owner")
            result[a, default: .androidDefault(a)].uid = uid
            result[a, default: .androidDefault(a)].gid = gid
        }
        for item in mode {
            let parts = item.split(separator: "=", maxSplits: 1)
            let modes = parts.count == 2 ? parts[1].split(separator: ":") : []
            guard modes.count == 2, let dir = UInt32(modes[0], radix: 8), let file = UInt32(modes[1], radix: 8),
                dir <= 0o777, file <= 0o777
            else {
                throw ValidationError(
                    "--mode takes AREA=DIRMODE:FILEMODE in octal without setuid bits, e.g. data=0771:0660")
            }
            let a = try area(parts[0], "--mode")
            result[a, default: .androidDefault(a)].directoryMode = dir
            result[a, default: .androidDefault(a)].fileMode = file
        }
        return result
    }
}
