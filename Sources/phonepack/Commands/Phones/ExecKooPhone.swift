import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ExecKooPhone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koophone",
        abstract:
            "KooPhone sync-command (default) or async-command (--async, then waited for) on instances, 32 per call.",
        discussion: """
            Examples:
              phonepack exec koophone --instances kp0001,kp0002 -- pm list packages -3
            """)

    @Option(help: "Instance ids: id,id,…, @file or @- (standard input).")
    var instances: IDList

    @Flag(help: "Use async-command and wait for the task (for commands that take a while).")
    var async = false

    @Argument(help: "The shell command (after --), at most 1024 bytes.")
    var command: [String]

    @OptionGroup var wait: WaitFlags
    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let text = command.joined(separator: " ")
        let ids = instances.ids
        try KooPhoneRules.check(
            command: text, instanceIDs: Array(ids.prefix(KooPhoneRules.maxInstancesPerCall))
        )
        if dryRun.show(
            ids, perCall: KooPhoneRules.maxInstancesPerCall, what: "instances",
            PlannedRequest(
                "POST", "/v1/instances/\(async ? "async-command" : "sync-command")", body: ["command": .string(text)]),
            idsField: "instance_ids", json: outputOptions.json)
        {
            return
        }
        let outcomes = try cloud.session(endpointFor: [.koophone]).kooPhoneClient().run(
            text, instanceIDs: ids, async: async, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.silent))
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "exec", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
