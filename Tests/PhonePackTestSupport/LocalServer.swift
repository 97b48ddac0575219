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
        port = try #require(found, "\(script) did not start: \(process.startFailure)")
    }

    /// Starts `rclone serve s3` over `root` with one key pair. rclone needs its port named, and a port found free
    /// and closed again can be taken by another test's server before rclone binds it (seen in CI: the requests
    /// reached an emulator). So the port comes from below the kernel's ephemeral range, which `bind(0)` (every
    /// other server here) never hands out, and a start whose rclone exits (port taken) is tried on another port.
    package init(rcloneRoot root: String, accessKey: String, secretKey: String) throws {
        var started: (Child, Int)?
        for _ in 0..<8 where started == nil {
            let candidate = Int.random(in: 20_000..<32_000)
            let child = try Tool.start(
                "rclone",
                ["serve", "s3", "--auth-key", "\(accessKey),\(secretKey)", "--addr", "127.0.0.1:\(candidate)", root])
            if waitUntil({ !child.isRunning || LocalServer.accepts(port: candidate) }), child.isRunning {
                usleep(100_000)
                if child.isRunning { started = (child, candidate) }
            }
        }
        guard let (child, port) = started else {
            throw POSIXError(.EADDRINUSE)
        }
        process = child
        self.port = port
    }

    deinit { Tool.stop(process) }

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
