import Foundation
import PhonePackTestSupport
import Testing

/// What `verify` says about an APK's signature and installability, against what nobody here wrote: Debian's
/// apksigner on a corpus it signed (and copies tampered after), and Android's PackageManager rules one by one.
@Suite(
    "APK signatures and PackageManager's rules, checked against apksigner (issue 27)", .ownThread,
    .requires(tools: "apksigner", "zipalign", "aapt", "openssl"))
struct APKInstallTests {
    let pkg = "com.example.phonepack.demo"

    /// `verify --profile alibaba-sendfile APK --json` (plus `extra`): its exit status and rules by id.
    func verify(_ apk: String, _ extra: [String] = [], environment: [String: String] = [:]) throws -> (
        status: Int32, rules: [String: [String: Any]]
    ) {
        let result = try CLI.run(
            ["verify", "--profile", "alibaba-sendfile", apk, "--json"] + extra, environment: environment)
        #expect(!result.crashed, "\(result.stderr)")
        let report = try CLI.parseJSON(result.stdout)
        let rules = (report["rules"] as? [[String: Any]] ?? []).reduce(into: [String: [String: Any]]()) {
            $0[$1["id"] as? String ?? ""] = $1
        }
        return (result.status, rules)
    }

    /// The INSTALL_* codes a rule's offenders name.
    func codes(_ rule: [String: Any]?) -> [String] {
        (rule?["offenders"] as? [[String: Any]] ?? []).compactMap {
            ($0["reason"] as? String)?.split(separator: ":").first.map(String.init)
        }
    }

