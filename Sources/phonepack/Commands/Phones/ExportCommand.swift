import ArgumentParser

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export phone data to object storage.",
        discussion: """
            Examples:
              phonepack export huawei --phones @phones.txt \\
                  --include /data/data/com.example.app \\
                  --to obs://my-cph-bucket/exports/
            """, subcommands: [ExportHuawei.self])
}
