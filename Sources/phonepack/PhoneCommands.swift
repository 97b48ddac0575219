import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

/// Server or phone ids from `a,b,c` or `@file` (one or more per line, commas or spaces between, `#` comments).
func parseIDList(_ text: String, flag: String) throws -> [String] {
    var source = text
    if text.hasPrefix("@") {
        let path = String(text.dropFirst())
        guard let bytes = try? OpenFile.forReading(path).readToEnd() else {
            throw ValidationError("\(flag) \(text): cannot read \(path)")
        }
        source = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            .map { $0.prefix { $0 != "#" } }.joined(separator: ",")
    }
    var seen = Set<String>()
    let ids = source.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" })
        .map(String.init).filter { seen.insert($0).inserted }
    guard !ids.isEmpty else { throw ValidationError("\(flag) lists no ids") }
    return ids
}

/// How fanned-out commands wait and report.
struct WaitFlags: ParsableArguments {
    @Flag(help: "Return once the jobs are created, without waiting for them.")
    var noWait = false

    @Option(help: "Seconds to wait for the jobs before giving up (they go on running).")
    var timeout: Double = 1800

    @Option(help: "Calls sent at once when the ids need several.")
    var concurrency = 4
}

/// Prints per-target outcomes as a table (or JSON) and exits 1 when any target failed.
/// With `json`, prints `document` (the outcomes themselves unless a command has a fuller report).
func reportOutcomes(
    _ outcomes: [TargetOutcome], json: Bool, what: String, document: (any Encodable)? = nil
) throws {
    if json {
        let value: any Encodable = document ?? outcomes
        print(JSONOutput.string(value))
    } else {
        let width = max(6, outcomes.map(\.target.count).max() ?? 0)
        say("\("TARGET".padded(to: width))  STATE      JOB / ERROR")
        for outcome in outcomes {
            var detail = outcome.jobID ?? ""
            if let code = outcome.errorCode { detail += (detail.isEmpty ? "" : "  ") + code }
            if let message = outcome.errorMessage { detail += (detail.isEmpty ? "" : "  ") + message }
            say("\(outcome.target.padded(to: width))  \(outcome.state.rawValue.padded(to: 9))  \(detail)")
            if let output = outcome.output, !output.isEmpty {
                for line in output.split(separator: "\n", omittingEmptySubsequences: false) { say("    \(line)") }
            }
        }
        var counts: [TargetOutcome.State: Int] = [:]
        for outcome in outcomes { counts[outcome.state, default: 0] += 1 }
        let summary = TargetOutcome.State.allCasesInOrder.compactMap { state in
            counts[state].map { "\($0) \(state.rawValue)" }
        }
        say("\(what): \(outcomes.count) targets: \(summary.joined(separator: ", "))")
    }
    let bad = outcomes.filter { $0.state == .failed || $0.state == .rejected }
    if !bad.isEmpty {
        let list = bad.prefix(5).map { "\($0.target) (\($0.errorCode ?? "error"))" }.joined(separator: ", ")
        printError("\(bad.count) of \(outcomes.count) failed: \(list)\(bad.count > 5 ? ", …" : "")")
        throw ExitCode(ExitStatus.checkFailed)
    }
    if outcomes.contains(where: { $0.state == .running }) {
        printError("some jobs are still running; wait again with: phonepack jobs wait REQUEST_ID …")
        throw ExitCode(ExitStatus.checkFailed)
    }
}

extension TargetOutcome.State {
    static let allCasesInOrder: [Self] = [.succeeded, .submitted, .running, .failed, .rejected]
}

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push apps or files to cloud phones.",
        subcommands: [PushHuawei.self, PushAlibaba.self])
}