    @Test("every APK of an apksigner-signed corpus, and every tampered copy, gets apksigner's verdict and signer")
    func corpus() throws {
        let tmp = try TemporaryDirectory()
        try Tool.check("python3", [CLI.script("apk_corpus.py"), tmp.path])
        let data = try Data(contentsOf: URL(fileURLWithPath: tmp.file("corpus.json")))
        let corpus = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(corpus.count >= 30)
        var verified = 0
        for entry in corpus {
            let file = tmp.file(try #require(entry["file"] as? String))
            let apksigner = entry["verifies"] as? Bool == true
            let result = try CLI.run(["inspect", file, "--json"])
            #expect(!result.crashed, "\(file): \(result.stderr)")
            guard result.status == Exit.success.rawValue else {
                // Not even a ZIP any more (a byte appended, the EOCD broken): a one-line error, and apksigner
                // must agree that it does not verify.
                #expect(!apksigner, "\(file): apksigner verifies it, phonepack cannot read it: \(result.stderr)")
                #expect(result.status == Exit.usage.rawValue && result.stderr.split(separator: "\n").count == 1)
                continue
            }
            let signature = try #require(
                (try CLI.parseJSON(result.stdout)["apk"] as? [String: Any])?["signature"] as? [String: Any])
            let ours = signature["verified"] as? Bool == true
            #expect(
                ours == apksigner,
                "\(file): apksigner says \(apksigner ? "verifies" : entry["apksigner"] ?? ""), phonepack \(signature["failure"] ?? "verifies")"
            )
            guard ours, apksigner else { continue }
            verified += 1
            let signers = signature["signers"] as? [[String: Any]] ?? []
            #expect(signers.map { $0["sha256"] as? String } == (entry["signers"] as? [String] ?? []), "\(file)")
            #expect(signers.map { $0["subject"] as? String } == (entry["dns"] as? [String] ?? []), "\(file)")
            if file.hasSuffix("rotated-v3.apk") {
                let lineage = (signature["lineage"] as? [[String: Any]] ?? []).map { $0["subject"] as? String }
                #expect(lineage == ["CN=rsa2048, O=phonepack corpus", "CN=ec256, O=phonepack corpus"])
            }
        }
        #expect(verified >= 9)
    }

    @Test(
        "signature: unsigned and v1-only with targetSdk 33 fail with INSTALL_PARSE_FAILED_NO_CERTIFICATES; signed passes"
    )
    func signatureRule() throws {
        let tmp = try TemporaryDirectory()
        let unsigned = try CLI.makeApp(in: tmp.file("unsigned"), ["--unsigned"]) + "/base.apk"
        let v1Only =
            try CLI.makeApp(
                in: tmp.file("v1"),
                [
                    "--min-sdk", "21", "--sign-option", "--v2-signing-enabled", "--sign-option", "false",
                    "--sign-option", "--v3-signing-enabled", "--sign-option", "false",
                ]) + "/base.apk"
        let v1Target29 =
            try CLI.makeApp(
                in: tmp.file("v1-29"),
                [
                    "--min-sdk", "21", "--target-sdk", "29", "--sign-option", "--v2-signing-enabled", "--sign-option",
                    "false", "--sign-option", "--v3-signing-enabled", "--sign-option", "false",
                ]) + "/base.apk"
        let signed = try CLI.makeApp(in: tmp.file("signed")) + "/base.apk"
        for (apk, passes) in [(unsigned, false), (v1Only, false), (v1Target29, true), (signed, true)] {
            let (status, rules) = try verify(apk)
            #expect(status == (passes ? Exit.success : Exit.checkFailed).rawValue, "\(apk)")
            #expect(rules["signature"]?["status"] as? String == (passes ? "pass" : "fail"), "\(apk)")
            if !passes { #expect(codes(rules["signature"]) == ["INSTALL_PARSE_FAILED_NO_CERTIFICATES"]) }
        }
        // The text names the APK, the code and the fix on one line.
        let text = try CLI.run(["verify", "--profile", "alibaba-sendfile", v1Only])
        #expect(
            text.stdout.contains(
                "\(v1Only): INSTALL_PARSE_FAILED_NO_CERTIFICATES: targetSdkVersion 33 needs APK Signature Scheme v2 or later"
            ), "\(text.stdout)")
        #expect(text.stdout.contains("(fix: sign with APK Signature Scheme v2 or v3"))
    }

    @Test("installable: each PackageManager rule has a failing case with Android's code and a passing one")
    func installRules() throws {
        let tmp = try TemporaryDirectory()
        var n = 0
        func apk(_ options: [String]) throws -> String {
            n += 1
            return try CLI.makeApp(in: tmp.file("app\(n)"), options) + "/base.apk"
        }
        let cases: [(options: [String], verify: [String], code: String?, status: String)] = [
            ([], [], nil, "pass"),
            (["--compressed-arsc"], [], "INSTALL_PARSE_FAILED_RESOURCES_ARSC_COMPRESSED", "fail"),
            (["--compressed-arsc", "--target-sdk", "29"], [], nil, "pass"),
            (
                ["--extract-native-libs", "false", "--no-align", "--target-sdk", "29"], [],
                "INSTALL_FAILED_INVALID_APK", "fail"
            ),
            (["--extract-native-libs", "false"], [], nil, "pass"),
            (["--abi", "x86_64"], [], "INSTALL_FAILED_NO_MATCHING_ABIS", "fail"),
            (["--abi", "armeabi-v7a"], [], "INSTALL_FAILED_NO_MATCHING_ABIS", "warn"),
            (["--abi", "armeabi-v7a"], ["--phone-abis", "arm64-v8a,armeabi-v7a"], nil, "pass"),
            (["--abi", "armeabi-v7a"], ["--phone-abis", "arm64-v8a"], "INSTALL_FAILED_NO_MATCHING_ABIS", "fail"),
            (["--abi", ""], [], nil, "pass"),
            (["--min-sdk", "31"], ["--phone-api", "30"], "INSTALL_FAILED_OLDER_SDK", "fail"),
            (["--min-sdk", "30"], ["--phone-api", "30"], nil, "pass"),
            (["--test-only"], [], "INSTALL_FAILED_TEST_ONLY", "fail"),
        ]
        for item in cases {
            let file = try apk(item.options)
            let (status, rules) = try verify(file, item.verify)
            let rule = rules["installable"]
            #expect(rule?["status"] as? String == item.status, "\(item.options) \(item.verify): \(rule ?? [:])")
            #expect(Set(codes(rule)) == Set(item.code.map { [$0] } ?? []), "\(item.options) \(item.verify)")
            #expect(status == (item.status == "fail" ? Exit.checkFailed : Exit.success).rawValue)
        }
    }

    @Test("splits: package, versionCode and signer must match the base, names be unique, and a base be there")
    func splits() throws {
        let tmp = try TemporaryDirectory()
        let folder = tmp.file("app")
        try CLI.makeApp(in: folder)
        let base = try Data(contentsOf: URL(fileURLWithPath: folder + "/base.apk"))
        func split(_ name: String, _ options: [String]) throws -> Data {
            try CLI.makeApp(in: tmp.file("split-\(name)-\(options.count)"), ["--split", name] + options)
            return try Data(
                contentsOf: URL(fileURLWithPath: tmp.file("split-\(name)-\(options.count)/split_\(name).apk")))
        }
        let good = try split("config.arm64_v8a", [])
        let otherVersion = try split("config.xxhdpi", ["--version-code", "43"])
        let otherSigner = try split("config.en", ["--key", "next"])
        let otherPackage = try split("config.fr", ["--package", "com.example.other"])
        // Tars written by Python's tarfile, so the builder's own checks do not stand in the way.
        func tar(_ name: String, _ files: [(String, Data)]) throws -> String {
            let path = tmp.file(name)
            let folder = tmp.file(name + ".d")
            var arguments = [path]
            for (index, (entry, data)) in files.enumerated() {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try data.write(to: URL(fileURLWithPath: "\(folder)/\(index)"))
                arguments += ["\(folder)/\(index)", entry]
            }
            let script = """
                import sys, tarfile
                with tarfile.open(sys.argv[1], "w", format=tarfile.GNU_FORMAT) as t:
                    for source, name in zip(sys.argv[2::2], sys.argv[3::2]):
                        t.add(source, arcname=name)
                """
            try Tool.check("python3", ["-c", script] + arguments)
            return path
        }
        let dir = "data/app/\(pkg)-1/"
        let cases: [(name: String, files: [(String, Data)], failing: Bool)] = [
            ("good", [(dir + "base.apk", base), (dir + "split_config.arm64_v8a.apk", good)], false),
            ("version", [(dir + "base.apk", base), (dir + "split_config.xxhdpi.apk", otherVersion)], true),
            ("signer", [(dir + "base.apk", base), (dir + "split_config.en.apk", otherSigner)], true),
            ("package", [(dir + "base.apk", base), (dir + "split_config.fr.apk", otherPackage)], true),
            ("twice", [(dir + "base.apk", base), (dir + "split_a.apk", good), (dir + "split_b.apk", good)], true),
        ]
        for item in cases {
            let path = try tar(item.name + ".tar", item.files)
            let result = try CLI.run(["verify", path, "--package", pkg, "--json"])
            let rules = try CLI.parseJSON(result.stdout)["rules"] as? [[String: Any]] ?? []
            let installable = rules.first { $0["id"] as? String == "installable" }
            #expect(
                installable?["status"] as? String == (item.failing ? "fail" : "pass"),
                "\(item.name): \(installable ?? [:])")
            if item.failing { #expect(codes(installable) == ["INSTALL_FAILED_INVALID_APK"], "\(item.name)") }
        }
        // A split alone (SendFile of one APK) has no base.
        let alone = tmp.file("alone.apk")
        try otherVersion.write(to: URL(fileURLWithPath: alone))
        let (status, rules) = try verify(alone)
        #expect(status == Exit.checkFailed.rawValue)
        #expect(codes(rules["installable"]) == ["INSTALL_FAILED_INVALID_APK"])
    }

    @Test("--upgrade-from (APK, tar, obs://): another signer or a lower versionCode fails; a rotated key passes")
    func upgradeFrom() throws {
        let tmp = try TemporaryDirectory()
        let old = try CLI.makeApp(in: tmp.file("old"), ["--version-code", "42"])
        let oldTar = tmp.file("old.tar")
        try CLI.run(["build", old, "-o", oldTar])
        let same = try CLI.makeApp(in: tmp.file("same"), ["--version-code", "43"]) + "/base.apk"
        let lower = try CLI.makeApp(in: tmp.file("lower"), ["--version-code", "41"]) + "/base.apk"
        let other = try CLI.makeApp(in: tmp.file("other"), ["--version-code", "43", "--key", "next"]) + "/base.apk"
        let rotated =
            try CLI.makeApp(
                in: tmp.file("rotated"), ["--version-code", "43", "--rotate-to", "next"]) + "/base.apk"
        let emulator = try EmulatorProcess(data: tmp.file("data"), ["--bucket", "my-cph-bucket"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        try expectRun(["upload", oldTar, "obs://my-cph-bucket/apps/old.tar"], environment: env)
        for from in [old + "/base.apk", oldTar, "obs://my-cph-bucket/apps/old.tar"] {
            for (apk, code) in [
                (same, nil), (rotated, nil), (lower, "INSTALL_FAILED_VERSION_DOWNGRADE"),
                (other, "INSTALL_FAILED_UPDATE_INCOMPATIBLE"),
            ] {
                let (status, rules) = try verify(apk, ["--upgrade-from", from], environment: env)
                #expect(
                    rules["upgrade"]?["status"] as? String == (code == nil ? "pass" : "fail"), "\(apk) from \(from)")
                #expect(codes(rules["upgrade"]) == (code.map { [$0] } ?? []), "\(apk) from \(from)")
                #expect(status == (code == nil ? Exit.success : Exit.checkFailed).rawValue)
            }
        }
        // A missing object is a clear one-line error, exit 3 (the service said no) or 2.
        let missing = try CLI.run(
            ["verify", "--profile", "alibaba-sendfile", same, "--upgrade-from", "obs://my-cph-bucket/apps/none.tar"],
            environment: env)
        #expect([Exit.usage.rawValue, Exit.service.rawValue, Exit.checkFailed.rawValue].contains(missing.status))
        #expect(
            missing.stderr.contains("none.tar") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)"
        )
    }
}

