import Foundation
import Testing

/// What a finished process left: its exit status, whether a signal ended it, and its whole output.
package struct ToolOutput: Sendable {
    package var status: Int32
    /// True when the process died from a signal (a crash), not an exit.
    package var crashed = false
    package var stdout: String
    package var stderr: String
    /// The exact bytes of stdout (binary output; `stdout` is their UTF-8 reading).
    package var stdoutBytes: [UInt8] = []
    package var output: String { stdout + stderr }
}

/// The one way tests run other programs: never through a shell (paths need no quoting), both pipes drained while
/// the program runs (a large output cannot block it), and never without a time limit.
package enum Tool {
    /// How long one program may run before it is killed and the test fails naming it. A hung child would otherwise
    /// hold its test, and the whole run, until CI's own limit.
    package static let defaultLimit: Double = 300

    /// `tool` is an absolute path, or a name looked up on PATH.
    @discardableResult
    package static func run(
        _ tool: String, _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
        limit: Double = defaultLimit, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ToolOutput {
        let child = try Child(tool, arguments, environment: environment, in: directory, capture: true)
        let (out, err, finished) = child.collect(seconds: limit)
        if !finished {
            Issue.record(
                "killed after \(Int(limit)) s: \(tool) \(arguments.joined(separator: " "))\n\(String(decoding: err, as: UTF8.self).suffix(2000))",
                sourceLocation: sourceLocation)
        }
        return ToolOutput(
            status: child.terminationStatus, crashed: child.crashed, stdout: String(decoding: out, as: UTF8.self),
            stderr: String(decoding: err, as: UTF8.self), stdoutBytes: out)
    }

    /// Runs a tool and fails the test unless it exits 0; returns what it printed.
    @discardableResult
    package static func check(
        _ tool: String, _ arguments: [String], in directory: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(tool, arguments, in: directory, sourceLocation: sourceLocation)
        #expect(
            result.status == 0, "\(tool) \(arguments.joined(separator: " ")) failed: \(result.stderr)",
            sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Starts a program in the background, output discarded unless `captureStdout` (then read it with
    /// `Child.readLine`); the caller stops it.
    package static func start(
        _ tool: String, _ arguments: [String], environment: [String: String] = [:], captureStdout: Bool = false
    ) throws -> Child {
        try Child(tool, arguments, environment: environment, capture: captureStdout, background: true)
    }

    /// Stops a background program and everything it started (its process group) with SIGKILL.
    package static func stop(_ child: Child) {
        child.signal(SIGKILL)
        child.waitUntilExit()
    }
}

/// A program started with `posix_spawn` the way a shell would: stdin from /dev/null, default signal handling,
/// a process group of its own (so a time limit kills what it started too), and no descriptor of the test process
/// but 0–2. Foundation's `Process` lets a pipe created by one test at the wrong moment leak into another test's
/// child, and a reader then waits for an end of file that never comes; here every pipe is close-on-exec and the
/// reader stops once the child has exited.
package final class Child: @unchecked Sendable {
    package let processIdentifier: pid_t
    private var stdoutFD: Int32 = -1
    private var stderrFD: Int32 = -1
    private var waitStatus: Int32?
    private var pending: [UInt8] = []
    /// Where a background program's stderr goes (`Tool.start`).
    private var stderrLog: String?

    init(
        _ tool: String, _ arguments: [String], environment: [String: String], in directory: String? = nil,
        capture: Bool, background: Bool = false
    ) throws {
        let executable = tool.hasPrefix("/") ? tool : "/usr/bin/env"
        let argv = (tool.hasPrefix("/") ? [tool] : ["env", tool]) + arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SOURCE_DATE_EPOCH")
        env.merge(environment) { _, new in new }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        if background {
            // A server's stderr goes to a file nobody has to drain (a full pipe would stop the server), and is shown
            // when it fails to start.
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("stderr-\(UUID().uuidString)").path
            posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            stderrLog = log
        }
        if capture {
            guard SpawnExtensions.pipe2(&outPipe, O_CLOEXEC) == 0, SpawnExtensions.pipe2(&errPipe, O_CLOEXEC) == 0
            else {
                throw POSIXError(.init(rawValue: errno) ?? .EIO)
            }
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            if !background { posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2) }
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            if !background { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }
        }
        _ = SpawnExtensions.closeFrom?(&actions, 3)
        if let directory {
            guard let chdir = SpawnExtensions.chdir else { throw POSIXError(.ENOSYS) }
            _ = chdir(&actions, directory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, cArgs, cEnv)
        if capture {
            close(outPipe[1])
            close(errPipe[1])
        }
        guard result == 0 else {
            if capture {
                close(outPipe[0])
                close(errPipe[0])
            }
            throw POSIXError(.init(rawValue: result) ?? .EIO)
        }
        processIdentifier = pid
        if capture {
            stdoutFD = outPipe[0]
            stderrFD = errPipe[0]
        }
    }

    deinit {
        if stdoutFD >= 0 { close(stdoutFD) }
        if stderrFD >= 0 { close(stderrFD) }
        if waitStatus == nil { Tool.stop(self) }
        if let stderrLog { unlink(stderrLog) }
    }

    /// For a failure message: whether a background program is still running, and the end of its stderr.
    package var startFailure: String {
        let text = stderrLog.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        return (isRunning ? "still running after the wait" : "exited with \(terminationStatus)")
            + (text.isEmpty ? "" : ": " + String(text.suffix(1500)))
    }

    /// Whether it has not exited yet (reaps it once it has).
    package var isRunning: Bool { reap(block: false) == nil }

    package func waitUntilExit() { _ = reap(block: true) }

    /// The exit status, or 128 + the signal that ended it.
    package var terminationStatus: Int32 {
        guard let status = reap(block: true) else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// True when a signal ended it.
    package var crashed: Bool {
        guard let status = reap(block: true) else { return false }
        return status & 0x7f != 0
    }

    /// Sends `signal` to the program and everything in its process group.
    package func signal(_ signal: Int32) {
        if waitStatus == nil { kill(-processIdentifier, signal) }
    }

    private func reap(block: Bool) -> Int32? {
        if let waitStatus { return waitStatus }
        var status: Int32 = 0
        while true {
            let result = waitpid(processIdentifier, &status, block ? 0 : WNOHANG)
            if result == processIdentifier {
                waitStatus = status
                return status
            }
            if result == -1 && errno == EINTR { continue }
            return nil
        }
    }

    /// Reads stdout and stderr until the program exits (then whatever is left in the pipes, without waiting for an
    /// end of file a stray copy of the pipe could hold back), or kills it after `seconds`. False if it was killed.
    func collect(seconds: Double) -> (stdout: [UInt8], stderr: [UInt8], finished: Bool) {
        var out: [UInt8] = []
        var err: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var open = [stdoutFD, stderrFD]
        var finished = true
        while !open.isEmpty {
            let exited = !isRunning
            if Date() > deadline {
                if exited { break }
                finished = false
                Tool.stop(self)
                continue
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), exited ? 0 : 100) <= 0 {
                if exited { break }
                continue
            }
            for entry in fds where entry.revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 65536)
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 {
                    if entry.fd == stdoutFD { out += buffer[0..<count] } else { err += buffer[0..<count] }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        waitUntilExit()
        return (out, err, finished)
    }

    /// The next line the program writes on stdout (started with `captureStdout`), or nil after `seconds` or at its
    /// end of output.
    package func readLine(seconds: Double = 120) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            var fd = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            if poll(&fd, 1, 100) <= 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(stdoutFD, &buffer, buffer.count)
            if count <= 0 { return nil }
            pending += buffer[0..<count]
        }
        return nil
    }
}

/// glibc's extensions that Swift's Glibc module does not show: closing every descriptor from N up and changing
/// directory in a spawned child, and a pipe that is close-on-exec from its first moment.
private enum SpawnExtensions {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let closeFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let pipe2: Pipe2 = symbol("pipe2")!
    static let chdir: ChangeDirectory? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        guard let address = dlsym(nil, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held. Tests run side by side
/// on a busy machine, so a test waits for the state it needs instead of sleeping a guessed time.
@discardableResult
package func waitUntil(seconds: Double = 120, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// Lines in the transfer journals under `stateDirectory`: one header per transfer, then one per finished part.
package func journalLines(in stateDirectory: String) -> Int {
    let files = FileManager.default.enumerator(atPath: stateDirectory)?.compactMap { $0 as? String } ?? []
    return files.filter { $0.hasSuffix(".jsonl") }.reduce(0) { count, name in
        let text = (try? String(contentsOfFile: stateDirectory + "/" + name, encoding: .utf8)) ?? ""
        return count + text.split(separator: "\n").count
    }
}
