import Foundation
import Testing

/// `hostile_server.py MODE`: a fake cloud on 127.0.0.1 that lies the way an attacker would.
package final class HostileServer {
    package let process: Child
    package let log: String
    package private(set) var port = 0

    package init(mode: String, in tmp: TemporaryDirectory) throws {
        log = tmp.file("hostile-\(mode).jsonl")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process = try Tool.start("python3", [CLI.script("hostile_server.py"), mode, log], captureStdout: true)
        let line = process.readLine() ?? ""
        port = Int(line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(line.hasPrefix("READY ") && port > 0, "the hostile server did not start: \(process.startFailure)")
    }

    deinit { Tool.stop(process) }

    package var url: String { "http://127.0.0.1:\(port)" }

    /// Every request it saw: method, raw path, eds-aic action.
    package func requests() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: log, encoding: .utf8)
        return try text.split(separator: "\n").map { try CLI.parseJSON(String($0)) }
    }

    /// Credentials and every endpoint pointed at this server, as a user would export them.
    package func environment(_ tmp: TemporaryDirectory) -> [String: String] {
        [
            "HUAWEICLOUD_SDK_AK": "HOSTILETESTAK", "HUAWEICLOUD_SDK_SK": "hostile-test-secret",
            "HUAWEICLOUD_SDK_PROJECT_ID": "0123456789abcdef", "OBS_ACCESS_KEY_ID": "HOSTILETESTAK",
            "OBS_SECRET_ACCESS_KEY": "hostile-test-secret", "OSS_ACCESS_KEY_ID": "HOSTILETESTAK",
            "OSS_ACCESS_KEY_SECRET": "hostile-test-secret", "ALIBABA_CLOUD_ACCESS_KEY_ID": "HOSTILETESTAK",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "hostile-test-secret", "PHONEPACK_OBS_ENDPOINT": url,
            "PHONEPACK_OSS_ENDPOINT": url, "PHONEPACK_CPH_ENDPOINT": url, "PHONEPACK_EDS_AIC_ENDPOINT": url,
            "PHONEPACK_IAM_ENDPOINT": url, "PHONEPACK_STATE_DIR": tmp.file("state"),
            "XDG_CACHE_HOME": tmp.file("cache"), "PHONEPACK_CONFIG": tmp.file("none.toml"),
        ]
    }
}

/// Runs `phonepack` and measures how long it took.
package func timedRun(_ arguments: [String], environment: [String: String]) throws -> (CLI.Result, Double) {
    let started = Date()
    let result = try CLI.run(arguments, environment: environment)
    return (result, Date().timeIntervalSince(started))
}
