import Foundation
import Synchronization
import Testing

/// The built `phonepack-emulator`, started on free ports with its own data folder and stopped with SIGKILL.
package final class EmulatorProcess {
    package let process: Child
    package let data: String
    /// `obs` and `oss` → `http://127.0.0.1:PORT`.
    package private(set) var endpoints: [String: String] = [:]

    package static let accessKey = "PHONEPACKEMULATORAK"
    package static let secretKey = "emulator-secret-MUST-NOT-LEAK-7"

    package static var binary: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("phonepack-emulator").path
    }

    /// Every request this emulator got, as it arrived, for `Tests/Scripts/signature_oracle.py`: in
    /// `PHONEPACK_WIRE_LOG_DIR` when set (scripts/test.sh checks every log there after the suite), else beside `data`.
    package let wireLog: String

    package init(data: String, _ arguments: [String] = []) throws {
        self.data = data
        wireLog = Self.wireLogPath(beside: data)
        process = try Tool.start(
            Self.binary,
            ["--data", data, "--secret-key", Self.secretKey, "--bucket", "b1", "--wire-log", wireLog] + arguments,
            captureStdout: true)
        let text = process.readLine() ?? ""
        guard text.hasPrefix("READY ") else {
            Issue.record("the emulator did not print READY (\(text)): \(process.startFailure)")
            return
        }
        for pair in text.dropFirst(6).split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { endpoints[parts[0]] = parts[1] }
        }
    }

    deinit { Tool.stop(process) }

    /// `DIR/<test name>-<pid>-<n>.jsonl` in the suite's wire-log folder, else `DATA.wire.jsonl`.
    static func wireLogPath(beside data: String) -> String {
        guard let folder = ProcessInfo.processInfo.environment["PHONEPACK_WIRE_LOG_DIR"], !folder.isEmpty else {
            return data + ".wire.jsonl"
        }
        let test = (Test.current?.name ?? "emulator").unicodeScalars.map {
            CharacterSet.alphanumerics.contains($0) ? Character($0) : "-"
        }
        let number = Self.counter.withLock { value -> Int in
            value += 1
            return value
        }
        return "\(folder)/\(String(test.prefix(80)))-\(getpid())-\(number).jsonl"
    }

    private static let counter = Mutex(0)

    /// The vendors' SDKs' verdict on every request this emulator got so far (`signature_oracle.py --json`): the
    /// counts, and the exit status (0 when every verdict agrees with the emulator's).
    package func signatureOracle() throws -> (status: Int32, summary: [String: Any], stderr: String) {
        try Self.signatureOracle(logs: [wireLog])
    }

    package static func signatureOracle(logs: [String]) throws -> (
        status: Int32, summary: [String: Any], stderr: String
    ) {
        let result = try Tool.run(
            "python3",
            [CLI.script("signature_oracle.py"), "--json", "--access-key", accessKey, "--secret-key", secretKey] + logs)
        let summary = (try? CLI.parseJSON(result.stdout)) ?? [:]
        return (result.status, summary, result.stderr)
    }

    /// What a user would export to point phonepack at this emulator.
    package func environment(stateDirectory: String) -> [String: String] {
        [
            "OBS_ACCESS_KEY_ID": Self.accessKey, "OBS_SECRET_ACCESS_KEY": Self.secretKey,
            "OSS_ACCESS_KEY_ID": Self.accessKey, "OSS_ACCESS_KEY_SECRET": Self.secretKey,
            "PHONEPACK_OBS_ENDPOINT": endpoints["obs"] ?? "", "PHONEPACK_OSS_ENDPOINT": endpoints["oss"] ?? "",
            "PHONEPACK_CPH_ENDPOINT": endpoints["cph"] ?? "", "HUAWEICLOUD_SDK_PROJECT_ID": "0123456789abcdef",
            "PHONEPACK_IAM_ENDPOINT": endpoints["iam"] ?? "",
            "PHONEPACK_KOOPHONE_ENDPOINT": endpoints["koophone"] ?? "",
            "PHONEPACK_EDS_AIC_ENDPOINT": endpoints["eds-aic"] ?? "", "PHONEPACK_IAM_USER": "phonepack",
            "PHONEPACK_IAM_PASSWORD": "phonepack-emulator-password", "XDG_CACHE_HOME": stateDirectory + "/cache",
            "PHONEPACK_STATE_DIR": stateDirectory, "PHONEPACK_CONFIG": stateDirectory + "/none.toml",
        ]
    }

    /// The emulator's request log, one dictionary per request.
    package func requests() throws -> [[String: Any]] {
        let text = (try? String(contentsOfFile: data + "/requests.jsonl", encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").map { try CLI.parseJSON(String($0)) }
    }

    /// The bytes the emulator stored for `key` (read from its data folder, not through phonepack).
    package func storedBytes(store: String, bucket: String = "b1", key: String) -> Data? {
        let name = Self.sha256Hex(key)
        return FileManager.default.contents(atPath: "\(data)/\(store)/\(bucket)/.objects/\(name)")
    }

    package static func sha256Hex(_ text: String) -> String {
        let result = try? Tool.run(
            "python3", ["-c", "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", text])
        return (result?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// `count` random bytes from the kernel: a byte-at-a-time loop takes seconds per 100 MiB in a debug build.
package func randomBytes(_ count: Int) throws -> Data {
    let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/dev/urandom"))
    defer { try? source.close() }
    var data = Data(capacity: count)
    while data.count < count {
        data.append(try source.read(upToCount: min(count - data.count, 16 << 20)) ?? Data())
    }
    return data
}

/// Random bytes written to a file, for uploads.
package func writeRandomFile(_ path: String, size: Int) throws -> Data {
    let data = try randomBytes(size)
    try data.write(to: URL(fileURLWithPath: path))
    return data
}
