import ArgumentParser

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run commands on cloud phones and show each one's output.",
        subcommands: [ExecHuawei.self, ExecKooPhone.self, ExecAlibaba.self])
}
