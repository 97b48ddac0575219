import Foundation
import PhonePackTestSupport
import Testing

/// Every example a user can copy — each help page's Examples and the README's commands — run as printed, with the
/// installed name on PATH, against the emulator with the buckets, phones, instances and files the examples name
/// (`Tests/Scripts/example_fixtures.py`). Parsing alone (HelpTests) let `obs://b/app.tar` and a release of a prebuilt
/// tar through.
@Suite("Examples that run: every help and README example, as printed, against the emulator (issue 30)", .ownThread)
struct ExamplesTests {
    /// Examples whose exit status is not 0 on purpose: differences found (1), a file that is not there (2).
    static let expectedStatus: [(prefix: String, status: Int32)] = [
        ("phonepack diff monday.tar tuesday.tar", 1), ("phonepack verify missing.tar", 2),
    ]

    /// The README's commands: lines of its ```sh blocks that run phonepack (or pipe into it), continuations joined.
    static func readmeExamples() throws -> [String] {
        let text = try String(contentsOfFile: CLI.repositoryRoot + "/README.md", encoding: .utf8)
        var commands: [String] = []
        var inBlock = false
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                inBlock = line == "```sh"
                continue
            }
            guard inBlock else { continue }
            pending += line.trimmingCharacters(in: .whitespaces)
            if pending.hasSuffix("\\") {
                pending = String(pending.dropLast()) + " "
                continue
            }
            if pending.hasPrefix("phonepack ") || pending.hasPrefix("tar -c") { commands.append(pending) }
            pending = ""
        }
        return commands
    }

    @Test("every example of every help page and of the README exits as documented")
    func examplesRun() throws {
        let tmp = try TemporaryDirectory()
        let work = tmp.file("work")
        let emulator = try EmulatorProcess(
            data: tmp.file("data"),
            [
                "--bucket", "my-cph-bucket", "--bucket", "cloudphone-saved-bucket-demo", "--servers", "20",
                "--instances", "3", "--job-seconds", "0.1",
            ])
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        let bin = tmp.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bin + "/phonepack", withDestinationPath: CLI.binary)
        env["PATH"] = bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        env["AWS_ACCESS_KEY_ID"] = EmulatorProcess.accessKey
        env["AWS_SECRET_ACCESS_KEY"] = EmulatorProcess.secretKey
        env["COLUMNS"] = "200"
        // The profiles the examples name; every credential and endpoint falls back to the environment.
        env["PHONEPACK_CONFIG"] = tmp.file("config.toml")
        try """
        [default]
        region = "cn-north-4"

        [staging]
        region = "cn-east-3"

        [prod]
        region = "cn-north-4"

        """.write(toFile: tmp.file("config.toml"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let fixtures = try Tool.run(
            "python3", [CLI.script("example_fixtures.py"), work, CLI.binary], environment: env, limit: 600)
        try #require(fixtures.status == 0, "\(fixtures.stderr)")
        let ids = try #require(try CLI.parseJSON(fixtures.stdout) as? [String: String])

        // The README first: it is a tutorial, each command following the ones before it.
        var examples = try Self.readmeExamples()
        for path in [[]] + HelpTests.commandPaths() where path != ["help"] {
            examples += HelpTests.examples(in: try HelpTests.help(path, columns: 200))
        }
        var seen = Set<String>()
        var ran = 0
        for example in examples where seen.insert(example).inserted {
            var command = example
            for (placeholder, value) in ids { command = command.replacingOccurrences(of: placeholder, with: value) }
            command = command.replacingOccurrences(of: "http://127.0.0.1:9000", with: emulator.endpoints["obs"]!)
            if command.contains("r20261201-140512-ab12") {
                // The newest release of the cloud the example names (server ids are CPH's).
                let history = try CLI.run(["release", "history", "--json"], environment: env, in: work)
                let releases = try #require(try CLI.parseJSON(history.stdout)["releases"] as? [[String: Any]])
                let cloud = command.contains("server0") ? "huawei" : nil
                let newest = releases.first { release in
                    cloud == nil || (release["delivery"] as? [String: Any])?["cloud"] as? String == cloud
                }
                let id = try #require(newest?["id"] as? String, "\(history.output)")
                command = command.replacingOccurrences(of: "r20261201-140512-ab12", with: id)
            }
            // `config` examples change a file of their own: a secret from sk.txt or an unreachable proxy there would
            // break every example after them.
            var environment = env
            if command.contains("phonepack config ") { environment["PHONEPACK_CONFIG"] = tmp.file("examples.toml") }
            let result = try Tool.run("bash", ["-o", "pipefail", "-c", command], environment: environment, in: work)
            ran += 1
            let expected = Self.expectedStatus.first { example.hasPrefix($0.prefix) }?.status ?? 0
            #expect(
                result.status == expected && !result.crashed,
                "\(example)\n  exit \(result.status): \(result.stderr.suffix(1500))")
        }
        #expect(ran >= 150, "only \(ran) examples found")
    }
}
