import Foundation
import Glibc
import PhonePackCore
import PhonePackTestSupport
import Testing

/// The extractor as a library call, on archives crafted by Python's tarfile: what the CLI tests reach only
/// through the binary. The extractor sets the process umask while it runs, so each extraction happens in an exit
/// test (a child process): the umask of the test runner, and of every tool the other tests start, is never touched.
@Suite("SafeExtractor and PackageVerifier as library calls")
struct SafeExtractorTests {
    /// Extracts `tar` into `tmp/out` in this process; any failure ends the process with status 1.
    static func extract(_ tar: String, into tmp: TemporaryDirectory) -> ExtractReport? {
        try? SafeExtractor.extract(
            archive: tar, options: ExtractOptions(destination: tmp.file("out"), filter: ExportPathFilter()))
    }

    @Test("a good export: every file written, nothing refused, the report counts what is on disk")
    func goodExport() async {
        await #expect(processExitsWith: .success) {
            let tmp = try TemporaryDirectory()
            try CLI.craft("export", tmp.file("e.tar"))
            guard let report = SafeExtractorTests.extract(tmp.file("e.tar"), into: tmp), report.refusedCount == 0
            else { exit(1) }
            let written = try FileManager.default.subpathsOfDirectory(atPath: tmp.file("out")).filter {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: tmp.file("out/" + $0), isDirectory: &isDirectory)
                return !isDirectory.boolValue
                    && (try? FileManager.default.destinationOfSymbolicLink(atPath: tmp.file("out/" + $0))) == nil
            }
            exit(written.count == report.files + report.hardlinks ? 0 : 1)
        }
    }

    @Test("hostile entries are refused (links written, never followed) and nothing lands outside the destination")
    func hostile() async {
        await #expect(processExitsWith: .success) {
            for name in ["traversal", "absolute", "symlink-out", "hardlink-out", "device"] {
                let tmp = try TemporaryDirectory()
                try CLI.craft(name, tmp.file("h.tar"))
                let report = SafeExtractorTests.extract(tmp.file("h.tar"), into: tmp)
                // A typed refusal of the whole archive is fine; otherwise something must have been refused.
                if let report, name != "symlink-out", report.refusedCount == 0, report.skippedCount == 0 { exit(2) }
                if try !tmp.listing().filter({ !$0.hasPrefix("out") && $0 != "h.tar" }).isEmpty { exit(3) }
            }
            exit(0)
        }
    }

    @Test("verify of a good shared-app tar passes every rule; a missing base.apk fails its rule")
    func verify() throws {
        let tmp = try TemporaryDirectory()
        let built = try SharedAppBuilder.build(
            BuildOptions(input: .directory(try CLI.makeApp(in: tmp.file("app"))), output: tmp.file("good.tar")))
        let good = try PackageVerifier.verify(
            path: tmp.file("good.tar"), options: VerifyOptions(profile: .huaweiShareApp))
        #expect(good.passed, "\(good.rules.filter { $0.status == .fail })")
        #expect(good.sha256 == built.sha256 && good.packageName == built.package.packageName)
        try CLI.craft("no-apk", tmp.file("bad.tar"))
        let bad = try PackageVerifier.verify(
            path: tmp.file("bad.tar"), options: VerifyOptions(profile: .huaweiShareApp))
        #expect(!bad.passed)
        #expect(bad.rules.contains { $0.id == "base-apk" && $0.status == .fail })
    }
}