struct PushHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract: "CPH share-apps / share-files: push (or delete) to every server, then wait for each job.",
        discussion: """
            --tar obs://…/app.tar --package P   PushShareApps (the shared-app tar made by phonepack build)
            --delete --package P                DeleteShareApps
            --files obs://…/files.tar           PushShareFiles (/data and /cache trees only)
            --delete-files /data/x,…            DeleteShareFiles
            Every field is checked against CPH's documented rules before anything is sent. Server ids are sent
            --batch-size at a time (CPH takes 1 to 100 per call), --concurrency calls at once; each server's
            job is then polled (ListJobs, 20 requests per call) until it ends or --timeout passes. One line per
            server; exit 1 when any failed, naming them and their error codes. --dry-run prints the requests.
            """)

    @Option(help: "The shared-app tar in OBS: obs://bucket/path/app.tar (PushShareApps).")
    var tar: String?

    @Option(help: "The app's package name (as in its manifest).")
    var package: String?

    @Flag(help: "Delete the shared app --package from the servers (DeleteShareApps).")
    var delete = false

    @Option(help: "A tar of files in OBS for the servers' shared storage (PushShareFiles).")
    var files: String?

    @Option(help: "Shared files to delete: /data/path,… (DeleteShareFiles).")
    var deleteFiles: String?

    @Option(help: "Server ids: id,id,… or @file.")
    var servers: String

    @Flag(help: "Pre-install: the app survives phone restarts and resets.")
    var preInstall = false

    @Option(help: "Server ids per call (1 to 100).")
    var batchSize = CPHRequestRules.maxServersPerShareCall

    @Flag(help: "Print the requests that would be sent, and send nothing.")
    var dryRun = false

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let modes = [tar != nil, delete, files != nil, deleteFiles != nil].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give one of --tar, --delete, --files, --delete-files") }
        guard (1...CPHRequestRules.maxServersPerShareCall).contains(batchSize) else {
            throw ValidationError("--batch-size takes 1 to \(CPHRequestRules.maxServersPerShareCall)")
        }
        let ids = try parseIDList(servers, flag: "--servers")
        let batches = stride(from: 0, to: ids.count, by: batchSize).map {
            Array(ids[$0..<min($0 + batchSize, ids.count)])
        }
        let call: @Sendable (CPHClient, [String]) throws(PhonePackError) -> CPHBatchAnswer
        var description: String
        if let tar {
            let target = try obsURL(tar, flag: "--tar")
            guard let package else { throw ValidationError("--tar needs --package") }
            // Check every batch before sending any, so a bad field never leaves half the fleet pushed.
            for batch in batches {
                try CPHRequestRules.shareApps(
                    packageName: package, bucket: target.bucket, objectPath: target.key, serverIDs: batch)
            }
            let preInstall = self.preInstall
            description =
                "POST …/cloud-phone/phones/share-apps {package_name: \(package), pre_install_app: \(preInstall ? 1 : 0), bucket_name: \(target.bucket), object_path: \(target.key)"
            call = { (client, chunk) throws(PhonePackError) in
                try client.pushShareApps(
                    packageName: package, bucket: target.bucket, objectPath: target.key, serverIDs: chunk,
                    preInstall: preInstall)
            }
        } else if delete {
            guard let package else { throw ValidationError("--delete needs --package") }
            try CPHRequestRules.check(FieldRules.packageName(package), field: "package_name", value: package)
            for batch in batches { try CPHRequestRules.serverIDs(batch) }
            description = "DELETE …/cloud-phone/phones/share-apps {package_name: \(package)"
            call = { (client, chunk) throws(PhonePackError) in
                try client.deleteShareApps(packageName: package, serverIDs: chunk)
            }
        } else if let files {
            let target = try obsURL(files, flag: "--files")
            try CPHRequestRules.check(FieldRules.cphObjectPath(target.key), field: "object_path", value: target.key)
            for batch in batches { try CPHRequestRules.serverIDs(batch) }
            description =
                "POST …/cloud-phone/phones/share-files {bucket_name: \(target.bucket), object_path: \(target.key)"
            call = { (client, chunk) throws(PhonePackError) in
                try client.pushShareFiles(bucket: target.bucket, objectPath: target.key, serverIDs: chunk)
            }
        } else {
            let paths = try parseIDList(deleteFiles!, flag: "--delete-files")
            for path in paths {
                try CPHRequestRules.check(FieldRules.shareFilePath(path), field: "file_paths", value: path)
            }
            for batch in batches { try CPHRequestRules.serverIDs(batch) }
            description = "POST …/cloud-phone/phones/share-files {file_paths: \(paths.joined(separator: ","))"
            call = { (client, chunk) throws(PhonePackError) in
                try client.deleteShareFiles(paths: paths, serverIDs: chunk)
            }
        }
        if dryRun {
            for batch in batches { say("\(description), server_ids: [\(batch.count) ids, \(batch.first!) …]}") }
            say("dry run: \(batches.count) requests for \(ids.count) servers; nothing sent")
            return
        }
        let outcomes = try cloud.cphClient(endpointOverride: cloud.endpoint).fanOut(
            ids, limit: batchSize, concurrency: wait.concurrency, waitTimeout: wait.noWait ? nil : wait.timeout,
            progress: ProgressLine.make(quiet: outputOptions.json), call)
        try reportOutcomes(outcomes, json: outputOptions.json, what: "push")
    }
}

