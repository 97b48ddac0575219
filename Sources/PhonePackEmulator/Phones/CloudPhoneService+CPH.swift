import Foundation
import Hummingbird
import PhonePackCloud
import PhonePackCore

/// Huawei CPH: `/v1/{project_id}/cloud-phone/…`.
extension CloudPhoneService {
    func cph(_ request: IncomingRequest, path: String, body: [UInt8], requestID: String) throws -> Response {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "v1", parts[2] == "cloud-phone" else {
            throw Failure(status: 404, code: "APIGW.0101", message: "The API does not exist or has not been published")
        }
        try checkSignatureOrToken(request, path: path, body: body)
        let route = parts.dropFirst(3).joined(separator: "/")
        switch (request.method, route) {
        case ("POST", "phones/share-apps"):
            return try pushShareApps(body, requestID: requestID)
        case ("DELETE", "phones/share-apps"):
            struct Body: Decodable {
                var package_name: String
                var server_ids: [String]
            }
            let delete = try decodeBody(Body.self, body)
            try checkField(FieldRules.packageName(delete.package_name), "package_name")
            return batch(serverIDs: delete.server_ids, requestID: requestID) { server in
                for phone in phones(of: server) {
                    fleet.uninstall(delete.package_name, from: phone)
                }
                return (nil, nil)
            }
        case ("POST", "phones/share-files"):
            struct Body: Decodable {
                var bucket_name: String?
                var object_path: String?
                var file_paths: [String]?
                var server_ids: [String]
            }
            let share = try decodeBody(Body.self, body)
            if let paths = share.file_paths {
                for path in paths { try checkField(FieldRules.shareFilePath(path), "file_paths") }
                return batch(serverIDs: share.server_ids, requestID: requestID) { _ in (nil, nil) }
            }
            guard let bucket = share.bucket_name, let key = share.object_path else {
                throw Failure(
                    status: 400, code: "CPS.0118", message: "Parameter: bucket_name and object_path are required.")
            }
            let tar = obs.dataPath(bucket: bucket, key: key)
            return batch(serverIDs: share.server_ids, requestID: requestID) { server in
                guard let tar else {
                    return (
                        EmulatedFailure(
                            code: "EMULATOR.NoSuchObject", message: "obs://\(bucket)/\(key) does not exist"), nil
                    )
                }
                return (unpack(tar, into: phones(of: server)), nil)
            }
        case ("POST", "phones/batch-storage"):
            return try export(body, requestID: requestID)
        case ("POST", "phones/batch-restore"):
            struct Body: Decodable {
                struct Info: Decodable {
                    var phone_id: String
                    var bucket_name: String
                    var object_path: String
                }
                var restore_infos: [Info]
            }
            let restore = try decodeBody(Body.self, body)
            return phoneBatch(restore.restore_infos.map(\.phone_id), requestID: requestID) { phone in
                let info = restore.restore_infos.first { $0.phone_id == phone }!
                guard let tar = obs.dataPath(bucket: info.bucket_name, key: info.object_path) else {
                    return (
                        EmulatedFailure(
                            code: "EMULATOR.NoSuchObject",
                            message: "obs://\(info.bucket_name)/\(info.object_path) does not exist"), nil
                    )
                }
                return (unpack(tar, into: [phone]), nil)
            }
        case ("POST", "phones/commands"):
            return try command(body, requestID: requestID)
        case ("GET", "phone-images"):
            let type = request.queryValue("image_type") ?? "all"
            guard ["public", "private", "share", "all"].contains(type) else {
                throw Failure(status: 400, code: "CPS.0010", message: "Parameter: image_type is invalid.")
            }
            let images: [[String: String]] = [
                [
                    "image_id": "emulatorimage0001", "image_name": "Android 12 (emulated)", "os_type": "Android",
                    "os_name": "Android 12", "image_label": "cloud_phone",
                ],
                [
                    "image_id": "emulatorimage0002", "image_name": "Android 11 game (emulated)", "os_type": "Android",
                    "os_name": "Android 11", "image_label": "cloud_game",
                ],
            ]
            struct Answer: Encodable {
                var request_id: String
                var phone_images: [[String: String]]
            }
            return encode(
                Answer(request_id: requestID, phone_images: type == "private" || type == "share" ? [] : images))
        case ("GET", "jobs"):
            let groups = (request.queryValue("request_ids") ?? request.queryValue("request_id") ?? "").split(
                separator: ",")
            let offset = Int(request.queryValue("offset") ?? "") ?? 0
            let limit = min(Int(request.queryValue("limit") ?? "") ?? 100, 100)
            let now = CloudTime.monotonicSeconds()
            let all = groups.flatMap { jobs.group(String($0)) }.map { cphJob($0, now: now) }
            struct Answer: Encodable {
                var request_id: String
                var count: Int
                var jobs: [CPHJob]
            }
            return encode(
                Answer(request_id: requestID, count: all.count, jobs: Array(all.dropFirst(offset).prefix(limit))))
        case ("GET", _) where route.hasPrefix("jobs/"):
            guard let job = jobs.job(String(route.dropFirst(5))) else {
                throw Failure(status: 404, code: "CPS.0015", message: "Job is not found.")
            }
            return encode(cphJob(job, now: CloudTime.monotonicSeconds()))
        case ("GET", "servers"):
            let offset = Int(request.queryValue("offset") ?? "") ?? 0
            let limit = min(Int(request.queryValue("limit") ?? "") ?? 100, 100)
            struct Answer: Encodable {
                var request_id: String
                var count: Int
                var servers: [CPHServer]
            }
            let page = servers.dropFirst(offset).prefix(limit).map {
                CPHServer(serverID: $0, serverName: "emulated-\($0)", status: 5)
            }
            return encode(Answer(request_id: requestID, count: servers.count, servers: Array(page)))
        case ("GET", "phones"):
            let offset = Int(request.queryValue("offset") ?? "") ?? 0
            let limit = min(Int(request.queryValue("limit") ?? "") ?? 100, 200)
            let chosen = request.queryValue("server_id").map { phones(of: $0) } ?? allPhones
            struct Answer: Encodable {
                var request_id: String
                var count: Int
                var phones: [CPHPhone]
            }
            let page = chosen.dropFirst(offset).prefix(limit).map { phone in
                CPHPhone(
                    phoneID: phone, phoneName: "emulated-\(phone)",
                    serverID: servers.first { phones(of: $0).contains(phone) },
                    status: 2)
            }
            return encode(Answer(request_id: requestID, count: chosen.count, phones: Array(page)))
        default:
            throw Failure(status: 404, code: "APIGW.0101", message: "The API does not exist or has not been published")
        }
    }

