import Foundation
import Testing

/// Runs the built `phonepack` binary the way a user would, and gives tests temporary folders and real inputs.
enum CLI {
    /// The package root, from this file's location.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `phonepack` beside the test bundle (`swift build` puts both in the same folder), or `PHONEPACK_BIN`.
    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["PHONEPACK_BIN"] { return path }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("phonepack").path
    }()

    struct Result {
        var status: Int32
        /// True when the process died from a signal (a crash), not an exit.
        var crashed = false
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    /// Runs `phonepack` with `arguments`; never uses a shell, so paths need no quoting.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil) throws
        -> Result
    {
        try runTool(binary, arguments, environment: environment, in: directory)
    }

    @discardableResult
    static func runTool(
        _ tool: String, _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil
    ) throws -> Result {
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
        // Read both pipes while the process runs so a large output cannot block it.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs a tool and fails the test unless it exits 0.
    @discardableResult
    static func tool(_ tool: String, _ arguments: [String], in directory: String? = nil) throws -> String {
        let result = try runTool(tool, arguments, in: directory)
        #expect(result.status == 0, "\(tool) \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        return result.stdout
    }

    /// Runs a Python script (the tests' way to craft archives and read bytes back) and returns what it printed.
    @discardableResult
    static func python(_ script: String, _ arguments: String...) throws -> String {
        try tool("python3", ["-c", script] + arguments)
    }

    /// Makes an app folder (real APK from aapt plus data) with `samples/make-sample.sh`.
    @discardableResult
    static func makeApp(in directory: String, _ options: [String] = []) throws -> String {
        try tool(repositoryRoot + "/samples/make-sample.sh", [directory] + options)
        return directory
    }

    /// Crafts a tar with `craft.py CASE OUT` (hostile and unusual archives Python's tarfile can express).
    static func craft(_ name: String, _ output: String, _ extra: [String] = []) throws {
        try tool("python3", [repositoryRoot + "/Tests/PhonePackCLITests/craft.py", name, output] + extra)
    }

    static func parseJSON(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }
}

/// A fresh folder under the system temp dir, deleted when the test's value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("phonepack-tests")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.appendingPathComponent(UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) throws {
        let full = file(name)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
    }

    /// Every path below the folder, for "nothing else was written" checks.
    func listing() throws -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }
}
