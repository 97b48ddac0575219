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
            The tar is reproducible: sorted entries, numeric owners, pax format, and one mtime \
            (--mtime, else SOURCE_DATE_EPOCH, else the newest input file). Beside it go \
            OUTPUT.sha256 (sha256sum format) and, with --manifest, OUTPUT.manifest.json.

            Owners and modes follow Android (data/app 1000:1000 0755/0644; data 10000:10000 0771/0660, \
            its root 0700; external 1023:1023 and obb 1023:1079, 0771/0660). Change them with
            --owner AREA=UID:GID and --mode AREA=DIRMODE:FILEMODE, AREA being app, data, external or obb.

            With -o obs://bucket/app.tar (or oss://, s3://) the tar streams straight into a multipart upload, \
            no temporary file; its SHA-256 goes to the object KEY.sha256 beside it. Parts are kept in memory \
            ((--jobs + 1) x part size) so each can be retried; a failed build aborts the upload.
            With -o - the tar goes to standard output (never to a terminal) and the report to standard error.

            Examples:
              phonepack build myapp/ -o app.tar          # app.tar + app.tar.sha256
              phonepack build base.apk split_config.arm64_v8a.apk -o app.tar --manifest
              phonepack build --from seed-export.tar --package com.example.game -o g.tar
              phonepack build myapp/ -o obs://my-cph-bucket/apps/app.tar   # no local file
              phonepack build myapp/ -o - | phonepack verify -
            """
    )

    @OptionGroup var app: BuildInputFlags

    @Option(
        name: .shortAndLong,
        help: "The tar to write: a file, - for standard output, or obs://bucket/key, oss://…, s3://… to upload it.")
    var output: String

    @Flag(help: "Also write OUTPUT.manifest.json: every entry with owner, mode and SHA-256.")
    var manifest = false

    @OptionGroup(title: "Upload options") var rate: RateFlags

    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup(title: "Upload options") var cloud: CloudOptions

    func validate() throws {
        if output.contains("://") || output == "-", manifest {
            throw ValidationError("--manifest needs a local -o file")
        }
        if output == "-", isatty(STDOUT_FILENO) == 1 {
            throw ValidationError("-o - writes the tar to standard output, which is a terminal: pipe or redirect it")
        }
    }

    func run() throws {
        var options = try app.options(output: output)
        options.writeManifest = manifest
        if output.contains("://") {
            let target = try ObjectURL(parsing: output)
            let settings = try rate.settings(session: cloud.session())
            options.streamUpload(
                to: try cloud.objectStore(for: target), url: target, jobs: settings.jobs, limitRate: settings.limitRate)
        }

        if output == "-" { options.stream = { _ in StandardOutputStream() } }

        let result = try SharedAppBuilder.build(options)
        // With -o - standard output holds the tar: the report goes to standard error.
        let report: (String) -> Void = output == "-" ? { writeToStandardError($0 + "\n") } : { say($0) }
        if outputOptions.json {
            let json = JSONOutput.string(result)
            return output == "-" ? writeToStandardError(json + "\n") : print(json)
        }
        report(
            "built \(output == "-" ? "standard output" : result.output): \(result.package.packageName) \(result.package.versionDescription)"
        )
        report("  \(result.entries) entries, \(result.files) files, \(formatBytes(result.size))")
        report(output == "-" ? "  sha256 \(result.sha256)" : "  sha256 \(result.sha256)  (\(result.checksumFile))")
        if let manifestFile = result.manifestFile { report("  manifest \(manifestFile)") }
        if result.droppedEntries > 0 {
            report("  \(result.droppedEntries) export entries left out (not part of \(result.package.packageName))")
        }
    }
}
