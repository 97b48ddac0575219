import ArgumentParser

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push apps or files to cloud phones.",
        subcommands: [PushHuawei.self, PushAlibaba.self])
}
