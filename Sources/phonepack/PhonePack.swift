import ArgumentParser

/// The root command. Parsing and exit codes follow DESIGN.md: 0 success, 1 a check failed, 2 usage or input
/// error, 3 network or service error, 130 interrupted.
struct PhonePack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phonepack",
        abstract: "Build, verify, ship and pull back app tarballs for Huawei CPH / KooPhone and Alibaba Cloud Phone.",
        discussion: """
            Typical flow:
              phonepack build myapp/ -o app.tar          # shared-app tar + app.tar.sha256
              phonepack verify app.tar --to obs://my-bucket/apps/app.tar
              phonepack release myapp/ --to obs://my-bucket/apps/app.tar --servers @servers.txt
              phonepack pull --phones ID --include /data/data/com.x --to obs://my-bucket/exports/ -C out/
            Exit codes: 0 success, 1 a check or a phone failed, 2 usage or input error, 3 network or service
            error, 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [
            BuildCommand.self, VerifyCommand.self, InspectCommand.self, ExtractCommand.self, CatCommand.self,
            DiffCommand.self, UploadCommand.self, DownloadCommand.self, CopyCommand.self, SyncCommand.self,
            ListCommand.self,
            StatCommand.self,
            RemoveCommand.self, PresignCommand.self, UploadsCommand.self, PushCommand.self, JobsCommand.self,
            ReleaseCommand.self, PullCommand.self, ExportCommand.self, RestoreCommand.self, ExecCommand.self,
            ImagesCommand.self, PhonesCommand.self,
            ConfigCommand.self, AuthCommand.self,
        ]
    )
}
