import Foundation
import PhonePackCore
import PhonePackTestSupport
import Testing

@Suite("APK reading and the binary XML parser", .ownThread)
struct APKInfoTests {
    static let sampleAPK = CLI.repositoryRoot + "/samples/demo-app/base.apk"

    @Test("the sample APK made by aapt: package, versions, SDKs, ABIs, permissions")
    func sample() throws {
        let info = try APKInfo.read(path: Self.sampleAPK)
        #expect(info.packageName == "com.example.phonepack.demo")
        #expect(info.versionCode == 42 && info.versionName == "1.4.2")
        #expect(info.minSdk == 24 && info.targetSdk == 33)
        #expect(info.abis == ["arm64-v8a", "armeabi-v7a"])
        #expect(info.permissions == ["android.permission.INTERNET", "android.permission.ACCESS_NETWORK_STATE"])
        #expect(info.splitName == nil)
    }

    @Test(
        "agrees with aapt dump badging on freshly made APKs",
        arguments: [
            ("org.test.alpha", "7", "0.0.7-beta"), ("a.b", "2147483647", "max"), ("Com.Upper_Case.x9", "1", "ünïcödé"),
        ])
    func matchesAapt(package: String, code: String, name: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CLI.makeApp(in: dir, ["--package", package, "--version-code", code, "--version-name", name])
        let info = try APKInfo.read(path: dir + "/base.apk")
        #expect(info.packageName == package)
        #expect(info.versionCode.map(String.init) == code)
        #expect(info.versionName == name)
    }

    @Test("a truncated or bit-flipped manifest gives an error or a result, never a crash")
    func robustness() throws {
        let manifest = try extractManifest(Self.sampleAPK)
        #expect(try BinaryXMLDocument(parsing: manifest).elements.first?.name == "manifest")
        for length in stride(from: 0, to: manifest.count, by: 7) {
            _ = try? BinaryXMLDocument(parsing: Array(manifest.prefix(length)))
        }
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<3000 {
            var mutated = manifest
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(
                    in: 0...255, using: &generator)
            }
            _ = try? BinaryXMLDocument(parsing: mutated)
        }
        #expect(throws: BinaryXMLError.self) {
            try BinaryXMLDocument(parsing: [0x03, 0x00, 0x08, 0x00, 0xff, 0xff, 0xff, 0x7f])
        }
    }

    @Test("a zip without a manifest, and a file that is not a zip, are named in the error")
    func notAnAPK() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "hello".write(toFile: dir + "/a.txt", atomically: false, encoding: .utf8)
        try CLI.python(
            "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1],'w'); z.write(sys.argv[2],'a.txt'); z.close()",
            dir + "/plain.zip", dir + "/a.txt")
        #expect {
            try APKInfo.read(path: dir + "/plain.zip")
        } throws: { error in
            (error as? PhonePackError)?.description.contains("has no AndroidManifest.xml") == true
        }
        #expect {
            try APKInfo.read(path: dir + "/a.txt")
        } throws: { error in
            (error as? PhonePackError)?.description.contains("a.txt: is not a valid APK") == true
        }
    }

    func extractManifest(_ apk: String) throws -> [UInt8] {
        try Tool.run("unzip", ["-p", apk, "AndroidManifest.xml"]).stdoutBytes
    }
}

/// A small deterministic generator (SplitMix64) so mutation tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
