import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct ExecAlibaba: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alibaba",
        abstract: "Alibaba RunCommand (async, waited for with DescribeTasks) or RunSyncCommand (--sync), 50 per call.")

    @Option(help: "Instance ids (acp-…): id,id,…, @file or @- (standard input).")
    var instances: IDList

    @Flag(help: "RunSyncCommand: answers at once (for commands that finish in milliseconds).")
    var sync = false

    @Argument(help: "The shell command (after --); sent Base64-encoded so quotes and pipes survive.")
    var command: [String]

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let text = command.joined(separator: " ")
        let ids = instances.ids
        try AlibabaRules.checkCommand(
            content: text, instanceIDs: Array(ids.prefix(AlibabaRules.maxInstancesPerCall))
        )
        let client = try cloud.session(endpointFor: [.edsAic]).alibabaClient()
        let outcomes: [TargetOutcome]
        if sync {
            outcomes = FanOut.submit(
                ids: ids, limit: AlibabaRules.maxInstancesPerCall,
                clients: (0..<wait.concurrency).map { _ in client.sibling() }
            ) { (client, chunk) throws(PhonePackError) in
                try client.runSyncCommand(text, instanceIDs: chunk).map {
                    TargetOutcome(target: $0.instanceID, state: $0.ok ? .succeeded : .failed, output: $0.output)
                }
            }
        } else {
            outcomes = try client.fanOut(
                ids, concurrency: wait.concurrency, waitTimeout: wait.noWait ? nil : wait.timeout,
                progress: ProgressLine.make(quiet: outputOptions.json)
            ) { (client, chunk) throws(PhonePackError) in try client.runCommand(text, instanceIDs: chunk) }
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "exec")
    }
}