/// Parses an `obs://` URL for CPH, which reads only from OBS.
func obsURL(_ text: String, flag: String) throws -> ObjectURL {
    let url = try ObjectURL(parsing: text)
    guard url.scheme == .obs else { throw ValidationError("\(flag) must be an obs:// URL (CPH reads from OBS)") }
    try CPHRequestRules.check(FieldRules.obsBucketName(url.bucket), field: "bucket_name", value: url.bucket)
    return url
}

/// Flags of the Alibaba file calls.
struct AlibabaTransferFlags: ParsableArguments {
    @Option(
        help:
            "OSS endpoint the phones use, e.g. oss-cn-shanghai-internal.aliyuncs.com (else the region's internal one).")
    var uploadEndpoint: String?

    func endpoint(cloud: CloudOptions) -> String {
        if let uploadEndpoint { return uploadEndpoint }
        if let configured = cloud.environment["PHONEPACK_OSS_ENDPOINT"] {
            return String(configured.split(separator: "://").last ?? Substring(configured))
        }
        return "oss-\(cloud.region ?? "cn-shanghai")-internal.aliyuncs.com"
    }
}

struct PushAlibaba: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alibaba",
        abstract: "Alibaba SendFile: a file in a cloudphone-saved-bucket-* bucket onto every instance, then wait.",
        discussion: """
            UploadType OSS: the instances read oss://cloudphone-saved-bucket-…/KEY directly. With --install the
            APK is installed once it is there (AutoInstall). Instance ids go 50 per call; each instance's task
            is followed with DescribeTasks. Every call carries a ClientToken, so a retry never sends twice.
            """)

    @Option(help: "The file in OSS: oss://cloudphone-saved-bucket-…/path/app.apk.")
    var file: String

    @Option(help: "Instance ids (acp-…): id,id,… or @file.")
    var instances: String

    @Option(help: "Folder on the phone.")
    var to = "/sdcard/Download/"

    @Flag(help: "Install the APK after it arrives (AutoInstall).")
    var install = false

    @Option(
        help: """
            OSS (the instances read the object; bucket must be cloudphone-saved-bucket-*), DOWNLOAD_URL or \
            OSS_BRIDGED (phonepack presigns the object, from any bucket, for --url-expires seconds).
            """)
    var uploadType = "OSS"

    @Option(help: "Seconds a presigned URL stays valid (DOWNLOAD_URL, OSS_BRIDGED).")
    var urlExpires = 3600

    @OptionGroup var transfer: AlibabaTransferFlags
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let url = try ObjectURL(parsing: file)
        guard url.scheme == .oss else { throw ValidationError("--file must be an oss:// URL") }
        let ids = try parseIDList(instances, flag: "--instances")
        guard ["OSS", "DOWNLOAD_URL", "OSS_BRIDGED"].contains(uploadType) else {
            throw ValidationError("--upload-type is OSS, DOWNLOAD_URL or OSS_BRIDGED")
        }
        guard (60...604_800).contains(urlExpires) else { throw ValidationError("--url-expires takes 60 to 604800") }
        let presigned =
            uploadType == "OSS" ? nil : try cloud.objectStore(for: url).presign(url.key, expires: urlExpires)
        // A downloaded file needs its full path on the phone.
        let phonePath = uploadType == "DOWNLOAD_URL" && to.hasSuffix("/") ? to + lastPathComponent(url.key) : to
        var probe = AlibabaFileCall(
            action: "SendFile", instanceIDs: Array(ids.prefix(AlibabaRules.maxInstancesPerCall)),
            sourceFilePath: phonePath, uploadType: uploadType,
            uploadEndpoint: uploadType == "DOWNLOAD_URL" ? "" : transfer.endpoint(cloud: cloud),
            uploadURL: presigned ?? url.description)
        probe.autoInstall = install
        if let violation = AlibabaRules.check(probe).violation {
            throw ValidationError("\(violation); nothing was sent")
        }
        let template = probe
        let outcomes = try cloud.alibabaClient(endpointOverride: cloud.endpoint).fanOut(
            ids, concurrency: wait.concurrency, waitTimeout: wait.noWait ? nil : wait.timeout,
            progress: ProgressLine.make(quiet: outputOptions.json)
        ) { (client, chunk) throws(PhonePackError) in
            var call = template
            call.instanceIDs = chunk
            call.clientToken = nil
            return try client.fileCall(call)
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "push")
    }
}

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Follow cloud-phone jobs.", subcommands: [JobsWait.self])
}

