import ArgumentParser
import PhonePackCloud

struct ReleaseRollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Release the previous good version again, to the same targets through the same waves.",
        discussion: """
            The previous good version is the newest earlier release of the same package to the same cloud that \
            completed on every target with a different file. Its object must still hold that file (versioned keys \
            such as obs://bucket/apps/app-1.2.tar keep it). The rollback is a release of its own, with its own id.
            Android refuses an older versionCode over a newer one (INSTALL_FAILED_VERSION_DOWNGRADE): a rollback \
            to a lower versionCode stops before sending unless --allow-downgrade (for phones that uninstall the app \
            first); to undo a bad release on phones that keep the app, release the old code with a higher \
            versionCode.

            Examples:
              phonepack release rollback r20261201-140512-ab12
              phonepack release rollback r20261201-140512-ab12 --json
              phonepack release rollback r20261201-140512-ab12 --dry-run
            """)

    @Argument(help: "The release to roll back.", completion: Completions.releaseIDs)
    var id: String

    @OptionGroup var preflight: PreflightFlag
    @Flag(
        help:
            "Roll back to a lower versionCode anyway (phones that have the newer version refuse it unless the app was uninstalled)."
    )
    var allowDowngrade = false

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        var lines: [String] = []
        let record = try control(cloud, wait: wait, output: outputOptions).rollback(
            id, preflight: preflight.enabled, allowDowngrade: allowDowngrade, dryRun: dryRun.dryRun,
            plan: { lines.append($0) })
        guard let record else {
            _ = dryRun.show(lines: lines, summary: "rollback of \(id)", json: outputOptions.json)
            return
        }
        try reportRelease(
            record, json: outputOptions.json, quiet: outputOptions.quiet, onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
