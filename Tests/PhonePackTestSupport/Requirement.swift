import Foundation
import Testing

/// What a test needs from the machine: a tool (rclone, the official clients, apksigner) or a capability (root, to
/// mount a tmpfs). Never a silent skip: under `scripts/test.sh`, which installs everything
/// (`PHONEPACK_REQUIRE_TOOLS=1`, so CI too), a missing one fails the test naming the fix; in a plain `swift test` it
/// is recorded as a known issue, shown in the results, and the test body does not run.
package struct Requirement: TestTrait, SuiteTrait, TestScoping {
    let what: String
    let fix: String
    let met: @Sendable () -> Bool

    package var isRecursive: Bool { true }

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        if test.isSuite || met() {
            try await function()
            return
        }
        let message = Comment(rawValue: "\(what) is missing: \(fix)")
        if ProcessInfo.processInfo.environment["PHONEPACK_REQUIRE_TOOLS"] != nil {
            Issue.record(message)
        } else {
            withKnownIssue { Issue.record(message) }
        }
    }
}

extension Trait where Self == Requirement {
    /// `met` is asked once per test, when it is about to run.
    package static func requires(_ what: String, fix: String, _ met: @escaping @Sendable () -> Bool) -> Self {
        Requirement(what: what, fix: fix, met: met)
    }

    /// Programs found on PATH.
    package static func requires(tools: String..., fix: String = "scripts/setup.sh installs it") -> Self {
        Requirement(what: tools.joined(separator: ", "), fix: fix) {
            tools.allSatisfy { (try? Tool.run("sh", ["-c", "command -v \"$0\"", $0]))?.status == 0 }
        }
    }

    /// Running as root (tests that mount a small tmpfs or switch to another user); CI runs as root.
    package static var requiresRoot: Self {
        Requirement(what: "root", fix: "run the tests as root (CI does)") { geteuid() == 0 }
    }
}