enum CloudKind: String, ExpressibleByArgument, CaseIterable {
    case huawei, koophone, alibaba
}

struct JobsWait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for cloud-phone jobs to end: CPH request ids, KooPhone task ids, Alibaba task ids.",
        discussion: """
            Polls with growing pauses (1 s up to 10 s) until every job has ended or --timeout passes, showing
            how many are done; then one line per server, phone or instance (or --json). Exit 1 if any failed.
            """)

    @Argument(help: "Request ids (huawei), task ids (koophone), or instance task ids (alibaba).")
    var ids: [String]

    @Option(name: .customLong("cloud"), help: "Whose ids: huawei, koophone or alibaba.")
    var cloudKind: CloudKind = .huawei

    @Flag(help: "The ids are CPH job ids (ShowJob), not request ids.")
    var jobIds = false

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let progress = ProgressLine.make(quiet: outputOptions.json)
        let final: [TargetOutcome]
        // --timeout bounds the whole command, the first listing of the jobs included.
        let deadline = CloudTime.monotonicSeconds() + wait.timeout
        switch cloudKind {
        case .huawei where jobIds:
            let client = try cloud.cphClient(endpointOverride: cloud.endpoint)
            client.client.deadline = deadline
            let outcomes = ids.map { TargetOutcome(target: $0, state: .submitted, jobID: $0) }
            final = try FanOut.wait(outcomes, timeout: wait.timeout, client: client.client, progress: progress) {
                (open) throws(PhonePackError) in
                var states: [String: JobState] = [:]
                for outcome in open {
                    let job = try client.job(outcome.jobID!)
                    states[job.job_id] = job.state
                }
                return states
            }
        case .huawei:
            let client = try cloud.cphClient(endpointOverride: cloud.endpoint)
            client.client.deadline = deadline
            // One ListJobs per request id: with several at once, the answer does not say which job is whose.
            var outcomes: [TargetOutcome] = []
            for id in ids {
                outcomes += try client.listJobs(requestIDs: [id]).map {
                    TargetOutcome(
                        target: $0.server_id ?? $0.phone_id ?? $0.job_id, state: .submitted, requestID: id,
                        jobID: $0.job_id)
                }
            }
            guard !outcomes.isEmpty else { throw ValidationError("no jobs found for \(ids.joined(separator: ", "))") }
            final = try client.wait(outcomes, timeout: wait.timeout, progress: progress)
        case .koophone:
            let client = try cloud.kooPhoneClient()
            client.client.deadline = deadline
            var outcomes: [TargetOutcome] = []
            for id in ids {
                outcomes += try client.task(id).compactMap { job in
                    job.job_id.map { TargetOutcome(target: $0, state: .submitted, requestID: id, jobID: $0) }
                }
            }
            final = try client.wait(outcomes, timeout: wait.timeout, progress: progress)
        case .alibaba:
            let client = try cloud.alibabaClient(endpointOverride: cloud.endpoint)
            client.client.deadline = deadline
            let outcomes = ids.map { TargetOutcome(target: $0, state: .submitted, jobID: $0) }
            final = try client.wait(outcomes, timeout: wait.timeout, progress: progress)
        }
        try reportOutcomes(final, json: outputOptions.json, what: "jobs")
    }
}

