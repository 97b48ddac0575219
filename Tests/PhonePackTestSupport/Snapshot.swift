import Foundation
import Testing

/// A text kept in `Snapshots/` beside the test that makes it. `PHONEPACK_UPDATE_SNAPSHOTS=1` rewrites a snapshot
/// that differs and still fails the test, naming the file, so that an update is always looked at (`git diff`)
/// and confirmed by a run without it.
package enum Snapshot {
    package static func check(
        _ text: String, _ name: String, testFile: String = #filePath, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let path = URL(fileURLWithPath: testFile).deletingLastPathComponent().appendingPathComponent(
            "Snapshots/" + name
        ).path
        let stored = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard stored != text else { return }
        if ProcessInfo.processInfo.environment["PHONEPACK_UPDATE_SNAPSHOTS"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            Issue.record(
                "rewrote Snapshots/\(name): check it with git diff, then run again without PHONEPACK_UPDATE_SNAPSHOTS",
                sourceLocation: sourceLocation)
            return
        }
        let a = stored.split(separator: "\n", omittingEmptySubsequences: false)
        let b = text.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        Issue.record(
            "Snapshots/\(name) differs from line \(line + 1): stored \"\(line < a.count ? a[line] : "")\", now \"\(line < b.count ? b[line] : "")\" (PHONEPACK_UPDATE_SNAPSHOTS=1 rewrites it after a deliberate change)",
            sourceLocation: sourceLocation)
    }
}
