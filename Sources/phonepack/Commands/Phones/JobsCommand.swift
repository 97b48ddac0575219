import ArgumentParser

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Follow cloud-phone jobs.",
        discussion: """
            Examples:
              phonepack jobs wait REQUEST-ID
              phonepack jobs wait --job-ids JOB1 JOB2 --timeout 600
            """, subcommands: [JobsWait.self])
}
