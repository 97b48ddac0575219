import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct JobsWait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for cloud-phone jobs to end: CPH request ids, KooPhone task ids, Alibaba task ids.",
        discussion: """
            Polls with growing pauses (1 s up to 10 s) until every job has ended or --timeout passes, showing \
            how many are done; then one line per server, phone or instance (or --json). Exit 1 if any failed.

            Examples:
              phonepack jobs wait REQUEST-ID
              phonepack jobs wait --cloud alibaba TASK-ID --json
              phonepack jobs wait REQUEST-ID --html jobs.html
            """)

    @Argument(help: "Request ids (huawei), task ids (koophone), or instance task ids (alibaba).")
    var ids: [String]

    @Option(name: .customLong("cloud"), help: "Whose ids: huawei, koophone or alibaba.")
    var cloudKind: CloudKind = .huawei

    @Flag(help: "The ids are CPH job ids (ShowJob), not request ids.")
    var jobIds = false

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let progress = ProgressLine.make(quiet: outputOptions.silent)
        let final: [TargetOutcome]
        switch cloudKind {
        case .huawei where jobIds:
            let client = try cloud.session(endpointFor: [.cph]).cphClient()
            final = try client.wait(
                ids.map { TargetOutcome(target: $0, state: .submitted, jobID: $0) }, timeout: wait.timeout,
                progress: progress)
        case .huawei:
            final = try cloud.session(endpointFor: [.cph]).cphClient().wait(
                requests: ids, timeout: wait.timeout, progress: progress)
        case .koophone:
            final = try cloud.session(endpointFor: [.koophone]).kooPhoneClient().wait(
                requests: ids, timeout: wait.timeout, progress: progress)
        case .alibaba:
            final = try cloud.session(endpointFor: [.edsAic]).alibabaClient().wait(
                requests: ids, timeout: wait.timeout, progress: progress)
        }
        try reportOutcomes(
            final, json: outputOptions.json, what: "jobs", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