/// "jobs: 40/100 done" on stderr, rewritten in place when stderr is a terminal.
enum ProgressLine {
    static func make(quiet: Bool) -> (Int, Int) -> Void {
        guard !quiet else { return { _, _ in } }
        let terminal = isatty(2) != 0
        var last = -1
        return { done, total in
            guard done != last else { return }
            last = done
            writeToStandardError(terminal ? "\rjobs: \(done)/\(total) done   " : "jobs: \(done)/\(total) done\n")
            if terminal && done == total { writeToStandardError("\n") }
        }
    }
}

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Build → verify → upload → push → wait: an app onto every listed phone in one command.",
        discussion: """
            Huawei (--to obs://…/app.tar --servers …): the shared-app tar is built in a temporary folder (deleted
            at the end), verified with the huawei-share-app rules, uploaded with its SHA-256 as metadata, pushed
            with PushShareApps and waited for.
            Alibaba (--to oss://cloudphone-saved-bucket-…/app.apk --instances …): the APK is verified
            (alibaba-sendfile), uploaded, sent with SendFile + AutoInstall and waited for with DescribeTasks.
            Both skip the upload when the object already has the same SHA-256 (a rerun after a failed push does
            not upload again), stop at the first stage that fails and say which; an interrupted upload resumes
            on the next run. Endpoints come from PHONEPACK_<SERVICE>_ENDPOINT, the profile, or --region.
            """)

    @OptionGroup var app: BuildInputFlags

    @Option(help: "Where the file goes: obs://bucket/path/app.tar (Huawei) or oss://cloudphone-saved-bucket-…/app.apk.")
    var to: String

    @Option(help: "CPH server ids: id,id,… or @file.")
    var servers: String?

    @Option(help: "Alibaba instance ids: id,id,… or @file.")
    var instances: String?

    @Flag(help: "Pre-install (Huawei): the app survives phone restarts and resets.")
    var preInstall = false

    @Option(help: "Server ids per push call (1 to 100).")
    var batchSize = CPHRequestRules.maxServersPerShareCall

    @Option(help: "Folder on the phone (Alibaba).")
    var phonePath = "/sdcard/Download/"

    @OptionGroup var transfer: AlibabaTransferFlags
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let destination = try ObjectURL(parsing: to)
        let quiet = outputOptions.json
        let settings = TransferSettings(stateDirectory: transferStateDirectory(environment: cloud.environment))
        let notice: (String) -> Void = { if !quiet { say("release: \($0)") } }
        let report: ReleaseReport
        switch destination.scheme {
        case .obs:
            guard let servers else { throw ValidationError("a Huawei release (--to obs://…) needs --servers") }
            var plan = ReleasePlan(
                build: try app.options(output: lastPathComponent(destination.key)), destination: destination,
                serverIDs: try parseIDList(servers, flag: "--servers"))
            plan.preInstall = preInstall
            plan.batchSize = batchSize
            plan.concurrency = wait.concurrency
            plan.waitTimeout = wait.noWait ? nil : wait.timeout
            report = try HuaweiRelease.run(
                plan, store: try cloud.objectStore(for: destination), cph: try cloud.cphClient(), transfer: settings,
                notice: notice, progress: ProgressLine.make(quiet: quiet))
        case .oss:
            guard let instances else { throw ValidationError("an Alibaba release (--to oss://…) needs --instances") }
            guard app.inputs.count == 1, app.inputs[0].hasSuffix(".apk") else {
                throw ValidationError("an Alibaba release sends one APK (SendFile + AutoInstall): give its path")
            }
            report = try AlibabaRelease.run(
                file: app.inputs[0], to: destination, instances: try parseIDList(instances, flag: "--instances"),
                phonePath: phonePath, uploadEndpoint: transfer.endpoint(cloud: cloud),
                phones: try cloud.alibabaClient(), store: try cloud.objectStore(for: destination), transfer: settings,
                timeout: wait.noWait ? nil : wait.timeout, notice: notice, progress: ProgressLine.make(quiet: quiet))
        case .s3:
            throw ValidationError("--to must be obs:// (Huawei) or oss:// (Alibaba)")
        }
        try reportOutcomes(report.outcomes, json: quiet, what: "release", document: report)
    }
}
