import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export phone data to object storage.", subcommands: [ExportHuawei.self])
}

struct ExportHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract:
            "CPH BatchExportCloudPhoneData: each phone's --include paths as PREFIX/<phone>.tar in OBS, then wait.",
        discussion: """
            --include and --exclude take phone paths as the API does: absolute, under /data or /cache, a trailing
            * for any continuation (/data/app/com.x-*); exclude wins. They are checked before anything is sent.
            To bring the data home too, use phonepack pull.
            """)

    @Option(help: "Phone ids: id,id,… or @file.")
    var phones: String

    @Option(help: "Phone path to export (repeatable), e.g. /data/data/com.example.app.")
    var include: [String]

    @Option(help: "Phone path to leave out (repeatable).")
    var exclude: [String] = []

    @Option(help: "Where the tars go: obs://bucket/prefix/ (one PREFIX/<phone>.tar per phone).")
    var to: String

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try obsURL(to, flag: "--to")
        _ = try ExportPathFilter(includes: include, excludes: exclude)
        let ids = try parseIDList(phones, flag: "--phones")
        let base = target.key.isEmpty || target.key.hasSuffix("/") ? target.key : target.key + "/"
        let (include, exclude) = (self.include, self.exclude)
        let entry: @Sendable (String) -> CPHStorageInfo = { phone in
            CPHStorageInfo(
                phone_id: phone, include_files: include, exclude_files: exclude.isEmpty ? nil : exclude,
                bucket_name: target.bucket, object_path: base + phone + ".tar")
        }
        for phone in ids { try CPHRequestRules.export(entry(phone)) }
        let outcomes = try cloud.cphClient(endpointOverride: cloud.endpoint).fanOut(
            ids, limit: CPHRequestRules.maxServersPerShareCall, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.json)
        ) { (client, chunk) throws(PhonePackError) in
            try client.exportData(chunk.map(entry))
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "export")
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore", abstract: "Restore phone data from object storage.", subcommands: [RestoreHuawei.self])
}

struct RestoreHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei", abstract: "CPH BatchImportCloudPhoneData: a tar from OBS onto each phone, then wait.")

    @Option(help: "Phone ids: id,id,… or @file.")
    var phones: String

    @Option(help: "The tar in OBS: obs://bucket/path/data.tar.")
    var from: String

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let source = try obsURL(from, flag: "--from")
        try CPHRequestRules.check(FieldRules.cphObjectPath(source.key), field: "object_path", value: source.key)
        let ids = try parseIDList(phones, flag: "--phones")
        let outcomes = try cloud.cphClient(endpointOverride: cloud.endpoint).fanOut(
            ids, limit: CPHRequestRules.maxServersPerShareCall, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.json)
        ) { (client, chunk) throws(PhonePackError) in
            try client.restoreData(phoneIDs: chunk, bucket: source.bucket, objectPath: source.key)
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "restore")
    }
}

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run commands on cloud phones and show each one's output.",
        subcommands: [ExecHuawei.self, ExecKooPhone.self, ExecAlibaba.self])
}

struct ExecHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract:
            "CPH phone commands: a shell command (default), --install obs://x.apk, --push-file obs://x.tar, --uninstall P."
    )

    @Option(help: "Phone ids: id,id,… or @file.")
    var phones: String

    @Option(help: "Install this APK from OBS.")
    var install: String?

    @Option(help: "Unpack this tar from OBS at the phone's / (PushFile; put files under data/).")
    var pushFile: String?

    @Option(help: "Uninstall this package.")
    var uninstall: String?

    @Argument(help: "The shell command (after --).")
    var command: [String] = []

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let (verb, content): (String, String) =
            if let install { ("install", install) } else if let pushFile { ("push", pushFile) } else if let uninstall {
                ("uninstall", uninstall)
            } else { ("shell", command.joined(separator: " ")) }
        try CPHRequestRules.check(
            CPHCommandRules.check(command: verb, content: content), field: "content", value: content)
        let ids = try parseIDList(phones, flag: "--phones")
        let outcomes = try cloud.cphClient(endpointOverride: cloud.endpoint).fanOut(
            ids, limit: CPHRequestRules.maxServersPerShareCall, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.json)
        ) { (client, chunk) throws(PhonePackError) in
            try client.command(verb, content: content, phoneIDs: chunk)
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "exec")
    }
}

