import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Export → wait → download → safe extract → summary: phone data into DIR/<phone>/.",
        discussion: """
            Huawei (default): BatchExportCloudPhoneData of --include/--exclude to obs://…/PREFIX/<phone>.tar.
            Alibaba (--cloud alibaba): FetchFile of --include (one path) to oss://cloudphone-saved-bucket-…/PREFIX/.
            Each phone's object is downloaded (checked), unpacked with every extract safety check into \
            DIR/<phone>/, and summarised (apps, sizes, owner uid, SELinux label). One failed phone does not stop \
            the others; exit 1 names the ones that failed.

            Examples:
              phonepack pull --phones phone0001,phone0002 \\
                  --include /data/data/com.example.app \\
                  --to obs://my-cph-bucket/exports/ -C out/
              phonepack pull --instances acp-0001 --include /data/data/com.example.app \\
                  --to oss://cloudphone-saved-bucket-demo/exports/ -C out/
            """)

    @Option(help: "CPH phone ids: id,id,…, @file or @- (standard input).")
    var phones: IDList?

    @Option(help: "Alibaba instance ids (implies --cloud alibaba): id,id,…, @file or @-.")
    var instances: IDList?

    @Option(help: "Phone path to bring back (repeatable for Huawei).")
    var include: [String]

    @Option(help: "Phone path to leave out (repeatable; Huawei).")
    var exclude: [String] = []

    @Option(help: "Where the exports go: obs://bucket/prefix/ or oss://cloudphone-saved-bucket-…/prefix/.")
    var to: String

    @Option(name: .customShort("C"), help: "Folder to unpack into (one subfolder per phone).")
    var directory: String

    @Option(name: .customLong("cloud"), help: "huawei or alibaba (default: huawei; alibaba with --instances).")
    var cloudKind: CloudKind?

    @OptionGroup var transfer: AlibabaTransferFlags
    @OptionGroup var rate: RateFlags
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (phones == nil) != (instances == nil) else {
            throw ValidationError("give --phones (CPH phone ids) or --instances (Alibaba instance ids)")
        }
    }

    func run() throws {
        let session = cloud.session()
        let target = try ObjectURL(parsing: to)
        let ids = (phones ?? instances)?.ids ?? []
        var plan = PullPlan(targets: ids, includes: include, prefix: target, folder: directory)
        plan.excludes = exclude
        plan.timeout = wait.timeout
        plan.uploadEndpoint = session.phoneSideOSSEndpoint(explicit: transfer.uploadEndpoint)
        let settings = try rate.settings(session: session)
        let progress = ProgressLine.make(quiet: outputOptions.silent)
        let pulled: [PulledPhone]
        switch cloudKind ?? (instances != nil ? .alibaba : .huawei) {
        case .huawei:
            _ = try obsURL(to, flag: "--to")
            pulled = try PullPipeline.huawei(
                plan, cph: session.cphClient(), store: session.objectStore(for: target), transfer: settings,
                progress: progress)
        case .alibaba:
            pulled = try PullPipeline.alibaba(
                plan, phones: session.alibabaClient(), store: session.objectStore(for: target), transfer: settings,
                progress: progress)
        case .koophone:
            throw ValidationError("KooPhone has no export API; use --cloud huawei or alibaba")
        }
        if outputOptions.json {
            print(JSONOutput.string(PullReport(phones: pulled)))
        } else {
            for phone in pulled {
                guard phone.outcome.state == .succeeded, let folder = phone.folder else {
                    say(
                        "\(phone.outcome.target): \(phone.outcome.state.rawValue) \(phone.outcome.errorCode ?? "") \(phone.outcome.errorMessage ?? "")"
                    )
                    continue
                }
                say(
                    "\(phone.outcome.target): \(phone.files ?? 0) files, \(formatBytes(phone.bytes ?? 0)) in \(folder) (from \(phone.object ?? ""))"
                )
                for app in phone.apps ?? [] {
                    var line = "  \(app.packageName): data \(formatBytes(app.appDataBytes))"
                    if app.externalDataBytes > 0 { line += ", external \(formatBytes(app.externalDataBytes))" }
                    if let uid = app.ownerUID { line += ", uid \(uid)" }
                    if let label = app.selinuxLabel { line += ", \(label)" }
                    say(line)
                }
            }
        }
        let failed = pulled.filter { $0.outcome.state != .succeeded }
        if !failed.isEmpty {
            printError(
                "\(failed.count) of \(pulled.count) phones failed: \(failed.prefix(5).map(\.outcome.target).joined(separator: ", "))"
            )
            throw ExitCode(ExitStatus.checkFailed)
        }
    }
}
