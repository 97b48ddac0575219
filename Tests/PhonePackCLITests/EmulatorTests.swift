import Foundation
import PhonePackTestSupport
import Testing

/// The emulator on its own, driven by curl (a client nobody here wrote) through presigned URLs: it must refuse
/// what the stores refuse and serve ranges as they do. Run as a binary, not linked into the tests, so no test
/// module waits for its server stack to build.
@Suite("Emulator: signatures and ranges, as curl sees them", .ownThread)
struct EmulatorTests {
    func curl(_ url: String, range: String? = nil, in tmp: TemporaryDirectory) throws -> (status: String, size: Int) {
        let body = tmp.file("body-\(UUID().uuidString)")
        var arguments = ["-s", "-o", body, "-w", "%{http_code}", url]
        if let range { arguments += ["-H", "Range: \(range)"] }
        let result = try Tool.run("curl", arguments)
        let size = (try? FileManager.default.attributesOfItem(atPath: body)[.size] as? Int) ?? 0
        return (result.stdout, size)
    }

    @Test("one byte range is served 206; a reversed or multiple range is ignored (200, whole); past the end is 416")
    func ranges() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("emu"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("x.bin"), size: 1000)
        try expectRun(["upload", tmp.file("x.bin"), "obs://b1/x.bin", "--json"], environment: env)
        let url = try expectRun(["presign", "obs://b1/x.bin"], environment: env).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try curl(url, in: tmp) == ("200", 1000))
        #expect(try curl(url, range: "bytes=0-9", in: tmp) == ("206", 10))
        #expect(try curl(url, range: "bytes=-10", in: tmp) == ("206", 10))
        #expect(try curl(url, range: "bytes=990-5000", in: tmp) == ("206", 10))
        #expect(try curl(url, range: "bytes=9-0", in: tmp) == ("200", 1000))
        #expect(try curl(url, range: "bytes=0-1,5-6", in: tmp) == ("200", 1000))
        #expect(try curl(url, range: "bytes=1000-", in: tmp).status == "416")
    }

    @Test("Expect: 100-continue is answered at once, as the stores do, not after the client's one-second wait")
    func continues() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("emu"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("x.bin"), size: 2_000_000)
        let url = try expectRun(["presign", "obs://b1/x.bin", "--method", "PUT"], environment: env).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // curl waits up to --expect100-timeout for the 100 before sending the body anyway: make that wait 30 s, so
        // a missing 100 shows as a 30-second upload.
        let result = try Tool.run(
            "curl",
            [
                "-s", "-v", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", "-T", tmp.file("x.bin"), "-H",
                "Expect: 100-continue", "--expect100-timeout", "30", url,
            ])
        let parts = result.stdout.split(separator: " ")
        #expect(result.stderr.contains("< HTTP/1.1 100 Continue"), "\(result.stderr)")
        #expect(parts.first == "200" && (Double(parts.last ?? "") ?? 99) < 10, "\(result.stdout)")
        #expect(emulator.storedBytes(store: "obs", key: "x.bin")?.count == 2_000_000)
    }

    @Test("a presigned URL signed with the wrong secret, for another key, or changed after signing is refused")
    func signatures() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("emu"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        _ = try writeRandomFile(tmp.file("x.bin"), size: 100)
        try expectRun(["upload", tmp.file("x.bin"), "obs://b1/x.bin", "--json"], environment: env)
        try expectRun(["upload", tmp.file("x.bin"), "obs://b1/y.bin", "--json"], environment: env)
        for signature in ["obs", "v4"] {
            let good = try expectRun(["presign", "obs://b1/x.bin", "--signature", signature], environment: env).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try curl(good, in: tmp).status == "200", "\(signature)")
            #expect(try curl(good.replacing("/x.bin", with: "/y.bin"), in: tmp).status == "403", "\(signature)")
            var wrong = env
            wrong["OBS_SECRET_ACCESS_KEY"] = "not-the-secret"
            let forged = try expectRun(["presign", "obs://b1/x.bin", "--signature", signature], environment: wrong)
                .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try curl(forged, in: tmp).status == "403", "\(signature)")
        }
    }
}
