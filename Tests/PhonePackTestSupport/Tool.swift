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
/// the program runs (a large output cannot block it).
package enum Tool {
    /// `tool` is an absolute path, or a name looked up on PATH.
    @discardableResult
    package static func run(
        _ tool: String, _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil
    ) throws -> ToolOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
        process.arguments = tool.hasPrefix("/") ? arguments : [tool] + arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "SOURCE_DATE_EPOCH")
        env.merge(environment) { _, new in new }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ToolOutput(
            status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
            stdoutBytes: Array(outData))
    }

    /// Runs a tool and fails the test unless it exits 0; returns what it printed.
    @discardableResult
    package static func check(_ tool: String, _ arguments: [String], in directory: String? = nil) throws -> String {
        let result = try run(tool, arguments, in: directory)
        #expect(result.status == 0, "\(tool) \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return result.stdout
    }

    /// Starts a program in the background, output discarded unless `stdout` is given; the caller stops it.
    package static func start(
        _ tool: String, _ arguments: [String], environment: [String: String] = [:], stdout: Pipe? = nil
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool.hasPrefix("/") ? tool : "/usr/bin/env")
        process.arguments = tool.hasPrefix("/") ? arguments : [tool] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Stops a background program with SIGKILL (children of Foundation's Process start with SIGTERM blocked).
    package static func stop(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; returns whether it held. Tests run side by side
/// on a busy machine, so a test waits for the state it needs instead of sleeping a guessed time.
@discardableResult
package func waitUntil(seconds: Double = 30, _ condition: () throws -> Bool) rethrows -> Bool {
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