/// The emulated phones install like PackageManager: they refuse, with Android's codes, what a real phone would —
/// even when phonepack is told to send it anyway — and `phones apps` shows what stayed installed.
@Suite(
    "Emulated phones install like PackageManager (issue 27)", .ownThread,
    .requires(tools: "apksigner", "zipalign", "aapt", "openssl"))
struct PackageManagerTests {
    let pkg = "com.example.phonepack.demo"

    func release(_ app: String, _ key: String, _ env: [String: String], _ extra: [String] = []) throws -> ToolOutput {
        try CLI.run(
            ["release", app, "--to", "obs://my-cph-bucket/apps/\(key).tar", "--servers", "server0001,server0002"]
                + extra, environment: env)
    }

    @Test(
        "release keeps the signer and versionCode; phones refuse a forced downgrade or signer change; phones apps shows it"
    )
    func continuity() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "0.2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let v42 = try CLI.makeApp(in: tmp.file("v42"), ["--version-code", "42"])
        let first = try release(v42, "v42", env)
        #expect(first.status == Exit.success.rawValue, "\(first.output)")

        // Pre-flight: a lower versionCode and another signer stop before anything is built or uploaded.
        let v41 = try CLI.makeApp(in: tmp.file("v41"), ["--version-code", "41"])
        let v43other = try CLI.makeApp(in: tmp.file("v43other"), ["--version-code", "43", "--key", "next"])
        let puts = try emulator.requests().filter { $0["method"] as? String == "PUT" }.count
        for (app, code) in [
            (v41, "INSTALL_FAILED_VERSION_DOWNGRADE"), (v43other, "INSTALL_FAILED_UPDATE_INCOMPATIBLE"),
        ] {
            let refused = try release(app, "refused", env)
            #expect(refused.status == Exit.checkFailed.rawValue, "\(refused.output)")
            #expect(refused.stderr.contains("release stopped at pre-flight") && refused.stderr.contains(code))
        }
        #expect(try emulator.requests().filter { $0["method"] as? String == "PUT" }.count == puts)