    private func cphJob(_ job: EmulatedJob, now: Double) -> CPHJob {
        let done = job.done(now)
        let isPhone = job.target.hasPrefix("phone")
        return CPHJob(
            jobID: job.id, status: done ? (job.failed ? -1 : 2) : 1, serverID: isPhone ? nil : job.target,
            phoneID: isPhone ? job.target : nil, errorCode: done ? job.errorCode : nil,
            errorMessage: done ? job.errorMessage : nil, executeMessage: done ? job.output : nil,
            beginTime: CloudTime.iso8601(job.created), endTime: done ? CloudTime.iso8601(CloudTime.now()) : nil)
    }

    /// Jobs for server ids; unknown servers get CPS.0016 in their entry instead of a job.
    private func batch(serverIDs: [String], requestID: String, _ outcome: (String) -> (EmulatedFailure?, String?))
        -> Response
    {
        jobEntries(serverIDs, known: Set(servers), requestID: requestID, outcome) { id, job in
            job.map { CPHJobEntry(serverID: id, jobID: $0) }
                ?? CPHJobEntry(serverID: id, errorCode: "CPS.0016", errorMessage: "server_id is invalid.")
        }
    }

    /// Jobs for phone ids; unknown phones get CPS.0005.
    private func phoneBatch(_ phoneIDs: [String], requestID: String, _ outcome: (String) -> (EmulatedFailure?, String?))
        -> Response
    {
        jobEntries(phoneIDs, known: Set(allPhones), requestID: requestID, outcome) { id, job in
            job.map { CPHJobEntry(phoneID: id, jobID: $0) }
                ?? CPHJobEntry(phoneID: id, errorCode: "CPS.0005", errorMessage: "Phone is not found.")
        }
    }