struct ExecKooPhone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "koophone",
        abstract:
            "KooPhone sync-command (default) or async-command (--async, then waited for) on instances, 32 per call.")

    @Option(help: "Instance ids: id,id,… or @file.")
    var instances: String

    @Flag(help: "Use async-command and wait for the task (for commands that take a while).")
    var async = false

    @Argument(help: "The shell command (after --), at most 1024 bytes.")
    var command: [String]

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let text = command.joined(separator: " ")
        let ids = try parseIDList(instances, flag: "--instances")
        if let violation = KooPhoneRules.check(
            command: text, instanceIDs: Array(ids.prefix(KooPhoneRules.maxInstancesPerCall))
        ).violation {
            throw ValidationError("\(violation); nothing was sent")
        }
        let outcomes = try cloud.kooPhoneClient().run(
            text, instanceIDs: ids, async: async, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.json))
        try reportOutcomes(outcomes, json: outputOptions.json, what: "exec")
    }
}

struct ExecAlibaba: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alibaba",
        abstract: "Alibaba RunCommand (async, waited for with DescribeTasks) or RunSyncCommand (--sync), 50 per call.")

    @Option(help: "Instance ids (acp-…): id,id,… or @file.")
    var instances: String

    @Flag(help: "RunSyncCommand: answers at once (for commands that finish in milliseconds).")
    var sync = false

    @Argument(help: "The shell command (after --); sent Base64-encoded so quotes and pipes survive.")
    var command: [String]

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let text = command.joined(separator: " ")
        let ids = try parseIDList(instances, flag: "--instances")
        if let violation = AlibabaRules.checkCommand(
            content: text, instanceIDs: Array(ids.prefix(AlibabaRules.maxInstancesPerCall))
        ).violation {
            throw ValidationError("\(violation); nothing was sent")
        }
        let client = try cloud.alibabaClient(endpointOverride: cloud.endpoint)
        let outcomes: [TargetOutcome]
        if sync {
            outcomes = FanOut.submit(
                ids: ids, limit: AlibabaRules.maxInstancesPerCall,
                clients: (0..<wait.concurrency).map { _ in client.sibling() }
            ) { (client, chunk) throws(PhonePackError) in
                try client.runSyncCommand(text, instanceIDs: chunk).map {
                    TargetOutcome(target: $0.instanceID, state: $0.ok ? .succeeded : .failed, output: $0.output)
                }
            }
        } else {
            outcomes = try client.fanOut(
                ids, concurrency: wait.concurrency, waitTimeout: wait.noWait ? nil : wait.timeout,
                progress: ProgressLine.make(quiet: outputOptions.json)
            ) { (client, chunk) throws(PhonePackError) in try client.runCommand(text, instanceIDs: chunk) }
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "exec")
    }
}

struct ImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "List CPH phone images (every page).")

    @Option(help: "public, private, share or all.")
    var type = "all"

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        guard ["public", "private", "share", "all"].contains(type) else {
            throw ValidationError("--type is public, private, share or all")
        }
        let images = try cloud.cphClient(endpointOverride: cloud.endpoint).images(type: type)
        if outputOptions.json { return print(JSONOutput.string(images)) }
        for image in images {
            say(
                "\(image.image_id.padded(to: 34)) \((image.image_label ?? "").padded(to: 18)) \(image.image_name ?? "")"
            )
        }
    }
}

struct PhonesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phones",
        abstract: "List servers, phones or instances (every page): huawei servers, huawei phones, alibaba.")

    @Argument(help: "huawei-servers, huawei or alibaba.")
    var what: String

    @Option(help: "Only the phones of this CPH server.")
    var server: String?

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        switch what {
        case "huawei-servers":
            let servers = try cloud.cphClient(endpointOverride: cloud.endpoint).listServers()
            if outputOptions.json { return print(JSONOutput.string(servers)) }
            for server in servers { say("\(server.server_id.padded(to: 34)) \(server.server_name ?? "")") }
        case "huawei":
            let phones = try cloud.cphClient(endpointOverride: cloud.endpoint).listPhones(serverID: server)
            if outputOptions.json { return print(JSONOutput.string(phones)) }
            for phone in phones {
                say(
                    "\(phone.phone_id.padded(to: 34)) \((phone.server_id ?? "").padded(to: 34)) \(phone.phone_name ?? "")"
                )
            }
        case "alibaba":
            let instances = try cloud.alibabaClient(endpointOverride: cloud.endpoint).describeInstances()
            if outputOptions.json { return print(JSONOutput.string(instances)) }
            for instance in instances {
                say(
                    "\(instance.AndroidInstanceId.padded(to: 28)) \((instance.AndroidInstanceStatus ?? "").padded(to: 10)) \(instance.AndroidInstanceName ?? "")"
                )
            }
        default:
            throw ValidationError("give huawei-servers, huawei or alibaba")
        }
    }
}

struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Export → wait → download → safe extract → summary: phone data into DIR/<phone>/.",
        discussion: """
            Huawei (default): BatchExportCloudPhoneData of --include/--exclude to obs://…/PREFIX/<phone>.tar.
            Alibaba (--cloud alibaba): FetchFile of --include (one path) to oss://cloudphone-saved-bucket-…/PREFIX/.
            Each phone's object is downloaded (checked), unpacked with every extract safety check into
            DIR/<phone>/, and summarised (apps, sizes, owner uid, SELinux label). One failed phone does not stop
            the others; exit 1 names the ones that failed.
            """)

    @Option(help: "Phone or instance ids: id,id,… or @file.")
    var phones: String

    @Option(help: "Phone path to bring back (repeatable for Huawei).")
    var include: [String]

    @Option(help: "Phone path to leave out (repeatable; Huawei).")
    var exclude: [String] = []

    @Option(help: "Where the exports go: obs://bucket/prefix/ or oss://cloudphone-saved-bucket-…/prefix/.")
    var to: String

    @Option(name: .customShort("C"), help: "Folder to unpack into (one subfolder per phone).")
    var directory: String

    @Option(name: .customLong("cloud"), help: "huawei or alibaba.")
    var cloudKind: CloudKind = .huawei

    @OptionGroup var transfer: AlibabaTransferFlags
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let ids = try parseIDList(phones, flag: "--phones")
        let target = try ObjectURL(parsing: to)
        let settings = TransferSettings(stateDirectory: transferStateDirectory(environment: cloud.environment))
        let progress = ProgressLine.make(quiet: outputOptions.json)
        let pulled: [PulledPhone]
        switch cloudKind {
        case .huawei:
            _ = try obsURL(to, flag: "--to")
            pulled = try PullPipeline.huawei(
                phones: ids, includes: include, excludes: exclude, to: target, into: directory,
                cph: cloud.cphClient(), store: cloud.objectStore(for: target), transfer: settings,
                timeout: wait.timeout,
                progress: progress)
        case .alibaba:
            guard target.scheme == .oss, include.count == 1 else {
                throw ValidationError("--cloud alibaba takes one --include path and an oss:// --to")
            }
            pulled = try PullPipeline.alibaba(
                instances: ids, path: include[0], to: target, endpoint: transfer.endpoint(cloud: cloud),
                into: directory,
                phones: cloud.alibabaClient(), store: cloud.objectStore(for: target), transfer: settings,
                timeout: wait.timeout, progress: progress)
        case .koophone:
            throw ValidationError("KooPhone has no export API; use --cloud huawei or alibaba")
        }
        if outputOptions.json {
            print(JSONOutput.string(pulled))
        } else {
            for phone in pulled {
                guard phone.outcome.state == .succeeded, let folder = phone.folder else {
                    say(
                        "\(phone.outcome.target): \(phone.outcome.state.rawValue) \(phone.outcome.errorCode ?? "") \(phone.outcome.errorMessage ?? "")"
                    )
                    continue
                }
                say(
                    "\(phone.outcome.target): \(phone.files ?? 0) files, \(formatBytes(phone.bytes ?? 0)) in \(folder) (from \(phone.object ?? ""))"
                )
                for app in phone.apps ?? [] {
                    var line = "  \(app.packageName): data \(formatBytes(app.appDataBytes))"
                    if app.externalDataBytes > 0 { line += ", external \(formatBytes(app.externalDataBytes))" }
                    if let uid = app.ownerUID { line += ", uid \(uid)" }
                    if let label = app.selinuxLabel { line += ", \(label)" }
                    say(line)
                }
            }
        }
        let failed = pulled.filter { $0.outcome.state != .succeeded }
        if !failed.isEmpty {
            printError(
                "\(failed.count) of \(pulled.count) phones failed: \(failed.prefix(5).map(\.outcome.target).joined(separator: ", "))"
            )
            throw ExitCode(ExitStatus.checkFailed)
        }
    }
}