        // Forced: phonepack sends, the phones refuse with Android's codes, the jobs fail.
        for (app, flag, code) in [
            (v41, "--allow-downgrade", "INSTALL_FAILED_VERSION_DOWNGRADE"),
            (v43other, "--allow-signer-change", "INSTALL_FAILED_UPDATE_INCOMPATIBLE"),
        ] {
            let forced = try release(app, "forced-\(flag)", env, [flag, "--json"])
            #expect(forced.status == Exit.checkFailed.rawValue, "\(forced.output)")
            let targets = try CLI.parseJSON(forced.stdout)["targets"] as? [[String: Any]] ?? []
            #expect(targets.map { $0["state"] as? String } == ["failed", "failed"], "\(forced.stdout)")
            #expect(targets.allSatisfy { $0["errorCode"] as? String == code }, "\(forced.stdout)")
        }

        // A rotated key (lineage naming the installed signer) is accepted, and phones apps shows its signer.
        let v44 = try CLI.makeApp(in: tmp.file("v44"), ["--version-code", "44", "--rotate-to", "next"])
        let rotated = try release(v44, "v44", env)
        #expect(rotated.status == Exit.success.rawValue, "\(rotated.output)")
        let apps = try CLI.run(["phones", "apps", "--package", pkg, "--json"], environment: env)
        #expect(apps.status == Exit.success.rawValue, "\(apps.output)")
        let versions = try CLI.parseJSON(apps.stdout)["versions"] as? [[String: Any]] ?? []
        let next = try Tool.check(
            "sh",
            [
                "-c", "openssl x509 -in \"$0\" -outform DER | sha256sum | cut -c1-64",
                CLI.repositoryRoot + "/samples/keys/next.x509.pem",
            ]
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(versions.count == 1)
        #expect(versions.first?["versionCode"] as? Int == 44)
        #expect(versions.first?["releasedSigner"] as? String == next)
        let text = try CLI.run(["phones", "apps", "--package", pkg], environment: env)
        #expect(text.stdout.contains(next), "\(text.stdout)")
    }

