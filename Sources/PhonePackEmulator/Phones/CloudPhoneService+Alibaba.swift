import Foundation
import Hummingbird
import PhonePackCloud
import PhonePackCore
import Synchronization

/// Alibaba Cloud Phone (eds-aic 2023-09-30): RPC actions on `POST /`, ACS3 or RPC-signed.
extension CloudPhoneService {
    func edsAic(_ request: IncomingRequest, body: [UInt8], requestID: String) throws -> Response {
        let parameters = Dictionary(request.query.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        try checkAlibabaSignature(request, body: body, parameters: parameters)
        guard let action = request.header("x-acs-action") ?? parameters["Action"] else {
            throw Failure(
                status: 400, code: "MissingParameter", message: "the action is missing (x-acs-action or Action)")
        }
        func list(_ name: String) -> [String] {
            (1...).lazy.map { parameters["\(name).\($0)"] }.prefix { $0 != nil }.map { $0! }
        }
        let known = Set(aliInstances)
        switch action {
        case "SendFile", "FetchFile":
            let ids = list("AndroidInstanceIdList")
            var call = AlibabaFileCall(
                action: action, instanceIDs: ids, sourceFilePath: parameters["SourceFilePath"] ?? "",
                uploadType: parameters["UploadType"] ?? "", uploadEndpoint: parameters["UploadEndpoint"] ?? "",
                uploadURL: parameters["UploadUrl"] ?? "")
            call.targetFileName = parameters["TargetFileName"]
            call.autoInstall = parameters["AutoInstall"]?.lowercased() == "true"
            call.clientToken = parameters["ClientToken"]
            try Failure.refusing(code: "InvalidParameter") { () throws(PhonePackError) in try AlibabaRules.check(call) }
            if let token = call.clientToken, let earlier = clientTokens.answer(for: token) {
                return encode(earlier)
            }
            let parent = "t-" + randomHex(17)
            let submitted = submitJobs(group: parent, targets: ids) { id in
                guard known.contains(id) else {
                    return (EmulatedFailure(code: "InvalidInstanceId.NotFound", message: "\(id) does not exist"), nil)
                }
                return action == "SendFile" ? sendFile(call, to: id) : fetchFile(call, from: id)
            }
            let answer = AlibabaBatchAnswer(
                requestID: requestID, taskID: parent,
                items: submitted.map { .init(instanceID: $0.target, taskID: $0.jobID) })
            if let token = call.clientToken { clientTokens.remember(answer, for: token) }
            return encode(answer)
        case "DescribeTasks":
            let now = CloudTime.monotonicSeconds()
            var found: [EmulatedJob] = list("TaskIds").compactMap { jobs.job($0) }
            if let parent = parameters["ParentTaskId"] { found += jobs.group(parent) }
            let start = Int(parameters["NextToken"] ?? "") ?? 0
            let limit = min(Int(parameters["MaxResults"] ?? "") ?? 10, 100)
            let page = found.dropFirst(start).prefix(limit).map { job in
                AlibabaTask(
                    taskID: job.id, parentTaskID: job.group, level: 2,
                    status: job.done(now) ? (job.failed ? "Failed" : "Finished") : "Processing",
                    instanceID: job.target, errorCode: job.done(now) ? job.errorCode : nil,
                    errorMessage: job.done(now) ? job.errorMessage : nil, result: job.done(now) ? job.output : nil)
            }
            let next = start + page.count < found.count ? String(start + page.count) : nil
            return encode(AlibabaTaskPage(requestID: requestID, totalCount: found.count, nextToken: next, tasks: page))
        case "RunCommand", "RunSyncCommand":
            let ids = list("InstanceIds")
            var content = parameters["CommandContent"] ?? ""
            if parameters["ContentEncoding"]?.lowercased() == "base64" {
                content = Data(base64Encoded: content).map { String(decoding: $0, as: UTF8.self) } ?? content
            }
            try Failure.refusing(code: "InvalidParameter") { () throws(PhonePackError) in
                try AlibabaRules.checkCommand(content: content, instanceIDs: ids)
            }
            if action == "RunSyncCommand" {
                let data = ids.map { id -> [String: String] in
                    let result = known.contains(id) ? fleet.shell(id, content) : (false, "\(id) does not exist")
                    return ["InstanceId": id, "InvocationStatus": result.0 ? "Success" : "Failed", "Output": result.1]
                }
                struct Answer: Encodable {
                    var RequestId: String
                    var TotalCount: Int
                    var Data: [[String: String]]
                }
                return encode(Answer(RequestId: requestID, TotalCount: data.count, Data: data))
            }
            let parent = "t-" + randomHex(17)
            let submitted = submitJobs(group: parent, targets: ids) { id in
                guard known.contains(id) else {
                    return (EmulatedFailure(code: "InvalidInstanceId.NotFound", message: "\(id) does not exist"), nil)
                }
                let result = fleet.shell(id, content)
                return (
                    result.ok ? nil : EmulatedFailure(code: "CommandFailed", message: "exit status 127"), result.output
                )
            }
            struct Info: Encodable {
                var InstanceId: String
                var InvokeId: String
                var ChildTaskId: String
            }
            struct Answer: Encodable {
                var RequestId: String
                var InvokeId: String
                var TaskId: String
                var RunCommandInfos: [Info]
            }
            return encode(
                Answer(
                    RequestId: requestID, InvokeId: parent, TaskId: parent,
                    RunCommandInfos: submitted.map {
                        Info(InstanceId: $0.target, InvokeId: parent, ChildTaskId: $0.jobID)
                    }))
        case "DescribeAndroidInstances":
            let start = Int(parameters["NextToken"] ?? "") ?? 0
            let limit = min(Int(parameters["MaxResults"] ?? "") ?? 100, 100)
            let wanted = list("AndroidInstanceIds")
            let chosen = wanted.isEmpty ? aliInstances : aliInstances.filter(wanted.contains)
            let page = chosen.dropFirst(start).prefix(limit).map {
                AlibabaInstance(
                    instanceID: $0, name: "emulated-\($0)", status: "RUNNING")
            }
            struct Answer: Encodable {
                var RequestId: String
                var TotalCount: Int
                var NextToken: String?
                var InstanceModel: [AlibabaInstance]
            }
            let next = start + page.count < chosen.count ? String(start + page.count) : nil
            return encode(
                Answer(RequestId: requestID, TotalCount: chosen.count, NextToken: next, InstanceModel: Array(page)))
        default:
            throw Failure(
                status: 404, code: "InvalidAction.NotFound",
                message: "Specified api is not found, please check your url and method.")
        }
    }

    /// ACS3-HMAC-SHA256 (headers) or RPC HMAC-SHA1 (query), each recomputed with the signer the vendor vectors
    /// pin down; timestamps within 15 minutes; a nonce used once.
    private func checkAlibabaSignature(_ request: IncomingRequest, body: [UInt8], parameters: [String: String]) throws {
        if let authorization = request.header("Authorization"), authorization.hasPrefix("ACS3-HMAC-SHA256 ") {
            var fields: [String: String] = [:]
            for part in authorization.dropFirst(17).split(separator: ",") {
                if let equals = part.firstIndex(of: "=") {
                    fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
                }
            }
            guard fields["Credential"] == credentials.accessKey else {
                throw Failure(
                    status: 404, code: "InvalidAccessKeyId.NotFound", message: "Specified access key is not found.")
            }
            guard let date = request.header("x-acs-date"), let nonce = request.header("x-acs-signature-nonce") else {
                throw Failure(
                    status: 400, code: "IncompleteSignature",
                    message: "x-acs-date and x-acs-signature-nonce are required")
            }
            try checkTime(date)
            let hash = Digest.hash(.sha256, body).hexString
            guard request.header("x-acs-content-sha256") == hash else {
                throw Failure(
                    status: 400, code: "SignatureDoesNotMatch",
                    message: "x-acs-content-sha256 is not the SHA-256 of the body")
            }
            let signed = (fields["SignedHeaders"] ?? "").split(separator: ";").map { $0.lowercased() }
            let computed = APISignatures.acs3(request, path: "/", signed: signed, secret: credentials.secretKey)
            guard fields["Signature"] == computed.signature else {
                request.verdict.set(.mismatch, code: "SignatureDoesNotMatch")
                throw Failure(
                    status: 400, code: "SignatureDoesNotMatch",
                    message:
                        "The request signature does not conform to Aliyun standards. server string to sign is:\(computed.stringToSign)"
                )
            }
            request.verdict.set(.accepted)
            try useNonce(nonce)
        } else if let signature = parameters["Signature"] {
            guard parameters["AccessKeyId"] == credentials.accessKey else {
                throw Failure(
                    status: 404, code: "InvalidAccessKeyId.NotFound", message: "Specified access key is not found.")
            }
            guard let timestamp = parameters["Timestamp"], let nonce = parameters["SignatureNonce"] else {
                throw Failure(
                    status: 400, code: "IncompleteSignature", message: "Timestamp and SignatureNonce are required")
            }
            try checkTime(timestamp)
            let computed = APISignatures.rpc(
                method: request.method, parameters: request.query.map { ($0.name, $0.value ?? "") },
                secret: credentials.secretKey)
            guard computed.signature == signature else {
                request.verdict.set(.mismatch, code: "SignatureDoesNotMatch")
                throw Failure(
                    status: 400, code: "SignatureDoesNotMatch",
                    message:
                        "Specified signature is not matched with our calculation. server string to sign is:\(computed.stringToSign)"
                )
            }
            request.verdict.set(.accepted)
            try useNonce(nonce)
        } else {
            throw Failure(status: 400, code: "MissingSignature", message: "the request is not signed")
        }
    }

    private func checkTime(_ iso: String) throws {
        guard let time = CloudTime.parseISO8601(iso) else {
            throw Failure(
                status: 400, code: "InvalidTimeStamp.Format",
                message: "Specified time stamp or date value is not well formatted.")
        }
        if abs(time - CloudTime.now()) > 900 {
            throw Failure(
                status: 400, code: "InvalidTimeStamp.Expired", message: "Specified time stamp or date value is expired."
            )
        }
    }

    private func useNonce(_ nonce: String) throws {
        guard nonces.insert(nonce) else {
            throw Failure(
                status: 400, code: "SignatureNonceUsed", message: "Specified signature nonce was used already.")
        }
    }

    private func sendFile(_ call: AlibabaFileCall, to id: String) -> (failure: EmulatedFailure?, output: String?) {
        let source: String?
        let destination: String
        if call.uploadType == "OSS" {
            source = objectFile(call.uploadURL, in: oss)
            let name = call.targetFileName.flatMap { $0.isEmpty ? nil : $0 } ?? lastPathComponent(call.uploadURL)
            destination =
                call.sourceFilePath.hasSuffix("/") ? call.sourceFilePath + name : call.sourceFilePath + "/" + name
        } else {
            // A presigned link to this emulator's OSS: find the object from the URL's path.
            let path = call.uploadURL.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
            let rest = path.count == 4 ? String(path[3].prefix { $0 != "?" }) : ""
            let bucket = String(rest.prefix { $0 != "/" })
            source = oss.dataPath(bucket: bucket, key: percentDecoded(String(rest.dropFirst(bucket.count + 1))))
            destination = call.sourceFilePath
        }
        guard let source else {
            return (EmulatedFailure(code: "SendFileFailed", message: "\(call.uploadURL): no such object"), nil)
        }
        do {
            try fleet.place(file: source, into: id, at: destination)
            if call.autoInstall {
                let package = try fleet.install(apk: source, into: id)
                return (nil, "{\"Success\": true, \"Installed\": \"\(package)\"}")
            }
            return (nil, "{\"Success\": true}")
        } catch {
            return (EmulatedFailure(code: "SendFileFailed", message: "\(error)"), nil)
        }
    }

    private func fetchFile(_ call: AlibabaFileCall, from id: String) -> (failure: EmulatedFailure?, output: String?) {
        guard let url = try? ObjectURL(parsing: call.uploadURL) else {
            return (EmulatedFailure(code: "FetchFileFailed", message: "\(call.uploadURL) is not an oss:// URL"), nil)
        }
        let bucket = url.bucket
        var folder = url.key
        if !folder.isEmpty && !folder.hasSuffix("/") { folder += "/" }
        guard folder.isEmpty || oss.object(bucket: bucket, key: folder) != nil else {
            return (
                EmulatedFailure(
                    code: "FetchFileFailed", message: "the folder oss://\(bucket)/\(folder) does not exist"), nil
            )
        }
        do {
            let source = try fleet.hostPath(id, call.sourceFilePath)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isFolder) else {
                return (
                    EmulatedFailure(code: "FetchFileFailed", message: "\(call.sourceFilePath) does not exist on \(id)"),
                    nil
                )
            }
            let name = lastPathComponent(call.sourceFilePath)
            if isFolder.boolValue {
                let temporary = NSTemporaryDirectory() + "/phonepack-fetch-\(randomHex(16)).tar"
                defer { try? FileManager.default.removeItem(atPath: temporary) }
                var phonePath = call.sourceFilePath
                if phonePath.hasPrefix("/sdcard") { phonePath = "/data/media/0" + phonePath.dropFirst(7) }
                _ = try fleet.exportTar(id, filter: try ExportPathFilter(includes: [phonePath]), to: temporary)
                try oss.store(file: temporary, bucket: bucket, key: "\(folder)\(id)/\(name).tar")
            } else {
                try oss.store(
                    file: source, bucket: bucket, key: "\(folder)\(id)/\(name)", contentType: "application/octet-stream"
                )
            }
            return (nil, "{\"Success\": true}")
        } catch {
            return (EmulatedFailure(code: "FetchFileFailed", message: "\(error)"), nil)
        }
    }
}

/// Nonces seen by the eds-aic emulation (each may be used once).
final class NonceSet: Sendable {
    private let seen = Mutex<Set<String>>([])
    func insert(_ nonce: String) -> Bool { seen.withLock { $0.insert(nonce).inserted } }
}

/// Answers already given per ClientToken, so a retried SendFile / FetchFile does not run twice.
final class ClientTokenTable: Sendable {
    private let answers = Mutex<[String: AlibabaBatchAnswer]>([:])
    func answer(for token: String) -> AlibabaBatchAnswer? { answers.withLock { $0[token] } }
    func remember(_ answer: AlibabaBatchAnswer, for token: String) { answers.withLock { $0[token] = answer } }
}
