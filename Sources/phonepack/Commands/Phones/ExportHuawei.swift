import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ExportHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract:
            "CPH BatchExportCloudPhoneData: each phone's --include paths as PREFIX/<phone>.tar in OBS, then wait.",
        discussion: """
            --include and --exclude take phone paths as the API does: absolute, under /data or /cache, a trailing \
            * for any continuation (/data/app/com.x-*); exclude wins. They are checked before anything is sent.
            To bring the data home too, use phonepack pull.

            Examples:
              phonepack export huawei --phones phone0001,phone0002 \\
                  --include /data/data/com.example.app \\
                  --to obs://my-cph-bucket/exports/ --no-wait
            """)

    @Option(help: "Phone ids: id,id,…, @file or @- (standard input).")
    var phones: IDList

    @Option(help: "Phone path to export (repeatable), e.g. /data/data/com.example.app.")
    var include: [String]

    @Option(help: "Phone path to leave out (repeatable).")
    var exclude: [String] = []

    @Option(help: "Where the tars go: obs://bucket/prefix/ (one PREFIX/<phone>.tar per phone).")
    var to: String

    @OptionGroup var wait: WaitFlags
    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var preflight: PreflightFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let target = try obsURL(to, flag: "--to")
        let ids = phones.ids
        // Field rules first (for --dry-run too), before the listing: they cost no request.
        try CPHClient.checkExport(phoneIDs: ids, include: include, exclude: exclude, to: target)
        if dryRun.show(
            ids, perCall: CPHClient.maxTargetsPerCall, what: "phones",
            PlannedRequest(
                "POST", "…/cloud-phone/phones/batch-storage",
                body: [
                    "include_files": .list(include), "bucket_name": .string(target.bucket),
                    "object_path": .string("\(target.key)<phone>.tar"),
                ]),
            idsField: "phones", json: outputOptions.json)
        {
            return
        }
        let cph = try cloud.session(endpointFor: [.cph]).cphClient()
        try cph.checkPhones(ids, listing: preflight.enabled)
        let outcomes = try cph.exportData(
            phoneIDs: ids, include: include, exclude: exclude, to: target, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.silent))
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "export", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
