import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ReleaseStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Build → verify → upload → push in waves → wait: an app onto every listed phone in one command.",
        discussion: """
            Huawei (--to obs://…/app.tar --servers …): the shared-app tar is built in a temporary folder (deleted \
            at the end) and sent part by part as it is written; it is verified with the huawei-share-app rules, and \
            only then is the object completed (with a .sha256 beside it), pushed with PushShareApps and waited for. \
            A tar that fails, or a part the store refuses, aborts the upload: nothing is stored. When the bucket's \
            store holds a previous release of the package (the last completed one, or --base), the tar is built \
            first and uploaded as a delta: unchanged entries are copied by the store from the previous object \
            (each part's MD5 checked against the local bytes), changed ones sent; every uploaded tar gets a \
            KEY.layout.json beside it for the next one. --no-delta sends it whole. A tar built before (phonepack \
            build … -o app.tar) is verified, every byte hashed, and sent as it is.
            Alibaba (--to oss://cloudphone-saved-bucket-…/app.apk --instances …): the APK is verified \
            (alibaba-sendfile), uploaded (an interrupted upload resumes on the next run), sent with SendFile + \
            AutoInstall and waited for with DescribeTasks.
            Both skip the upload when the object already has the same SHA-256 (a rerun after a failed push does \
            not upload again) and stop at the first stage that fails, saying which. Endpoints come from \
            PHONEPACK_<SERVICE>_ENDPOINT, the profile, or --region.
            Pre-flight, before anything is built or sent: every id must be in the cloud's own listing (all pages) and \
            listed once, and every field of every call within the vendor's rules; otherwise exit 2 naming every bad \
            id. The APK must be one the phones install (see verify --help: signature, installable) and follow the \
            last completed release of its package to the same cloud: the same signer (or a v3 lineage naming it) \
            and a versionCode no lower, else exit 1 with the INSTALL_* code the phones would report \
            (--allow-downgrade, --allow-signer-change send it anyway). Waves: --waves 1,10%,50%,100% (cumulative), \
            --canary N (= N,100%); a wave with more failures than --max-failures halts the release (exit 1; exit 3 when the API could not be reached); --pause stops after \
            each wave until `phonepack release resume ID`.

            Examples:
              phonepack release myapp/ --to obs://my-cph-bucket/apps/app.tar \\
                  --servers @s.txt
              phonepack release app.tar --to obs://my-cph-bucket/apps/app.tar \\
                  --servers @s.txt \\
                  --waves 1,10%,50%,100% --max-failures 2%
              phonepack release app.apk \\
                  --to oss://cloudphone-saved-bucket-demo/apps/app.apk \\
                  --instances @i.txt
              phonepack release myapp/ --to obs://my-cph-bucket/app.tar --servers @s.txt \\
                  --dry-run
            """)

    @OptionGroup var app: BuildInputFlags

    @Option(help: "Where the file goes: obs://bucket/path/app.tar (Huawei) or oss://cloudphone-saved-bucket-…/app.apk.")
    var to: String

    @Option(help: "CPH server ids: id,id,…, @file or @- (standard input).")
    var servers: IDList?

    @Option(help: "Alibaba instance ids: id,id,…, @file or @- (standard input).")
    var instances: IDList?

    @Flag(help: "Pre-install (Huawei): the app survives phone restarts and resets.")
    var preInstall = false

    @Option(help: "Server ids per push call (1 to 100).")
    var batchSize = BatchSize()

    @Option(help: "Folder on the phone (Alibaba).")
    var phonePath = "/sdcard/Download/"

    @Flag(help: "Upload the whole tar even when a previous release of the package is there to copy from.")
    var noDelta = false

    @Option(
        help: ArgumentHelp(
            "The previous tar to copy unchanged entries from (default: the last completed release's object).",
            valueName: "url"))
    var base: String?

    @OptionGroup(title: "Phones") var phones: InstallTargetFlags
    @OptionGroup var continuity: ContinuityFlags
    @OptionGroup var transfer: AlibabaTransferFlags
    @OptionGroup var rate: RateFlags
    @OptionGroup var stored: ObjectPropertyFlags
    @OptionGroup var rollout: RolloutFlags
    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var preflight: PreflightFlag
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func validate() throws {
        if wait.noWait, rollout.policy.steps.count > 1 {
            throw ValidationError("--no-wait cannot be used with waves: each wave is judged by its jobs' results")
        }
    }

    func run() throws {
        let destination = try ObjectURL(parsing: to)
        let quiet = outputOptions.silent
        let session = cloud.session()
        let notice: (String) -> Void = { if !quiet { sayNow("release: \($0)") } }
        let targets: [String]
        let release: ReleasePlan.App
        switch destination.scheme {
        case .obs:
            guard let servers else { throw ValidationError("a Huawei release (--to obs://…) needs --servers") }
            targets = servers.ids
            release =
                try app.isPrebuiltTar
                ? .tar(app.inputs[0]) : .build(try app.options(output: lastPathComponent(destination.key)))
        case .oss:
            guard let instances else { throw ValidationError("an Alibaba release (--to oss://…) needs --instances") }
            guard app.inputs.count == 1, app.inputs[0].hasSuffix(".apk") else {
                throw ValidationError("an Alibaba release sends one APK (SendFile + AutoInstall): give its path")
            }
            targets = instances.ids
            release = .apk(app.inputs[0])
        case .s3:
            throw ValidationError("--to must be obs:// (Huawei) or oss:// (Alibaba)")
        }
        var plan = ReleasePlan(app: release, destination: destination, targets: targets)
        plan.packageName = app.package
        plan.preInstall = preInstall
        plan.batchSize = batchSize.value
        plan.concurrency = wait.concurrency
        plan.waitTimeout = wait.noWait ? nil : wait.timeout
        plan.phonePath = phonePath
        plan.uploadEndpoint = session.phoneSideOSSEndpoint(explicit: transfer.uploadEndpoint)
        plan.policy = rollout.policy
        plan.preflight = preflight.enabled
        plan.installTarget = phones.target
        plan.allowDowngrade = continuity.allowDowngrade
        plan.allowSignerChange = continuity.allowSignerChange
        plan.delta = !noDelta
        plan.deltaBase = try base.map { try ObjectURL(parsing: $0) }
        if dryRun.dryRun {
            let fleet: Fleet =
                destination.scheme == .obs ? .huawei(try session.cphClient()) : .alibaba(try session.alibabaClient())
            _ = dryRun.show(
                try plan.dryRun(fleet: fleet), summary: "\(targets.count) targets", json: outputOptions.json)
            return
        }
        var settings = try rate.settings(session: session)
        let store = try session.objectStore(for: destination)
        settings.properties = try store.checked(stored.properties)
        let history = ReleaseHistory(stateDirectory: session.stateDirectory)
        let progress = ProgressLine.make(quiet: quiet)
        let report =
            destination.scheme == .obs
            ? try HuaweiRelease.run(
                plan, store: store, cph: try session.cphClient(),
                transfer: settings, history: history, notice: notice, progress: progress)
            : try AlibabaRelease.run(
                plan, store: store, phones: try session.alibabaClient(),
                transfer: settings, history: history, notice: notice, progress: progress)
        try reportRelease(
            report.record, json: outputOptions.json, quiet: outputOptions.quiet, document: report,
            onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
