import ArgumentParser

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Roll an app out to a fleet in waves, and resume, inspect or roll back what was released.",
        discussion: """
            phonepack release APP --to URL --servers … runs `release start` (the default). Every release is \
            recorded in the state folder (PHONEPACK_STATE_DIR, else ~/.local/state/phonepack/transfers) under \
            releases/ID.json, rewritten after every send and every wait.

            Examples:
              phonepack release myapp/ --to obs://my-cph-bucket/apps/app.tar \\
                  --servers @s.txt
              phonepack release status
              phonepack release resume r20261201-140512-ab12
              phonepack release rollback r20261201-140512-ab12
            """,
        subcommands: [
            ReleaseStart.self, ReleaseResume.self, ReleaseStatus.self, ReleaseHistoryCommand.self,
            ReleaseRollback.self,
        ],
        defaultSubcommand: ReleaseStart.self)
}
