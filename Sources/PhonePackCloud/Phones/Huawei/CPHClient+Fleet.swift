import PhonePackCore

/// One of CPH's four shared-storage operations, sent to any number of servers.
public enum CPHShare: Sendable {
    /// PushShareApps: the shared-app tar `phonepack build` made.
    case pushApps(package: String, tar: ObjectURL, preInstall: Bool)
    /// DeleteShareApps.
    case deleteApps(package: String)
    /// PushShareFiles: a tar of /data and /cache trees.
    case pushFiles(tar: ObjectURL)
    /// DeleteShareFiles.
    case deleteFiles(paths: [String])

    /// The server ids split into calls of `batchSize`, every field of every call checked first: a bad field
    /// throws the "nothing was sent" error before anything is sent, so no half of a fleet is ever pushed.
    public func batches(serverIDs: [String], batchSize: Int = CPHRequestRules.maxServersPerShareCall)
        throws(PhonePackError) -> [[String]]
    {
        guard (1...CPHRequestRules.maxServersPerShareCall).contains(batchSize) else {
            throw .ruleViolation(
                field: "batch size", value: String(batchSize),
                rule: "CPH takes 1 to \(CPHRequestRules.maxServersPerShareCall) server ids per call")
        }
        let batches = stride(from: 0, to: serverIDs.count, by: batchSize).map {
            Array(serverIDs[$0..<min($0 + batchSize, serverIDs.count)])
        }
        switch self {
        case .pushApps(let package, let tar, _):
            for batch in batches {
                try CPHRequestRules.shareApps(
                    packageName: package, bucket: tar.bucket, objectPath: tar.key, serverIDs: batch)
            }
        case .deleteApps(let package):
            try FieldRules.packageName(package).require("package_name", value: package)
        case .pushFiles(let tar):
            try FieldRules.obsBucketName(tar.bucket).require("bucket_name", value: tar.bucket)
            try FieldRules.cphObjectPath(tar.key).require("object_path", value: tar.key)
        case .deleteFiles(let paths):
            for path in paths { try FieldRules.shareFilePath(path).require("file_paths", value: path) }
        }
        for batch in batches { try CPHRequestRules.serverIDs(batch) }
        return batches
    }

    /// The OBS object the operation makes the servers read, if any.
    public var object: ObjectURL? {
        switch self {
        case .pushApps(_, let tar, _), .pushFiles(let tar): tar
        case .deleteApps, .deleteFiles: nil
        }
    }

    /// The request one batch becomes, for `--dry-run`.
    public func planned(_ batch: [String]) -> PlannedRequest {
        let request =
            switch self {
            case .pushApps(let package, let tar, let preInstall):
                PlannedRequest(
                    "POST", "…/cloud-phone/phones/share-apps",
                    body: [
                        "package_name": .string(package), "pre_install_app": .number(preInstall ? 1 : 0),
                        "bucket_name": .string(tar.bucket), "object_path": .string(tar.key),
                    ])
            case .deleteApps(let package):
                PlannedRequest("DELETE", "…/cloud-phone/phones/share-apps", body: ["package_name": .string(package)])
            case .pushFiles(let tar):
                PlannedRequest(
                    "POST", "…/cloud-phone/phones/share-files",
                    body: ["bucket_name": .string(tar.bucket), "object_path": .string(tar.key)])
            case .deleteFiles(let paths):
                PlannedRequest("POST", "…/cloud-phone/phones/share-files", body: ["file_paths": .list(paths)])
            }
        return request.with("server_ids", ids: batch)
    }

    func send(_ client: CPHClient, _ serverIDs: [String]) throws(PhonePackError) -> CPHBatchAnswer {
        switch self {
        case .pushApps(let package, let tar, let preInstall):
            try client.pushShareApps(
                packageName: package, bucket: tar.bucket, objectPath: tar.key, serverIDs: serverIDs,
                preInstall: preInstall)
        case .deleteApps(let package):
            try client.deleteShareApps(packageName: package, serverIDs: serverIDs)
        case .pushFiles(let tar):
            try client.pushShareFiles(bucket: tar.bucket, objectPath: tar.key, serverIDs: serverIDs)
        case .deleteFiles(let paths):
            try client.deleteShareFiles(paths: paths, serverIDs: serverIDs)
        }
    }
}

extension CPHClient {
    /// `operation` on every server: checked (``CPHShare/batches(serverIDs:batchSize:)``), sent `concurrency` calls
    /// at a time, then (with a `waitTimeout`) waited for. Every server gets an outcome.
    public func share(
        _ operation: CPHShare, serverIDs: [String], batchSize: Int = CPHRequestRules.maxServersPerShareCall,
        concurrency: Int = 4, waitTimeout: Double?, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        _ = try operation.batches(serverIDs: serverIDs, batchSize: batchSize)
        return try fanOut(
            serverIDs, limit: batchSize, concurrency: concurrency, waitTimeout: waitTimeout, progress: progress
        ) { (client, chunk) throws(PhonePackError) in try operation.send(client, chunk) }
    }

    /// BatchExportCloudPhoneData for every phone: each phone's `include` paths as `PREFIX/<phone>.tar` under `to`,
    /// every entry checked before anything is sent, then (with a `waitTimeout`) waited for.
    public func exportData(
        phoneIDs: [String], include: [String], exclude: [String], to: ObjectURL, concurrency: Int = 4,
        waitTimeout: Double?, progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> [TargetOutcome] {
        try Self.checkExport(phoneIDs: phoneIDs, include: include, exclude: exclude, to: to)
        return try fanOut(
            phoneIDs, limit: CPHRequestRules.maxServersPerShareCall, concurrency: concurrency,
            waitTimeout: waitTimeout, progress: progress
        ) { (client, chunk) throws(PhonePackError) in
            try client.exportData(
                chunk.map { CPHStorageInfo.export(phone: $0, include: include, exclude: exclude, to: to) })
        }
    }
}

extension CPHClient {
    /// Pre-flight of phone ids: each listed once and in CPH's listing of phones (all pages).
    public func checkPhones(_ ids: [String], listing: Bool = true) throws(PhonePackError) {
        try Fleet.requireKnown(
            ids, kind: "phone",
            listing: listing ? { () throws(PhonePackError) in try self.listPhones().map(\.phoneID) } : nil)
    }
}

extension CPHClient {
    /// Every export entry checked against CPH's rules (paths, bucket, object path): the "nothing was sent" error.
    public static func checkExport(phoneIDs: [String], include: [String], exclude: [String], to: ObjectURL)
        throws(PhonePackError)
    {
        _ = try ExportPathFilter(includes: include, excludes: exclude)
        for phone in phoneIDs {
            try CPHRequestRules.export(CPHStorageInfo.export(phone: phone, include: include, exclude: exclude, to: to))
        }
    }
}

extension CPHStorageInfo {
    /// One phone's export entry: its tar is `PREFIX/<phone>.tar` under `to` (a folder).
    public static func export(phone: String, include: [String], exclude: [String], to: ObjectURL) -> CPHStorageInfo {
        let base = to.key.isEmpty || to.key.hasSuffix("/") ? to.key : to.key + "/"
        return CPHStorageInfo(
            phoneID: phone, includeFiles: include, excludeFiles: exclude.isEmpty ? nil : exclude,
            bucketName: to.bucket, objectPath: base + phone + ".tar")
    }
}
