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

            Examples:
              phonepack release resume r20261201-140512-ab12
            """)

    @Argument(help: "The release id (phonepack release history lists them).")
    var id: String

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let record = try control(cloud, wait: wait, json: outputOptions.json).resume(id)
        try reportRelease(
            record, json: outputOptions.json, onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}

/// The library's release control with the command's flags.
func control(_ cloud: CloudOptions, wait: WaitFlags? = nil, json: Bool) -> ReleaseControl {
    var control = ReleaseControl(session: cloud.session())
    if let wait {
        control.concurrency = wait.concurrency
        control.waitTimeout = wait.noWait ? nil : wait.timeout
    }
    control.notice = { if !json { sayNow("release: \($0)") } }
    control.progress = ProgressLine.make(quiet: json)
    return control
}
