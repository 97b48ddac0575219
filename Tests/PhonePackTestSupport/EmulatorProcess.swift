import Foundation
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

    package init(data: String, _ arguments: [String] = []) throws {
        self.data = data
        process = try Tool.start(
            Self.binary, ["--data", data, "--secret-key", Self.secretKey, "--bucket", "b1"] + arguments,
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
