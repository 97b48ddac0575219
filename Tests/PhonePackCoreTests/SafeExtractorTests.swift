import Foundation
import Glibc
import PhonePackCore
import PhonePackTestSupport
import Testing

/// The extractor as a library call, on archives crafted by Python's tarfile: what the CLI tests reach only
/// through the binary. It runs in the test process beside every other test: it must not touch process-wide state
/// (it once set the umask, which changed the modes of files other tests' tools created meanwhile).
@Suite("SafeExtractor and PackageVerifier as library calls", .ownThread)
struct SafeExtractorTests {
    func extract(_ tar: String, into tmp: TemporaryDirectory) throws(PhonePackError) -> ExtractReport {
        try SafeExtractor.extract(
            archive: tar, options: ExtractOptions(destination: tmp.file("out"), filter: ExportPathFilter()))
    }

    @Test("a good export: every file written with its mode, nothing refused, the report counts what is on disk")
    func goodExport() throws {
        let tmp = try TemporaryDirectory()
        try CLI.craft("export", tmp.file("e.tar"))
        let before = umask(0o027)
        umask(before)
        let report = try extract(tmp.file("e.tar"), into: tmp)
        #expect(umask(before) == before, "the extractor changed the process umask")
        #expect(report.refused.isEmpty && report.refusedCount == 0)
        var files = 0
        for path in try FileManager.default.subpathsOfDirectory(atPath: tmp.file("out")) {
            var status = stat()
            guard lstat(tmp.file("out/" + path), &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            files += 1
        }
        #expect(files == report.files + report.hardlinks)
        // An Android data file is 0660: group-writable, which a 022 umask would have narrowed.
        let listing = try CLI.python(
            "import tarfile,sys\nfor m in tarfile.open(sys.argv[1]):\n  print(oct(m.mode), m.name) if m.isfile() else None",
            tmp.file("e.tar"))
        for line in listing.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0] == "0o660" else { continue }
            var status = stat()
            guard lstat(tmp.file("out/" + parts[1]), &status) == 0 else { continue }
            #expect(status.st_mode & 0o7777 == 0o660, "\(parts[1])")
        }
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
            BuildOptions(input: .directory(CLI.repositoryRoot + "/samples/demo-app"), output: tmp.file("good.tar")))
        let good = try PackageVerifier.verify(
            path: tmp.file("good.tar"), options: VerifyOptions(profile: .huaweiShareApp))
        #expect(good.passed, "\(good.rules.filter { $0.status == .fail })")
        #expect(good.sha256 == built.sha256 && good.packageName == built.package.packageName)
        try CLI.craft("no-apk", tmp.file("bad.tar"))
        let bad = try PackageVerifier.verify(
            path: tmp.file("bad.tar"), options: VerifyOptions(profile: .huaweiShareApp))
        #expect(!bad.passed)
        #expect(bad.rules.contains { $0.id == "base-apk" && $0.status == .fail })

        // release: the SHA-256 its build computed is reported, not recomputed (a made-up one shows it was not
        // read), and every other rule still runs; the emulator's layout check needs no hash at all.
        let madeUp = String(repeating: "ab", count: 32)
        let written = try PackageVerifier.verify(
            path: tmp.file("good.tar"), options: VerifyOptions(profile: .huaweiShareApp, checksum: .written(madeUp)))
        #expect(written.passed && written.sha256 == madeUp)
        let checksum = written.rules.first { $0.id == "checksum" }
        #expect(checksum?.status == .pass)
        #expect(checksum?.detail == "SHA-256 \(madeUp), computed as the file was written")
        #expect(written.rules.count == good.rules.count)
        let layoutOnly = try PackageVerifier.verify(
            path: tmp.file("bad.tar"), options: VerifyOptions(profile: .huaweiShareApp, checksum: .notNeeded))
        #expect(layoutOnly.sha256 == nil && !layoutOnly.passed)
        #expect(layoutOnly.rules.contains { $0.id == "base-apk" && $0.status == .fail })
        #expect(layoutOnly.rules.contains { $0.id == "checksum" && $0.status == .skip })
    }

    @Test("the destination rules verify --to and release share")
    func destinationRules() throws {
        #expect(
            VerifyProfile.huaweiShareApp.destinationProblems(try ObjectURL(parsing: "obs://my-bucket/apps/a.tar"))
                .isEmpty)
        #expect(
            VerifyProfile.huaweiShareApp.destinationProblems(try ObjectURL(parsing: "obs://b/apps/a.zip")) == [
                "bucket_name b: length must be 3..63", "object_path must name a .tar",
            ])
        #expect(
            VerifyProfile.alibabaSendFile.destinationProblems(try ObjectURL(parsing: "obs://my-bucket/a.apk")).first
                == "Cloud Phone reads from OSS: use oss://bucket/key")
    }
}
