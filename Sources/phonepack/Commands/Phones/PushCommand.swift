import ArgumentParser

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push apps or files to cloud phones.",
        discussion: """
            Examples:
              phonepack push huawei --tar obs://my-cph-bucket/apps/app.tar \\
                  --package com.example.app --servers @s.txt
              phonepack push alibaba --file oss://cloudphone-saved-bucket-demo/app.apk \\
                  --instances acp-0001 --install
            """,
        subcommands: [PushHuawei.self, PushAlibaba.self])
}
