import ArgumentParser

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push apps or files to cloud phones.",
        discussion: """
            Examples:
              phonepack push huawei --tar obs://my-bucket/apps/app.tar --servers @s.txt
              phonepack push alibaba --file oss://b/app.apk --instances acp-1 --install
            """,
        subcommands: [PushHuawei.self, PushAlibaba.self])
}