    @Test("phones refuse an unsigned APK, native code for no ABI they run, and a minSdk above their API level")
    func refusals() throws {
        let tmp = try TemporaryDirectory()
        let bucket = "cloudphone-saved-bucket-demo"
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", bucket, "--job-seconds", "0.2", "--phone-api", "29"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let cases: [(options: [String], code: String)] = [
            (["--unsigned"], "INSTALL_PARSE_FAILED_NO_CERTIFICATES"),
            (["--abi", "x86_64"], "INSTALL_FAILED_NO_MATCHING_ABIS"),
            (["--min-sdk", "30"], "INSTALL_FAILED_OLDER_SDK"),
        ]
        for (index, item) in cases.enumerated() {
            let apk = try CLI.makeApp(in: tmp.file("app\(index)"), item.options) + "/base.apk"
            // Sent without phonepack's own checks (upload, then SendFile + AutoInstall): the phone decides.
            try expectRun(["upload", apk, "oss://\(bucket)/apps/\(index).apk"], environment: env)
            let push = try CLI.run(
                [
                    "push", "alibaba", "--file", "oss://\(bucket)/apps/\(index).apk", "--instances", "acp-0001",
                    "--install", "--json",
                ], environment: env)
            #expect(push.status == Exit.checkFailed.rawValue, "\(push.output)")
            #expect(push.stdout.contains(item.code), "\(item.options): \(push.stdout)")
        }
        // Through release, phonepack's pre-flight stops the same APKs before anything is uploaded.
        let unsigned = try CLI.makeApp(in: tmp.file("unsigned"), ["--unsigned"]) + "/base.apk"
        let release = try CLI.run(
            ["release", unsigned, "--to", "oss://\(bucket)/apps/u.apk", "--instances", "acp-0001"], environment: env)
        #expect(release.status == Exit.checkFailed.rawValue)
        #expect(release.stderr.contains("INSTALL_PARSE_FAILED_NO_CERTIFICATES"), "\(release.stderr)")
    }

    @Test("rollback to a lower versionCode stops before sending (the phones would refuse it) unless --allow-downgrade")
    func rollbackDowngrade() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", "my-cph-bucket", "--job-seconds", "0.2"])
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        for code in ["42", "43"] {
            let app = try CLI.makeApp(in: tmp.file("v\(code)"), ["--version-code", code])
            let result = try release(app, "v\(code)", env)
            #expect(result.status == Exit.success.rawValue, "\(result.output)")
        }
        let current = try #require(
            (try CLI.parseJSON(try CLI.run(["release", "status", "--json"], environment: env).stdout))["id"] as? String)
        let refused = try CLI.run(["release", "rollback", current], environment: env)
        #expect(refused.status == Exit.checkFailed.rawValue, "\(refused.output)")
        #expect(refused.stderr.contains("INSTALL_FAILED_VERSION_DOWNGRADE"), "\(refused.stderr)")
        // Forced, it is sent, and the phones (which have 43) refuse it as Android would.
        let forced = try CLI.run(["release", "rollback", current, "--allow-downgrade", "--json"], environment: env)
        #expect(forced.status == Exit.checkFailed.rawValue)
        let targets = try CLI.parseJSON(forced.stdout)["targets"] as? [[String: Any]] ?? []
        #expect(
            targets.allSatisfy { $0["errorCode"] as? String == "INSTALL_FAILED_VERSION_DOWNGRADE" }, "\(forced.stdout)")
    }
}
