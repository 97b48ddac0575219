import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore phone data from object storage.",
        discussion: """
            Examples:
              phonepack restore huawei --phones phone0001 \\
                  --from obs://my-cph-bucket/exports/phone0001.tar
            """, subcommands: [RestoreHuawei.self])
}

struct RestoreHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei", abstract: "CPH BatchImportCloudPhoneData: a tar from OBS onto each phone, then wait.",
        discussion: """
            Examples:
              phonepack restore huawei --phones phone0001 \\
                  --from obs://my-cph-bucket/exports/phone0001.tar
              phonepack restore huawei --phones @p.txt \\
                  --from obs://my-cph-bucket/seed.tar --dry-run
            """)

    @Option(help: "Phone ids: id,id,…, @file or @- (standard input).")
    var phones: IDList

    @Option(help: "The tar in OBS: obs://bucket/path/data.tar.")
    var from: String

    @OptionGroup var wait: WaitFlags
    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var preflight: PreflightFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let source = try obsURL(from, flag: "--from")
        try FieldRules.cphObjectPath(source.key).require("object_path", value: source.key)
        let ids = phones.ids
        if dryRun.show(
            ids, perCall: CPHClient.maxTargetsPerCall, what: "phones",
            PlannedRequest(
                "POST", "…/cloud-phone/phones/batch-restore",
                body: ["bucket_name": .string(source.bucket), "object_path": .string(source.key)]),
            idsField: "phones", json: outputOptions.json)
        {
            return
        }
        let session = cloud.session(endpointFor: [.cph])
        let cph = try session.cphClient()
        if preflight.enabled {
            try cph.checkPhones(ids)
            try session.requireObject(source)
        }
        let outcomes = try cph.fanOut(
            ids, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.silent)
        ) { (client, chunk) throws(PhonePackError) in
            try client.restoreData(phoneIDs: chunk, bucket: source.bucket, objectPath: source.key)
        }
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "restore", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
