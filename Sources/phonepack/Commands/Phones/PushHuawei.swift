import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct PushHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract: "CPH share-apps / share-files: push (or delete) to every server, then wait for each job.",
        discussion: """
            --tar obs://…/app.tar --package P   PushShareApps (the shared-app tar made by phonepack build)
            --delete --package P                DeleteShareApps
            --files obs://…/files.tar           PushShareFiles (/data and /cache trees only)
            --delete-files /data/x,…            DeleteShareFiles \
            Every field is checked against CPH's documented rules before anything is sent. Server ids are sent
            --batch-size at a time (CPH takes 1 to 100 per call), --concurrency calls at once; each server's \
            job is then polled (ListJobs, 20 requests per call) until it ends or --timeout passes. One line per \
            server; exit 1 when any failed, naming them and their error codes (3 when the API could not be \
            reached). Pre-flight, before anything is sent: every server id must be in CPH's own listing and the \
            tar must exist in OBS (--no-preflight skips both). --dry-run prints the requests and sends nothing.

            Examples:
              phonepack push huawei --tar obs://my-cph-bucket/apps/app.tar \\
                  --package com.example.app --servers server0001,server0002
              phonepack push huawei --files obs://my-cph-bucket/files.tar \\
                  --servers @- < ids.txt
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
    var deleteFiles: IDList?

    @Option(help: "Server ids: id,id,…, @file or @- (standard input).")
    var servers: IDList

    @Flag(help: "Pre-install: the app survives phone restarts and resets.")
    var preInstall = false

    @Option(help: "Server ids per call (1 to 100).")
    var batchSize = BatchSize()

    @OptionGroup var dryRun: DryRunFlag

    @OptionGroup var preflight: PreflightFlag

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func run() throws {
        let operation: CPHShare
        switch (tar, delete, files, deleteFiles) {
        case (let tar?, false, nil, nil):
            guard let package else { throw ValidationError("--tar needs --package") }
            operation = .pushApps(package: package, tar: try obsURL(tar, flag: "--tar"), preInstall: preInstall)
        case (nil, true, nil, nil):
            guard let package else { throw ValidationError("--delete needs --package") }
            operation = .deleteApps(package: package)
        case (nil, false, let files?, nil):
            operation = .pushFiles(tar: try obsURL(files, flag: "--files"))
        case (nil, false, nil, let deleteFiles?):
            operation = .deleteFiles(paths: deleteFiles.ids)
        default:
            throw ValidationError("give one of --tar, --delete, --files, --delete-files")
        }
        let ids = servers.ids
        if dryRun.dryRun {
            let batches = try operation.batches(serverIDs: ids, batchSize: batchSize.value)
            _ = dryRun.show(
                batches.map(operation.planned), summary: "\(batches.count) requests for \(ids.count) servers",
                json: outputOptions.json)
            return
        }
        let session = cloud.session(endpointFor: [.cph])
        let cph = try session.cphClient()
        if preflight.enabled {
            // Field rules first: they cost no request.
            _ = try operation.batches(serverIDs: ids, batchSize: batchSize.value)
            try Fleet.huawei(cph).checkTargets(ids)
            if let tar = operation.object { try session.requireObject(tar) }
        }
        let outcomes = try cph.share(
            operation, serverIDs: ids, batchSize: batchSize.value, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.silent))
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "push", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}

/// Parses an `obs://` URL for CPH, which reads only from OBS.
func obsURL(_ text: String, flag: String) throws -> ObjectURL {
    let url = try ObjectURL(parsing: text)
    guard url.scheme == .obs else { throw ValidationError("\(flag) must be an obs:// URL (CPH reads from OBS)") }
    try FieldRules.obsBucketName(url.bucket).require("bucket_name", value: url.bucket)
    return url
}