    /// Submits jobs for the known ids and answers one entry per id, made by `entry(id, jobID or nil)`.
    private func jobEntries(
        _ ids: [String], known: Set<String>, requestID: String, _ outcome: (String) -> (EmulatedFailure?, String?),
        entry: (String, String?) -> CPHJobEntry
    ) -> Response {
        let submitted = submitJobs(group: requestID, targets: ids.filter(known.contains)) { outcome($0) }
        let byTarget = Dictionary(submitted.map { ($0.target, $0.jobID) }, uniquingKeysWith: { first, _ in first })
        return encode(CPHBatchAnswer(requestID: requestID, jobs: ids.map { entry($0, byTarget[$0]) }))
    }

    private func pushShareApps(_ body: [UInt8], requestID: String) throws -> Response {
        struct Body: Decodable {
            var package_name: String
            var pre_install_app: Int?
            var bucket_name: String
            var object_path: String
            var server_ids: [String]
        }
        let push = try decodeBody(Body.self, body)
        do {
            try CPHRequestRules.shareApps(
                packageName: push.package_name, bucket: push.bucket_name, objectPath: push.object_path,
                serverIDs: push.server_ids)
        } catch {
            throw Failure(status: 400, code: "CPS.0118", message: "Parameter invalid: \(error.description)")
        }
        // One check of the tar serves every server of the call, as the service fetches it once: its layout, then
        // its base.apk as the phones' package manager sees it.
        var failure: EmulatedFailure?
        var candidate: PackageManager.Candidate?
        let tar = obs.dataPath(bucket: push.bucket_name, key: push.object_path)
        if let tar {
            var options = VerifyOptions(profile: .huaweiShareApp, packageName: push.package_name, checksum: .notNeeded)
            options.checkInstall = false
            let report = try? PackageVerifier.verify(path: tar, options: options)
            if let report, !report.passed {
                let rule = report.rules.first { $0.status == .fail }
                failure = EmulatedFailure(
                    code: "EMULATOR.LayoutRejected",
                    message: "the tar breaks the share-app layout: \(rule?.id ?? ""): \(rule?.detail ?? "")")
            } else if report == nil {
                failure = EmulatedFailure(code: "EMULATOR.LayoutRejected", message: "the object is not a readable tar")
            } else {
                do {
                    candidate = try baseAPK(in: tar, package: push.package_name)
                } catch let error as EmulatedFailure {
                    failure = error
                } catch {
                    failure = EmulatedFailure(code: "EMULATOR.LayoutRejected", message: "\(error)")
                }
            }
        } else {
            failure = EmulatedFailure(
                code: "EMULATOR.NoSuchObject", message: "obs://\(push.bucket_name)/\(push.object_path) does not exist")
        }
        return batch(serverIDs: push.server_ids, requestID: requestID) { server in
            if let failure { return (failure, nil) }
            let phones = phones(of: server)
            if let candidate {
                for phone in phones {
                    if let refusal = fleet.packages.refusal(candidate, on: phone) { return (refusal, nil) }
                }
                for phone in phones { fleet.packages.record(candidate, on: phone) }
            }
            return (unpack(tar!, into: phones), nil)
        }
    }

    /// The tar's `data/app/<package>-*/base.apk`, copied out for apksigner and read as the phones would.
    private func baseAPK(in tar: String, package: String) throws -> PackageManager.Candidate {
        let file = try OpenFile.forReading(tar)
        let reader = try TarReader(file: file)
        let layout = SharedAppLayout(packageName: package)
        while let entry = try reader.next() {
            guard entry.kind == .file, layout.isBaseAPK(EntryPath.normalize(entry.path).path) else { continue }
            let copy = NSTemporaryDirectory() + "/phonepack-emulator-\(randomHex(16)).apk"
            defer { try? FileManager.default.removeItem(atPath: copy) }
            let bytes = try file.readExactly(Int(entry.size), at: entry.dataOffset)
            try Data(bytes).write(to: URL(fileURLWithPath: copy))
            return try fleet.packages.candidate(copy)
        }
        throw EmulatedFailure(code: "EMULATOR.LayoutRejected", message: "the tar has no base.apk for \(package)")
    }

