import ArgumentParser

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Follow cloud-phone jobs.", subcommands: [JobsWait.self])
}
