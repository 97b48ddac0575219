import ArgumentParser

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export phone data to object storage.", subcommands: [ExportHuawei.self])
}
