import ArgumentParser

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run commands on cloud phones and show each one's output.",
        discussion: """
            Examples:
              phonepack exec huawei --phones @phones.txt -- pm list packages
              phonepack exec alibaba --instances acp-0001 -- \\
                  getprop ro.build.version.release
            """,
        subcommands: [ExecHuawei.self, ExecKooPhone.self, ExecAlibaba.self])
}
