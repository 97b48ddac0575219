import Foundation
import Testing

/// Runs the built `phonepack` binary the way a user would, and gives tests real inputs.
package enum CLI {
    package typealias Result = ToolOutput

    /// The package root, from this file's location.
    package static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `phonepack` beside the test bundle (`swift build` puts both in the same folder), or `PHONEPACK_BIN`.
    package static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["PHONEPACK_BIN"] { return path }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return executable.deletingLastPathComponent().appendingPathComponent("phonepack").path
    }()

    /// A script of `Tests/Scripts/` (the Python that crafts archives and plays hostile servers).
    package static func script(_ name: String) -> String { repositoryRoot + "/Tests/Scripts/" + name }

    /// Runs `phonepack` with `arguments`.
    @discardableResult
    package static func run(_ arguments: [String], environment: [String: String] = [:], in directory: String? = nil)
        throws -> ToolOutput
    {
        try Tool.run(binary, arguments, environment: environment, in: directory)
    }

    /// Runs `phonepack` in the background (to be killed mid-transfer), output discarded.
    package static func start(_ arguments: [String], environment: [String: String]) throws -> Child {
        try Tool.start(binary, arguments, environment: environment)
    }

    /// Runs a Python script (the tests' way to craft archives and read bytes back) and returns what it printed.
    @discardableResult
    package static func python(_ script: String, _ arguments: String...) throws -> String {
        try Tool.check("python3", ["-c", script] + arguments)
    }

    /// Makes an app folder (real APK from aapt plus data) with `samples/make-sample.sh`.
    @discardableResult
    package static func makeApp(in directory: String, _ options: [String] = []) throws -> String {
        try Tool.check(repositoryRoot + "/samples/make-sample.sh", [directory] + options)
        return directory
    }

    /// Crafts a tar with `craft.py CASE OUT` (hostile and unusual archives Python's tarfile can express).
    package static func craft(_ name: String, _ output: String, _ extra: [String] = []) throws {
        try Tool.check("python3", [script("craft.py"), name, output] + extra)
    }

    package static func parseJSON(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any])
    }
}

/// phonepack's exit statuses by name, as DESIGN.md gives them.
package enum Exit: Int32, Sendable {
    case success = 0
    /// A check failed or a job failed.
    case checkFailed = 1
    /// Usage or input error.
    case usage = 2
    /// Network or service error after retries.
    case service = 3
    case interrupted = 130
}

/// swift-argument-parser's `AssertExecuteCommand`, for the binary: runs `phonepack arguments` and compares the
/// named exit status and, when given, the whole stdout and the whole stderr.
@discardableResult
package func expectRun(
    _ arguments: [String], environment: [String: String] = [:], exits expected: Exit = .success,
    stdout: String? = nil, stderr: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
) throws -> ToolOutput {
    let result = try CLI.run(arguments, environment: environment)
    #expect(!result.crashed, "phonepack \(arguments) crashed: \(result.stderr)", sourceLocation: sourceLocation)
    #expect(
        result.status == expected.rawValue,
        "phonepack \(arguments.joined(separator: " ")) exited \(result.status), expected \(expected): \(result.stderr)",
        sourceLocation: sourceLocation)
    if let stdout { #expect(result.stdout == stdout, sourceLocation: sourceLocation) }
    if let stderr { #expect(result.stderr == stderr, sourceLocation: sourceLocation) }
    return result
}

/// A fresh folder under the system temp dir, deleted when the test's value goes away.
package final class TemporaryDirectory {
    package let path: String

    package init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("phonepack-tests")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.appendingPathComponent(UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    package func file(_ name: String) -> String { path + "/" + name }

    package func write(_ name: String, _ text: String) throws {
        let full = file(name)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
    }

    /// The regular files below `folder`, relative to it, sorted.
    package static func files(below folder: String) throws -> [String] {
        let all = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
        return all.filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + $0, isDirectory: &isFolder)
                && !isFolder.boolValue
        }.sorted()
    }

    /// Every path below the folder, for "nothing else was written" checks.
    package func listing() throws -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }
}
