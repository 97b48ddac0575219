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
              phonepack verify app.tar --to obs://my-cph-bucket/apps/app.tar
              phonepack release myapp/ --to obs://my-cph-bucket/apps/app.tar \\
                  --servers @servers.txt --waves 1,10%,100%
              phonepack pull --phones phone0001 --include /data/data/com.example.app \\
                  --to obs://my-cph-bucket/exports/ -C out/
            """,
        // What makes ArgumentParser offer --version; Main prints `versionReport` in its place. Computed here, the
        // report would load libcurl (to ask its version) for every command, network or not.
        version: "phonepack \(PhonePackVersion.number)",
        subcommands: groups.flatMap(\.commands)
    )

    /// The verbs by what they work on: the order of `--help` and the lines of the bare usage.
    static let groups: [(name: String, summary: String, commands: [any ParsableCommand.Type])] = [
        (
            "archives", "make, check and read app tars and phone exports, offline",
            [
                BuildCommand.self, VerifyCommand.self, InspectCommand.self, ExtractCommand.self, CatCommand.self,
                DiffCommand.self,
            ]
        ),
        (
            "stores", "Huawei OBS, Alibaba OSS, S3: parallel, resumable, checked end to end",
            [
                UploadCommand.self, DownloadCommand.self, CopyCommand.self, SyncCommand.self, ListCommand.self,
                StatCommand.self, RemoveCommand.self, PresignCommand.self, UploadsCommand.self,
            ]
        ),
        (
            "phones", "push apps and files, pull data back, run commands, follow jobs",
            [
                PushCommand.self, JobsCommand.self, PullCommand.self, ExportCommand.self, RestoreCommand.self,
                ExecCommand.self, ImagesCommand.self, PhonesCommand.self,
            ]
        ),
        ("releases", "build → verify → upload → push in waves; resume, status, rollback", [ReleaseCommand.self]),
        (
            "setup", "profiles of region, endpoints and credentials; check an identity",
            [ConfigCommand.self, AuthCommand.self]
        ),
    ]

    /// What a bare `phonepack` prints: the verbs grouped, and where to go next (`--help` lists each with its line).
    static var shortUsage: String {
        var lines = [
            "Usage: phonepack COMMAND [OPTIONS]   (phonepack help COMMAND: its options and examples)", "",
        ]
        for group in groups {
            let verbs = group.commands.map { $0.configuration.commandName ?? "" }.joined(separator: " ")
            lines.append("  " + group.name + String(repeating: " ", count: 10 - group.name.count) + verbs)
            lines.append("            " + group.summary)
        }
        lines += [
            "",
            "First steps: phonepack build myapp/ -o app.tar && phonepack verify app.tar",
            "Every command with a line each: phonepack --help",
        ]
        return lines.joined(separator: "\n")
    }
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
