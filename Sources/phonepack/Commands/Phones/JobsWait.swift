import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct JobsWait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for cloud-phone jobs to end: CPH request ids, KooPhone task ids, Alibaba task ids.",
        discussion: """
            Polls with growing pauses (1 s up to 10 s) until every job has ended or --timeout passes, showing
            how many are done; then one line per server, phone or instance (or --json). Exit 1 if any failed.
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

    func run() throws {
        let progress = ProgressLine.make(quiet: outputOptions.json)
        let final: [TargetOutcome]
        // --timeout bounds the whole command, the first listing of the jobs included.
        let deadline = CloudTime.monotonicSeconds() + wait.timeout
        switch cloudKind {
        case .huawei where jobIds:
            let client = try cloud.cphClient(endpointOverride: cloud.endpoint)
            client.client.deadline = deadline
            let outcomes = ids.map { TargetOutcome(target: $0, state: .submitted, jobID: $0) }
            final = try FanOut.wait(outcomes, timeout: wait.timeout, client: client.client, progress: progress) {
                (open) throws(PhonePackError) in
                var states: [String: JobState] = [:]
                for outcome in open {
                    let job = try client.job(outcome.jobID!)
                    states[job.job_id] = job.state
                }
                return states
            }
        case .huawei:
            let client = try cloud.cphClient(endpointOverride: cloud.endpoint)
            client.client.deadline = deadline
            // One ListJobs per request id: with several at once, the answer does not say which job is whose.
            var outcomes: [TargetOutcome] = []
            for id in ids {
                outcomes += try client.listJobs(requestIDs: [id]).map {
                    TargetOutcome(
                        target: $0.server_id ?? $0.phone_id ?? $0.job_id, state: .submitted, requestID: id,
                        jobID: $0.job_id)
                }
            }
            guard !outcomes.isEmpty else { throw ValidationError("no jobs found for \(ids.joined(separator: ", "))") }
            final = try client.wait(outcomes, timeout: wait.timeout, progress: progress)
        case .koophone:
            let client = try cloud.kooPhoneClient()
            client.client.deadline = deadline
            var outcomes: [TargetOutcome] = []
            for id in ids {
                outcomes += try client.task(id).compactMap { job in
                    job.job_id.map { TargetOutcome(target: $0, state: .submitted, requestID: id, jobID: $0) }
                }
            }
            final = try client.wait(outcomes, timeout: wait.timeout, progress: progress)
        case .alibaba:
            let client = try cloud.alibabaClient(endpointOverride: cloud.endpoint)
            client.client.deadline = deadline
            let outcomes = ids.map { TargetOutcome(target: $0, state: .submitted, jobID: $0) }
            final = try client.wait(outcomes, timeout: wait.timeout, progress: progress)
        }
        try reportOutcomes(final, json: outputOptions.json, what: "jobs")
    }
}
