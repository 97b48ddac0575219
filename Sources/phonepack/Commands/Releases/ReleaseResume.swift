import ArgumentParser
import PhonePackCloud

struct ReleaseResume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a paused, halted or interrupted release: only targets that have not succeeded.",
        discussion: """
            Targets that succeeded are never sent again; targets whose job was sent are waited for, not sent again \
            (a client killed mid-wave loses nothing); pending, failed and refused targets are sent. The object \
            must still hold the recorded file (same size and SHA-256).

            --max-failures gives the waves still to come a new failure budget; --skip leaves targets out (they \
            are marked skipped: never sent, not counted as failures). --dry-run prints what would be sent and \
            waited for, wave by wave, and sends nothing.

            Examples:
              phonepack release resume r20261201-140512-ab12
              phonepack release resume r20261201-140512-ab12 \\
                  --max-failures 5% --skip server0002
              phonepack release resume r20261201-140512-ab12 --dry-run
            """)

    @Argument(help: "The release id (phonepack release history lists them).", completion: Completions.releaseIDs)
    var id: String

    @Option(help: "A new failure budget for the waves to come: a count or a percentage of each wave.")
    var maxFailures: FailureBudget?

    @Option(help: "Targets to leave out (skipped, not failures): id,id,…, @file or @-.")
    var skip: IDList?

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let control = control(cloud, wait: wait, output: outputOptions)
        if dryRun.dryRun {
            let lines = try control.resumePlan(id, maxFailures: maxFailures?.budget, skip: skip?.ids ?? [])
            _ = dryRun.show(lines: lines, summary: "release \(id)", json: outputOptions.json)
            return
        }
        let record = try control.resume(id, maxFailures: maxFailures?.budget, skip: skip?.ids ?? [])
        try reportRelease(
            record, json: outputOptions.json, quiet: outputOptions.quiet, onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}

/// The library's release control with the command's flags.
func control(_ cloud: CloudOptions, wait: WaitFlags? = nil, output: OutputOptions) -> ReleaseControl {
    var control = ReleaseControl(session: cloud.session())
    if let wait {
        control.concurrency = wait.concurrency
        control.waitTimeout = wait.noWait ? nil : wait.timeout
    }
    let silent = output.silent
    control.notice = { if !silent { sayNow("release: \($0)") } }
    control.progress = ProgressLine.make(quiet: silent)
    return control
}
