import Foundation
import Hummingbird
import PhonePackCloud
import PhonePackCore
import Synchronization

/// KooPhone: `/v1/instances/sync-command`, `/async-command`, `/tasks/{id}`, with an IAM token and `x-request-id`.
extension CloudPhoneService {
    func koophone(_ request: IncomingRequest, path: String, body: [UInt8], requestID: String) throws -> Response {
        guard let token = request.header("X-Auth-Token"), tokens.isValid(token) else {
            throw Failure(
                status: 401, code: "KOOPHONE.API.1001",
                message: "a valid project-scoped IAM token is required (X-Auth-Token)")
        }
        guard let trace = request.header("x-request-id"), !trace.isEmpty else {
            throw Failure(status: 400, code: "KOOPHONE.API.1000", message: "the x-request-id header is required")
        }
        let known = Set(instances)
        switch (request.method, path) {
        case ("POST", "/v1/instances/sync-command"), ("POST", "/v1/instances/async-command"):
            struct Body: Decodable {
                var command: String
                var instance_ids: [String]
            }
            guard let command = try? JSONCoding.decode(Body.self, from: body) else {
                throw Failure(
                    status: 400, code: "KOOPHONE.API.1000", message: "the body must be {command, instance_ids}")
            }
            try Failure.refusing(code: "KOOPHONE.API.1000") { () throws(PhonePackError) in
                try KooPhoneRules.check(command: command.command, instanceIDs: command.instance_ids)
            }
            if path == "/v1/instances/sync-command" {
                let results = command.instance_ids.map { id -> KooPhoneResult in
                    guard known.contains(id) else {
                        return KooPhoneResult(
                            instanceID: id, status: -1, errorCode: "KOOPHONE.API.1001",
                            errorMessage: "no permission on this instance")
                    }
                    let result = fleet.shell(id, command.command)
                    return KooPhoneResult(
                        instanceID: id, status: result.ok ? 2 : -1, errorCode: result.ok ? nil : "KOOPHONE.API.9999",
                        errorMessage: result.ok ? nil : "command failed",
                        executeMessage: String(result.output.utf8.prefix(1024)) ?? "")
                }
                return encode(KooPhoneEnvelope(data: ["cmd_results": results]))
            }
            let taskID = "task" + randomHex(24)
            let submitted = submitJobs(group: taskID, targets: command.instance_ids) { id in
                guard known.contains(id) else {
                    return (EmulatedFailure(code: "KOOPHONE.API.1001", message: "no permission on this instance"), nil)
                }
                let result = fleet.shell(id, command.command)
                return (
                    result.ok ? nil : EmulatedFailure(code: "KOOPHONE.API.9999", message: "command failed"),
                    result.output
                )
            }
            struct Data: Encodable {
                var task_id: String
                var cmd_jobs: [[String: String]]
            }
            return encode(
                KooPhoneEnvelope(
                    data: Data(
                        task_id: taskID, cmd_jobs: submitted.map { ["instance_id": $0.target, "job_id": $0.jobID] })))
        case ("GET", _) where path.hasPrefix("/v1/instances/tasks/"):
            let group = jobs.group(String(path.dropFirst("/v1/instances/tasks/".count)))
            guard !group.isEmpty else {
                throw Failure(status: 404, code: "KOOPHONE.API.1323", message: "task not found")
            }
            let now = CloudTime.monotonicSeconds()
            let results = group.map { job in
                KooPhoneResult(
                    instanceID: nil, jobID: job.id, status: job.done(now) ? (job.failed ? -1 : 2) : 1,
                    errorCode: job.done(now) ? job.errorCode : nil,
                    errorMessage: job.done(now) ? job.errorMessage : nil,
                    executeMessage: job.done(now) ? job.output : nil)
            }
            return encode(KooPhoneEnvelope(data: ["jobs": results]))
        default:
            throw Failure(status: 404, code: "KOOPHONE.API.1000", message: "no such KooPhone API in the emulator")
        }
    }
}

/// KooPhone's answer envelope: `error_code` "0" on success.
struct KooPhoneEnvelope<T: Encodable>: Encodable {
    var error_code = "0"
    var error_msg = "success"
    var data: T
}
