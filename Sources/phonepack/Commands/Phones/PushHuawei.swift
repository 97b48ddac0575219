import ArgumentParser
import Foundation
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
