import ArgumentParser
import FoundationEssentials
import PhonePackCloud
import PhonePackCore

extension VerifyProfile: ExpressibleByArgument {}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a tar (or APK) against what a cloud API accepts, before anything is uploaded.",
        discussion: """
            One streaming pass, nothing extracted. Each rule prints PASS, FAIL, WARN or SKIP with the \
            offending entries. Exit status: 0 all rules pass, 1 a rule failed, 2 the file could not be read.

            Every APK inside (or the APK itself) is checked as Android's PackageManager would install it: \
            signature: its v1/v2/v3/v3.1 signatures, as 'apksigner verify' judges them for every Android version \
            from its minSdkVersion (targetSdkVersion 30+ needs v2 or later); installable: resources.arsc stored and \
            aligned (targetSdk 30+), native libraries stored and page-aligned with extractNativeLibs="false", an \
            ABI the phones run, minSdkVersion within --phone-api, no android:testOnly, splits of the same package, \
            versionCode and signer; upgrade (with --upgrade-from): the installed signer kept (or named by a v3 \
            lineage), versionCode not lowered. Each problem names the APK, the entry and the INSTALL_* code the \
            phone would report.

            Profiles:
              huawei-share-app   CPH PushShareApps: one package's data/app, data/data, external and obb areas,
                                 a base.apk whose manifest names that package, no devices, setuid, unsafe links
              huawei-share-file  CPH PushShareFiles: only data/ and cache/ trees
              huawei-push-file   CPH PushFile: a tar of at most 6 GB, extracted at the phone's /
              alibaba-sendfile   Alibaba SendFile: any file, checked as an APK or tar when it is one

            Examples:
              phonepack verify app.tar
              phonepack verify app.tar --manifest app.tar.manifest.json
              phonepack verify app.tar --to obs://my-cph-bucket/apps/app.tar --json
              phonepack verify app.apk --profile alibaba-sendfile --phone-api 30
              phonepack verify new.tar --upgrade-from obs://my-cph-bucket/apps/app-1.4.tar
            """
    )

    @Argument(
        help: "The file to check, or - for standard input (copied to an unnamed temporary file first).",
        completion: .file())
    var file: String

    @Option(help: "Which API the file is for: \(VerifyProfile.allCases.map(\.rawValue).joined(separator: ", ")).")
    var profile: VerifyProfile = .huaweiShareApp

    @Option(help: "The package the file must be for (default: read from the layout).")
    var package: String?

    @Option(help: "Expected SHA-256 of the whole file (hex).")
    var sha256: String?

    @Option(help: "A manifest from 'phonepack build --manifest'; every entry is compared.")
    var manifest: String?

    @Option(help: "Free bytes on the server's shared storage (suffixes K, M, G, T = 1024-based).")
    var sharedFree: ByteCount?

    @Option(help: "The upload target (obs://bucket/key, oss://bucket/key); its names are checked.")
    var to: String?

    @Option(
        help: ArgumentHelp(
            "What the phones have: an APK or app tar, local or obs:// / oss:// (default profile's credentials). Its signer must sign the new APK (or be in its v3 lineage), its versionCode must not be higher.",
            valueName: "old"))
    var upgradeFrom: String?

    @OptionGroup(title: "Phones") var phones: InstallTargetFlags

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if let sha256, !ChecksumLine.isSHA256(sha256) {
            throw ValidationError("--sha256 must be 64 hex digits")
        }
    }

    func run() throws {
        var options = VerifyOptions(
            profile: profile, packageName: package, expectedSHA256: sha256, manifestPath: manifest)
        options.sharedFreeBytes = sharedFree?.bytes
        options.destination = try to.map { try ObjectURL(parsing: $0) }
        options.install = phones.target
        if let upgradeFrom {
            let session = CloudSession(environment: ProcessInfo.processInfo.environment, profile: nil)
            options.upgradeFrom = try session.upgradeBaseline(upgradeFrom)
        }

        var report: VerifyReport
        if file == "-" {
            // The rules read the tar more than once and at offsets: standard input is first copied, in 1 MiB
            // blocks, into an unnamed temporary file (deleted before it is written; gone with the process).
            let spool = try OpenFile.standardInput().spoolToTemporaryFile()
            report = try PackageVerifier.verify(path: "/proc/self/fd/\(spool.descriptor)", options: options)
            report.file = "standard input"
        } else {
            report = try PackageVerifier.verify(path: file, options: options)
        }
        if outputOptions.json {
            print(JSONOutput.string(report))
        } else {
            printReport(report)
        }
        if !report.passed { throw ExitCode(ExitStatus.checkFailed) }
    }

    private func printReport(_ report: VerifyReport) {
        var heading = "\(report.file): \(report.profile.rawValue), \(formatBytes(report.size))"
        if let sha = report.sha256 { heading += ", sha256 \(sha)" }
        say(heading)
        let width = report.rules.map(\.id.count).max() ?? 10
        for rule in report.rules {
            let id = rule.id.padded(to: width)
            let word = rule.status.rawValue.uppercased().padded(to: 4)
            let colour: Colour? =
                rule.status == .fail ? .red : rule.status == .warn ? .yellow : rule.status == .pass ? .green : nil
            // The status word is ours and may be coloured; the rest comes from the archive and is escaped.
            print("  \(colour?.paint(word) ?? word)  \("\(id)  \(rule.detail)".terminalSafe)")
            for offender in rule.offenders {
                say("          \(offender.entry): \(offender.reason)")
            }
            if rule.offenderCount > rule.offenders.count {
                say("          … and \(rule.offenderCount - rule.offenders.count) more (see --json)")
            }
        }
        let failed = report.rules.filter { $0.status == .fail }.count
        say(report.passed ? "verify: OK" : "verify: FAILED (\(failed) of \(report.rules.count) rules)")
    }
}
