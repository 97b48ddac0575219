import Foundation
import Testing

/// A server process a test starts on 127.0.0.1 and stops by PID when the value goes away.
package final class LocalServer {
    package let process: Child
    package let port: Int

    /// Starts `python3 script PORTFILE` (a script of `Tests/Scripts/`, by name) and waits for the port it writes.
    package init(pythonScript script: String) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("port-\(UUID().uuidString)").path
        process = try Tool.start("python3", [CLI.script(script), portFile])
        var found: Int?
        waitUntil {
            found = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            return found != nil
        }
        try? FileManager.default.removeItem(atPath: portFile)
        port = try #require(found, "the test server did not start")
    }

    /// Starts `rclone serve s3` over `root` with one key pair, on a free port.
    package init(rcloneRoot root: String, accessKey: String, secretKey: String) throws {
        let probe = try LocalServer.freePort()
        port = probe
        process = try Tool.start(
            "rclone", ["serve", "s3", "--auth-key", "\(accessKey),\(secretKey)", "--addr", "127.0.0.1:\(probe)", root])
        if !waitUntil({ LocalServer.accepts(port: probe) }) {
            Issue.record("rclone serve s3 did not start on port \(probe)")
        }
    }

    deinit { Tool.stop(process) }

    package static var rcloneAvailable: Bool {
        (try? Tool.run("sh", ["-c", "command -v rclone"]))?.status == 0
    }

    package static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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

    package static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
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
