import ArgumentParser

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Roll an app out to a fleet in waves, and resume, inspect or roll back what was released.",
        discussion: """
            phonepack release APP --to URL --servers … runs `release start` (the default). Every release is \
            recorded in the state folder (PHONEPACK_STATE_DIR, else ~/.local/state/phonepack/transfers) under \
            releases/ID.json, rewritten after every send and every wait.
            """,
        subcommands: [
            ReleaseStart.self, ReleaseResume.self, ReleaseStatus.self, ReleaseHistoryCommand.self,
            ReleaseRollback.self,
        ],
        defaultSubcommand: ReleaseStart.self)
}
