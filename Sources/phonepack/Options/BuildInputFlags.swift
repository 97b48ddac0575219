import ArgumentParser
import Glibc
import PhonePackCloud
import PhonePackCore

/// What to build an app tar from, shared by `build` and `release`.
struct BuildInputFlags: ParsableArguments {
    @Argument(help: "An app folder, or APK files (base and splits).", completion: .file())
    var inputs: [String] = []

    @Option(name: .customLong("from"), help: "Re-pack the app from a batch-storage export tar instead.")
    var export: String?

    @Option(help: "Expected package name; an error if the APK says otherwise.")
    var package: String?

    @Option(help: "Modification time of every entry: seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ].")
    var mtime: Timestamp?

    @Option(help: "Owner for an area, e.g. data=10123:10123 (repeatable).")
    var owner: [AreaOwner] = []

    @Option(help: "Folder and file modes for an area, e.g. data=0771:0660 (repeatable).")
    var mode: [AreaModes] = []

    /// One existing regular file (not an APK): a tar built before, released as it is. Build flags have nothing to
    /// change in it.
    var isPrebuiltTar: Bool {
        get throws {
            guard export == nil, inputs.count == 1, !inputs[0].hasSuffix(".apk") else { return false }
            var info = stat()
            guard stat(inputs[0], &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
            if mtime != nil || !owner.isEmpty || !mode.isEmpty {
                throw ValidationError(
                    "\(inputs[0]) is a tar built before: --mtime, --owner and --mode apply to a build; build it again with them, or release it as it is"
                )
            }
            return true
        }
    }

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
        guard output.hasSuffix(".tar") || output == "-" else {
            throw ValidationError("the output must be an uncompressed .tar (CPH accepts nothing else): \(output)")
        }
        var options = BuildOptions(input: input, output: output, packageName: package)
        options.mtime = try resolveMtime()
        options.ownership = .init(owners: owner, modes: mode)
        return options
    }

    private func resolveMtime() throws -> Int64? {
        if let mtime { return mtime.seconds }
        if let epoch = getenv("SOURCE_DATE_EPOCH").map({ String(cString: $0) }), !epoch.isEmpty {
            guard let value = Int64(epoch), value >= 0 else {
                throw ValidationError("SOURCE_DATE_EPOCH must be whole seconds since 1970, not '\(epoch)'")
            }
            return value
        }
        return nil
    }
}