    private func export(_ body: [UInt8], requestID: String) throws -> Response {
        struct Body: Decodable {
            struct Info: Decodable {
                var phone_id: String
                var include_files: [String]
                var exclude_files: [String]?
                var bucket_name: String
                var object_path: String
            }
            var storage_infos: [Info]
        }
        let export = try decodeBody(Body.self, body)
        for info in export.storage_infos {
            try checkField(FieldRules.exportIncludeFiles(info.include_files), "include_files")
            try checkField(FieldRules.obsBucketName(info.bucket_name), "bucket_name")
            try checkField(FieldRules.cphObjectPath(info.object_path), "object_path")
        }
        return phoneBatch(export.storage_infos.map(\.phone_id), requestID: requestID) { phone in
            let info = export.storage_infos.first { $0.phone_id == phone }!
            do {
                let filter = try ExportPathFilter(includes: info.include_files, excludes: info.exclude_files ?? [])
                let temporary = NSTemporaryDirectory() + "/phonepack-export-\(randomHex(16)).tar"
                defer { try? FileManager.default.removeItem(atPath: temporary) }
                _ = try fleet.exportTar(phone, filter: filter, to: temporary)
                guard obs.bucketExists(info.bucket_name) else {
                    return (
                        EmulatedFailure(
                            code: "EMULATOR.NoSuchBucket", message: "bucket \(info.bucket_name) does not exist"), nil
                    )
                }
                try obs.store(file: temporary, bucket: info.bucket_name, key: info.object_path)
                return (nil, nil)
            } catch {
                return (EmulatedFailure(code: "EMULATOR.ExportFailed", message: "\(error)"), nil)
            }
        }
    }

    private func command(_ body: [UInt8], requestID: String) throws -> Response {
        struct Body: Decodable {
            var command: String
            var content: String
            var phone_ids: [String]?
            var server_ids: [String]?
        }
        let command = try decodeBody(Body.self, body)
        let targets = command.phone_ids ?? command.server_ids?.flatMap { phones(of: $0) } ?? []
        guard !targets.isEmpty else {
            throw Failure(status: 400, code: "CPS.0009", message: "Parameter: phone_id list is empty.")
        }
        try checkField(CPHCommandRules.check(command: command.command, content: command.content), "content")
        return phoneBatch(targets, requestID: requestID) { phone in
            switch command.command {
            case "shell":
                let result = fleet.shell(phone, command.content)
                return (
                    result.ok ? nil : EmulatedFailure(code: "EMULATOR.CommandFailed", message: "exit status 127"),
                    result.output
                )
            case "push":
                guard let tar = objectFile(command.content, in: obs) else {
                    return (
                        EmulatedFailure(code: "EMULATOR.NoSuchObject", message: "\(command.content) does not exist"),
                        nil
                    )
                }
                return (unpack(tar, into: [phone]), nil)
            case "install", "install-multiple":
                guard let apkURL = command.content.split(separator: " ").first(where: { $0.hasPrefix("obs://") }) else {
                    return (EmulatedFailure(code: "CPS.0118", message: "Parameter: content is invalid."), nil)
                }
                guard let apk = objectFile(String(apkURL), in: obs) else {
                    return (EmulatedFailure(code: "EMULATOR.InstallFailed", message: "\(apkURL) does not exist"), nil)
                }
                do {
                    _ = try fleet.install(apk: apk, into: phone)
                    return (nil, "Success")
                } catch {
                    return (EmulatedFailure(code: "EMULATOR.InstallFailed", message: "\(error)"), nil)
                }
            case "uninstall":
                fleet.uninstall(command.content, from: phone)
                return (nil, "Success")
            default:
                return (EmulatedFailure(code: "CPS.0117", message: "Parameter: command is invalid."), nil)
            }
        }
    }

    /// The emulator's file for an `obs://` / `oss://` URL in `storage`, or `nil` when there is no such object.
    func objectFile(_ url: String, in storage: ObjectStorage) -> String? {
        guard let url = try? ObjectURL(parsing: url) else { return nil }
        return storage.dataPath(bucket: url.bucket, key: url.key)
    }

    /// Unpacks a tar into each phone (when the phone is next used: see ``PhoneFleet/schedule(tar:into:)``).
    func unpack(_ tar: String, into phones: [String]) -> EmulatedFailure? {
        fleet.schedule(tar: tar, into: phones)
        return nil
    }

    func decodeBody<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        do {
            return try JSONCoding.decode(type, from: body)
        } catch {
            throw Failure(status: 400, code: "CPS.0118", message: "Parameter: the body is invalid: \(error.message)")
        }
    }

    func checkField(_ check: FieldCheck, _ field: String) throws {
        if let violation = check.violation {
            throw Failure(status: 400, code: "CPS.0118", message: "Parameter \(field) is invalid: \(violation)")
        }
    }
}
