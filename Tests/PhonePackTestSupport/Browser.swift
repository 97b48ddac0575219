import Foundation
import Testing

/// Debian's Chromium, headless: loads a page as a person would, for the HTML reports' tests.
package struct Browser {
    package let executable: String
    let profile: String

    /// Nil (and an issue recorded) when chromium is missing: scripts/setup.sh installs it.
    package init?(_ tmp: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let found = try Tool.run("sh", ["-c", "command -v chromium"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        guard !found.isEmpty else {
            Issue.record("chromium is missing: scripts/setup.sh installs it", sourceLocation: sourceLocation)
            return nil
        }
        executable = found
        profile = tmp.file("chromium-profile")
    }

    var flags: [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)",
            "--enable-logging=stderr", "--v=0",
        ]
    }

    /// The DOM after the page loaded, and every console message or Content-Security-Policy refusal it logged.
    package func load(_ page: String) throws -> (dom: String, complaints: [String]) {
        let result = try Tool.run(executable, flags + ["--dump-dom", "file://\(page)"], limit: 120)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        let complaints = result.stderr.split(separator: "\n").filter {
            $0.contains("CONSOLE") || $0.contains("Refused to")
        }.map(String.init)
        return (result.stdout, complaints)
    }

    /// A PNG of the page at `width` × `height`.
    package func screenshot(_ page: String, to png: String, width: Int = 1100, height: Int = 1300) throws -> Data {
        let result = try Tool.run(
            executable, flags + ["--screenshot=\(png)", "--window-size=\(width),\(height)", "file://\(page)"],
            limit: 120)
        #expect(result.status == 0, "\(result.stderr.suffix(2000))")
        return FileManager.default.contents(atPath: png) ?? Data()
    }

    /// With PHONEPACK_UPDATE_SNAPSHOTS=1, keeps a screenshot in docs/ for the README.
    package static func keep(_ png: Data, as name: String) throws {
        guard ProcessInfo.processInfo.environment["PHONEPACK_UPDATE_SNAPSHOTS"] == "1" else { return }
        try png.write(to: URL(fileURLWithPath: CLI.repositoryRoot + "/docs/" + name))
    }
}
