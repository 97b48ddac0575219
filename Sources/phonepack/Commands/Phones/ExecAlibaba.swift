import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ExecAlibaba: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alibaba",
        abstract: "Alibaba RunCommand (async, waited for with DescribeTasks) or RunSyncCommand (--sync), 50 per call.",
        discussion: """
            Examples:
              phonepack exec alibaba --instances acp-0001,acp-0002 -- pm list packages -3
              phonepack exec alibaba --instances @i.txt --json -- ls /data/data
            """)

    @Option(help: "Instance ids (acp-…): id,id,…, @file or @- (standard input).")
    var instances: IDList

    @Flag(help: "RunSyncCommand: answers at once (for commands that finish in milliseconds).")
    var sync = false

    @Argument(help: "The shell command (after --); sent Base64-encoded so quotes and pipes survive.")
    var command: [String]

    @OptionGroup var wait: WaitFlags
    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var preflight: PreflightFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let text = command.joined(separator: " ")
        let ids = instances.ids
        try AlibabaRules.checkCommand(
            content: text, instanceIDs: Array(ids.prefix(AlibabaRules.maxInstancesPerCall))
        )
        let action = sync ? "RunSyncCommand" : "RunCommand"
        if dryRun.show(
            ids, perCall: AlibabaRules.maxInstancesPerCall, what: "instances",
            PlannedRequest("POST", "/?Action=\(action)", body: ["CommandContent": .string(text)]),
            idsField: "InstanceIds", json: outputOptions.json)
        {
            return
        }
        let phones = try cloud.session(endpointFor: [.edsAic]).alibabaClient()
        try Fleet.alibaba(phones).checkTargets(ids, listing: preflight.enabled)
        let outcomes = try phones.run(
            text, instanceIDs: ids, sync: sync, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.silent))
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "exec", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
