import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ExecHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract:
            "CPH phone commands: a shell command (default), --install obs://x.apk, --push-file obs://x.tar, --uninstall P.",
        discussion: """
            Examples:
              phonepack exec huawei --phones phone0001,phone0002 -- pm list packages -3
              phonepack exec huawei --phones @phones.txt --json -- ls /data/data
            """
    )

    @Option(help: "Phone ids: id,id,…, @file or @- (standard input).")
    var phones: IDList

    @Option(help: "Install this APK from OBS.")
    var install: String?

    @Option(help: "Unpack this tar from OBS at the phone's / (PushFile; put files under data/).")
    var pushFile: String?

    @Option(help: "Uninstall this package.")
    var uninstall: String?

    @Argument(help: "The shell command (after --).")
    var command: [String] = []

    @OptionGroup var wait: WaitFlags
    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var preflight: PreflightFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let (verb, content): (String, String) =
            if let install { ("install", install) } else if let pushFile { ("push", pushFile) } else if let uninstall {
                ("uninstall", uninstall)
            } else { ("shell", command.joined(separator: " ")) }
        try CPHCommandRules.require(command: verb, content: content)
        let ids = phones.ids
        if dryRun.show(
            ids, perCall: CPHClient.maxTargetsPerCall, what: "phones",
            PlannedRequest(
                "POST", "…/cloud-phone/phones/commands", body: ["command": .string(verb), "content": .string(content)]),
            idsField: "phone_ids", json: outputOptions.json)
        {
            return
        }
        let cph = try cloud.session(endpointFor: [.cph]).cphClient()
        try cph.checkPhones(ids, listing: preflight.enabled)
        let outcomes = try cph.fanOut(
            ids, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.silent)
        ) { (client, chunk) throws(PhonePackError) in
            try client.command(verb, content: content, phoneIDs: chunk)
        }
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "exec", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
