import Foundation
import PhonePackTestSupport
import Testing

@Suite("every cloud-phone verb through the binary against the emulator, both clouds", .ownThread)
struct PhoneVerbTests {
    static let package = "com.example.phonepack.demo"

    func emulator(_ tmp: TemporaryDirectory, _ extra: [String] = []) throws -> (EmulatorProcess, [String: String]) {
        let emulator = try EmulatorProcess(
            data: tmp.file("data"),
            ["--bucket", "my-cph-bucket", "--bucket", "cloudphone-saved-bucket-demo", "--job-seconds", "0.3"] + extra)
        return (emulator, emulator.environment(stateDirectory: tmp.file("state")))
    }

    @Test("Huawei: release, exec, export/pull with owners and labels, restore, share files, delete, images, phones")
    func huaweiVerbs() throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try emulator(tmp)
        let release = try CLI.run(
            [
                "release", CLI.repositoryRoot + "/samples/demo-app", "--to", "obs://my-cph-bucket/apps/demo.tar",
                "--servers", "server0001,server0002",
            ],
            environment: env)
        #expect(release.status == Exit.success.rawValue, "\(release.output)")

        let exec = try CLI.run(
            ["exec", "huawei", "--phones", "phone0001", "--", "pm", "list", "packages"], environment: env)
        #expect(
            exec.status == Exit.success.rawValue && exec.stdout.contains("package:\(Self.package)"), "\(exec.output)")

        // pull: export → wait → download → extract → summary, with Android owners and SELinux labels.
        let pull = try CLI.run(
            [
                "pull", "--phones", "phone0001,phone0002", "--include", "/data/data/\(Self.package)", "--to",
                "obs://my-cph-bucket/exports/", "-C", tmp.file("pulled"), "--json",
            ],
            environment: env)
        #expect(pull.status == Exit.success.rawValue, "\(pull.output)")
        let settings = tmp.file("pulled/phone0002/data/data/\(Self.package)/shared_prefs/settings.xml")
        #expect(FileManager.default.fileExists(atPath: settings))
        let pulled = try #require(try CLI.parseJSON(pull.stdout)["phones"] as? [[String: Any]])
        let app = try #require((pulled.first?["apps"] as? [[String: Any]])?.first)
        #expect(app["package"] as? String == Self.package)
        #expect((app["selinuxLabel"] as? String)?.hasPrefix("u:object_r:app_data_file:s0:c") == true)
        #expect((app["ownerUID"] as? Int ?? 0) >= 10000)
        // The export is a real tar in the OBS store; inspect reads it like any other.
        let inspect = try CLI.run(
            ["download", "obs://my-cph-bucket/exports/phone0001.tar", tmp.file("e.tar")], environment: env)
        #expect(inspect.status == Exit.success.rawValue)
        #expect(try CLI.run(["inspect", tmp.file("e.tar"), "--summary"]).stdout.contains(Self.package))

        // restore the export onto phone0003, then the app data is there.
        let restore = try CLI.run(
            ["restore", "huawei", "--phones", "phone0003", "--from", "obs://my-cph-bucket/exports/phone0001.tar"],
            environment: env)
        #expect(restore.status == Exit.success.rawValue, "\(restore.output)")
        let cat = try CLI.run(
            [
                "exec", "huawei", "--phones", "phone0003", "--", "cat",
                "/data/data/\(Self.package)/shared_prefs/settings.xml",
            ],
            environment: env)
        #expect(cat.stdout.contains("<map>") || cat.stdout.contains("<?xml"), "\(cat.output)")

        let shareFiles = try CLI.run(
            ["push", "huawei", "--files", "obs://my-cph-bucket/exports/phone0001.tar", "--servers", "server0003"],
            environment: env)
        #expect(shareFiles.status == Exit.success.rawValue, "\(shareFiles.output)")
        let deleteFiles = try CLI.run(
            ["push", "huawei", "--delete-files", "/data/local/tmp/x", "--servers", "server0003"], environment: env)
        #expect(deleteFiles.status == Exit.success.rawValue, "\(deleteFiles.output)")
        let delete = try CLI.run(
            ["push", "huawei", "--delete", "--package", Self.package, "--servers", "server0001"], environment: env)
        #expect(delete.status == Exit.success.rawValue, "\(delete.output)")

        #expect(try CLI.run(["images", "--type", "public"], environment: env).stdout.contains("emulatorimage0001"))
        #expect(
            try CLI.run(["phones", "huawei", "--server", "server0002"], environment: env).stdout.contains("phone0002"))
        #expect(try CLI.run(["phones", "huawei-servers"], environment: env).stdout.contains("server0003"))

        // IAM token auth instead of AK/SK.
        var tokenEnv = env
        tokenEnv["PHONEPACK_HUAWEI_AUTH"] = "token"
        #expect(try CLI.run(["phones", "huawei-servers"], environment: tokenEnv).status == Exit.success.rawValue)
        _ = emulator
    }

    @Test("KooPhone: sync and async commands, 32 instances per call, failures per instance")
    func kooPhone() throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try emulator(tmp, ["--instances", "40"])
        let ids = (1...40).map { String(format: "kp%04d", $0) }.joined(separator: ",")
        let sync = try CLI.run(
            ["exec", "koophone", "--instances", ids, "--json", "--", "getprop", "ro.product.model"], environment: env)
        #expect(sync.status == Exit.success.rawValue, "\(sync.stderr)")
        let results = try #require(try CLI.parseJSON(sync.stdout)["targets"] as? [[String: Any]])
        #expect(results.count == 40 && results.allSatisfy { $0["output"] as? String == "phonepack-emulated" })
        #expect(try emulator.requests().filter { ($0["path"] as? String ?? "").hasSuffix("sync-command") }.count == 2)

        let async = try CLI.run(
            ["exec", "koophone", "--async", "--instances", "kp0001,kp0099", "--", "echo", "hi"], environment: env)
        #expect(async.status == Exit.checkFailed.rawValue)
        #expect(async.stdout.contains("kp0001  succeeded") && async.stdout.contains("hi"))
        #expect(async.stdout.contains("kp0099  failed") && async.stdout.contains("KOOPHONE.API.1001"))

        let long = String(repeating: "x", count: 1025)
        let refused = try CLI.run(["exec", "koophone", "--instances", "kp0001", "--", "echo", long], environment: env)
        #expect(refused.status == Exit.usage.rawValue && refused.stderr.contains("1024"))
    }

    @Test("Alibaba: release (SendFile + AutoInstall), exec async and sync, pull (FetchFile), instances")
    func alibabaVerbs() throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try emulator(tmp)
        let release = try CLI.run(
            [
                "release", CLI.repositoryRoot + "/samples/demo-app/base.apk", "--to",
                "oss://cloudphone-saved-bucket-demo/apps/demo.apk", "--instances", "acp-0001,acp-0002",
            ],
            environment: env)
        #expect(release.status == Exit.success.rawValue, "\(release.output)")
        #expect(release.stdout.contains("Installed"))
        let again = try CLI.run(
            [
                "release", CLI.repositoryRoot + "/samples/demo-app/base.apk", "--to",
                "oss://cloudphone-saved-bucket-demo/apps/demo.apk", "--instances", "acp-0001",
            ],
            environment: env)
        #expect(again.stdout.contains("upload skipped"))

        let exec = try CLI.run(
            ["exec", "alibaba", "--instances", "acp-0001", "--", "ls", "/sdcard/Download"], environment: env)
        #expect(exec.status == Exit.success.rawValue && exec.stdout.contains("demo.apk"), "\(exec.output)")
        let sync = try CLI.run(
            ["exec", "alibaba", "--sync", "--instances", "acp-0002", "--", "pm", "list", "packages"], environment: env)
        #expect(sync.stdout.contains("package:\(Self.package)"), "\(sync.output)")

        let push = try CLI.run(
            [
                "push", "alibaba", "--file", "oss://cloudphone-saved-bucket-demo/apps/demo.apk", "--instances",
                "acp-0003",
                "--to", "/sdcard/Download/",
            ],
            environment: env)
        #expect(push.status == Exit.success.rawValue, "\(push.output)")

        // DOWNLOAD_URL: any bucket, through a presigned link phonepack makes.
        #expect(
            try CLI.run(
                ["upload", CLI.repositoryRoot + "/samples/demo-app/base.apk", "oss://my-cph-bucket/any/linked.apk"],
                environment: env
            ).status == Exit.success.rawValue)
        let linked = try CLI.run(
            [
                "push", "alibaba", "--file", "oss://my-cph-bucket/any/linked.apk", "--instances", "acp-0003",
                "--upload-type", "DOWNLOAD_URL", "--install",
            ],
            environment: env)
        #expect(linked.status == Exit.success.rawValue && linked.stdout.contains("Installed"), "\(linked.output)")
        let listed = try CLI.run(
            ["exec", "alibaba", "--sync", "--instances", "acp-0003", "--", "ls", "/sdcard/Download"], environment: env)
        #expect(listed.stdout.contains("linked.apk") && listed.stdout.contains("demo.apk"), "\(listed.output)")

        let pull = try CLI.run(
            [
                "pull", "--instances", "acp-0001", "--include", "/sdcard/Download", "--to",
                "oss://cloudphone-saved-bucket-demo/pulls/", "-C", tmp.file("pulled"),
            ],
            environment: env)
        #expect(pull.status == Exit.success.rawValue, "\(pull.output)")
        #expect(FileManager.default.fileExists(atPath: tmp.file("pulled/acp-0001/data/media/0/Download/demo.apk")))
        #expect(try CLI.run(["phones", "alibaba"], environment: env).stdout.contains("acp-0003"))
        _ = emulator
    }

    @Test(
        "invalid fields are refused with the field and rule named, and no request reaches the service",
        arguments: [
            (
                [
                    "export", "huawei", "--phones", "phone0001", "--include", "/system/app", "--to",
                    "obs://my-cph-bucket/x/",
                ], "/system/app"
            ),
            (
                [
                    "export", "huawei", "--phones", "phone0001", "--include", "/data/*/x", "--to",
                    "obs://my-cph-bucket/x/",
                ], "/data/*/x"
            ),
            (["exec", "huawei", "--phones", "phone0001", "--push-file", "http://x/y.tar"], "content"),
            (
                ["push", "alibaba", "--file", "oss://my-own-bucket/a.apk", "--instances", "acp-0001"],
                "cloudphone-saved-bucket"
            ),
            (["exec", "alibaba", "--instances", "", "--", "ls"], "--instances"),
            (["release", "x.apk", "--to", "oss://cloudphone-saved-bucket-demo/a.apk"], "--instances"),
        ])
    func refusals(arguments: [String], named: String) throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try emulator(tmp)
        let result = try CLI.run(arguments, environment: env)
        #expect(result.status == Exit.usage.rawValue, "\(result.output)")
        #expect(result.stderr.contains(named), "\(result.stderr)")
        #expect(try emulator.requests().isEmpty)
    }

    @Test("service refusals come back as one line with the vendor code and request id")
    func serviceErrors() throws {
        let tmp = try TemporaryDirectory()
        let (emulator, env) = try emulator(tmp)
        var wrong = env
        wrong["OBS_SECRET_ACCESS_KEY"] = "wrong-secret-NOT-TO-BE-SHOWN"
        let cph = try CLI.run(["phones", "huawei-servers"], environment: wrong)
        #expect(cph.status == Exit.service.rawValue)
        #expect(cph.stderr.contains("APIGW.0301") && cph.stderr.contains("request id"), "\(cph.stderr)")
        #expect(!cph.output.contains("wrong-secret-NOT-TO-BE-SHOWN"))
        wrong = env
        wrong["OSS_ACCESS_KEY_SECRET"] = "wrong-secret-NOT-TO-BE-SHOWN"
        let ali = try CLI.run(["phones", "alibaba"], environment: wrong)
        #expect(ali.status == Exit.service.rawValue)
        #expect(ali.stderr.contains("SignatureDoesNotMatch") && ali.stderr.contains("request id"), "\(ali.stderr)")
        wrong = env
        wrong["PHONEPACK_IAM_PASSWORD"] = "wrong"
        let koo = try CLI.run(["exec", "koophone", "--instances", "kp0001", "--", "ls"], environment: wrong)
        #expect(koo.status == Exit.service.rawValue && koo.stderr.contains("IAM.0002"), "\(koo.stderr)")
        #expect(koo.stderr.split(separator: "\n").count == 1)
        _ = emulator
    }
}
