import Foundation
import Testing

/// A server process a test starts on 127.0.0.1 and stops by PID when the value goes away.
final class LocalServer {
    let process = Process()
    let port: Int

    /// Starts `python3 script PORTFILE` and waits for the port it writes.
    init(pythonScript script: String) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("port-\(UUID().uuidString)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, portFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var found: Int?
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = Int(text) {
                found = value
                break
            }
            usleep(20_000)
        }
        try? FileManager.default.removeItem(atPath: portFile)
        port = try #require(found, "the test server did not start")
    }

    /// Starts `rclone serve s3` over `root` with one key pair, on a free port.
    init(rcloneRoot root: String, accessKey: String, secretKey: String) throws {
        let probe = try LocalServer.freePort()
        port = probe
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "rclone", "serve", "s3", "--auth-key", "\(accessKey),\(secretKey)", "--addr", "127.0.0.1:\(probe)", root,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            if LocalServer.accepts(port: probe) { return }
            usleep(20_000)
        }
        Issue.record("rclone serve s3 did not start on port \(probe)")
    }

    deinit {
        // SIGKILL: children spawned from a dispatch worker thread inherit its mask, with SIGTERM blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    static var rcloneAvailable: Bool {
        let which = Process()
        which.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        which.arguments = ["sh", "-c", "command -v rclone"]
        which.standardOutput = FileHandle.nullDevice
        try? which.run()
        which.waitUntilExit()
        return which.terminationStatus == 0
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }
}
