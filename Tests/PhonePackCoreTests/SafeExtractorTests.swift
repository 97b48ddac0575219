import Foundation
import PhonePackCore
import PhonePackTestSupport
import Testing

/// The extractor as a library call, on archives crafted by Python's tarfile: what the CLI tests reach only
/// through the binary.
@Suite("SafeExtractor and PackageVerifier as library calls")
struct SafeExtractorTests {
    func extract(_ tar: String, into tmp: TemporaryDirectory) throws(PhonePackError) -> ExtractReport {
        try SafeExtractor.extract(
            archive: tar, options: ExtractOptions(destination: tmp.file("out"), filter: ExportPathFilter()))
    }

    @Test("a good export: every file written, nothing refused, the report counts what is on disk")
    func goodExport() throws {
        let tmp = try TemporaryDirectory()
        try CLI.craft("export", tmp.file("e.tar"))
        let report = try extract(tmp.file("e.tar"), into: tmp)
        #expect(report.refused.isEmpty && report.refusedCount == 0)
        let written = try FileManager.default.subpathsOfDirectory(atPath: tmp.file("out"))
        let files = written.filter {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: tmp.file("out/" + $0), isDirectory: &isDirectory)
            return !isDirectory.boolValue
                && (try? FileManager.default.destinationOfSymbolicLink(atPath: tmp.file("out/" + $0))) == nil
        }
        #expect(files.count == report.files + report.hardlinks)
    }

    @Test(
        "hostile entries are refused and nothing lands outside the destination",
        arguments: ["traversal", "absolute", "symlink-out", "hardlink-out", "device"])
    func hostile(name: String) throws {
        let tmp = try TemporaryDirectory()
        try CLI.craft(name, tmp.file("h.tar"))
        let report: ExtractReport
        do {
            report = try extract(tmp.file("h.tar"), into: tmp)
        } catch {
            // A refusal of the whole archive is fine too, as long as it is one typed error.
            #expect(error.code == .invalidInput || error.code == .corruptArchive || error.code == .checkFailed)
            return
        }
        if name != "symlink-out" {  // a link is written as a link, never followed
            #expect(report.refusedCount > 0 || report.skippedCount > 0, "\(name): nothing was refused")
        }
        let outside = try tmp.listing().filter { !$0.hasPrefix("out") && $0 != "h.tar" }
        #expect(outside.isEmpty, "\(name) wrote \(outside)")
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
