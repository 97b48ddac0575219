import ArgumentParser
import CBuildInfo
import PhonePackCloud
import PhonePackCore

/// The root command. Parsing and exit codes follow DESIGN.md: 0 success, 1 a check failed, 2 usage or input
/// error, 3 network or service error, 130 interrupted.
struct PhonePack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phonepack",
        abstract: "Build, verify, ship and pull back app tarballs for Huawei CPH / KooPhone and Alibaba Cloud Phone.",
        discussion: """
            Exit codes: 0 success, 1 a check or a phone failed, 2 usage or input error, 3 network or service \
            error, 130 interrupted. Every command has its own help and examples: phonepack help COMMAND, or \
            man phonepack.COMMAND once installed (scripts/install.sh).

            Examples:
              phonepack build myapp/ -o app.tar       # shared-app tar + app.tar.sha256
              phonepack verify app.tar --to obs://my-bucket/apps/app.tar
              phonepack release myapp/ --to obs://my-bucket/apps/app.tar \\
                  --servers @servers.txt --waves 1,10%,100%
              phonepack pull --phones ID --include /data/data/com.x \\
                  --to obs://my-bucket/exports/ -C out/
            """,
        // What makes ArgumentParser offer --version; Main prints `versionReport` in its place. Computed here, the
        // report would load libcurl (to ask its version) for every command, network or not.
        version: "phonepack \(PhonePackVersion.number)",
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

extension PhonePack {
    /// `phonepack --version`: the version and commit, then the C libraries this process runs with; a libarchive
    /// below the tar spec's floor is named, not refused (Debian 12's is below it).
    /// The commit of an installed build (scripts/install.sh), nil for a development build.
    static var commit: String? {
        let text = String(cString: phonepack_build_commit())
        return text.isEmpty ? nil : text
    }

    static var versionReport: String {
        let archive = TarReader.libraryVersion
        var lines = [
            "phonepack \(PhonePackVersion.number) (\(commit.map { "commit \($0)" } ?? "development build"))",
            "libarchive \(archive.text), libcurl \(CurlEasy.libraryVersion), OpenSSL \(Digest.libraryVersion)",
        ]
        if archive.number < PhonePackVersion.libarchiveFloor.number {
            lines.append(
                "note: libarchive \(archive.text) is older than \(PhonePackVersion.libarchiveFloor.text), the release the tar spec asks "
                    + "for; phonepack reads only tar with it, fails on every parser warning and checks each entry itself"
            )
        }
        return lines.joined(separator: "\n")
    }
}
