import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore
import PhonePackTestSupport
import Testing

@testable import phonepack

/// Runs verbs with `--json` and checks what they print: one JSON object (a line per object for the tree
/// transfers), decoded by the library's own Codable type, in one style.
final class JSONContract {
    let environment: [String: String]
    /// The verbs checked so far ("uploads ls", "release start", …).
    private(set) var covered: Set<String> = []
    /// Every key path each verb printed (`targets[].state`): the vocabulary, kept as a snapshot.
    private(set) var keyPaths: [String: Set<String>] = [:]

    init(environment: [String: String]) { self.environment = environment }

    /// Runs `phonepack VERB --json ARGS`, expects `status`, checks the style and decodes stdout as `T`.
    @discardableResult
    func check<T: Decodable>(
        _ verb: String, _ type: T.Type, _ arguments: [String], status: Exit = .success,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> T {
        covered.insert(verb)
        let words = verb.split(separator: " ").map(String.init)
        let result = try CLI.run(words + ["--json"] + arguments, environment: environment)
        #expect(result.status == status.rawValue, "\(verb): \(result.output)", sourceLocation: sourceLocation)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // One object per line: a document is one line, a tree transfer one line per record.
        #expect(
            verb == "sync" || lines.count == 1, "\(verb): \(lines.count) lines, not one", sourceLocation: sourceLocation
        )
        let documents = lines
        for document in documents {
            guard let value = try? JSONSerialization.jsonObject(with: Data(document.utf8)) else {
                Issue.record("\(verb): not JSON: \(result.output)", sourceLocation: sourceLocation)
                throw ExitCode.failure
            }
            #expect(value is [String: Any], "\(verb): not one JSON object: \(document)", sourceLocation: sourceLocation)
            for problem in Self.styleProblems(value) {
                Issue.record("\(verb): \(problem)", sourceLocation: sourceLocation)
            }
            keyPaths[verb, default: []].formUnion(Self.keyPaths(value))
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data((documents.last ?? "").utf8))
        } catch {
            Issue.record(
                "\(verb): \(T.self) does not decode it: \(error)\n\(result.stdout)", sourceLocation: sourceLocation)
            throw error
        }
    }

    /// Keys holding maps of user or file data (object metadata, config keys, state names), whose own keys are
    /// not phonepack's to name.
    static let freeFormKeys: Set<String> = ["metadata", "values", "counts", "body"]

    /// Names the vocabulary (README, "JSON") has one other word for.
    static let retiredKeys = [
        "packageName": "package", "totalBytes": "fileBytes", "payloadBytes": "fileBytes",
        "version": "versionName and versionCode",
    ]

    /// Every key path of a value, arrays as `[]`, without the keys of free-form maps.
    static func keyPaths(_ value: Any, path: String = "") -> Set<String> {
        switch value {
        case let object as [String: Any]:
            return object.reduce(into: Set<String>()) { paths, pair in
                let child = path.isEmpty ? pair.key : path + "." + pair.key
                paths.insert(child)
                if !freeFormKeys.contains(pair.key) { paths.formUnion(keyPaths(pair.value, path: child)) }
            }
        case let array as [Any]:
            return array.reduce(into: Set<String>()) { $0.formUnion(keyPaths($1, path: path + "[]")) }
        default:
            return []
        }
    }

    /// camelCase keys (no snake_case, no `_0` of a synthesized enum), every time ISO 8601 UTC, and one word for
    /// one thing: `package` a package name (never an object, never `packageName`), ETags without HTTP's quotes.
    static func styleProblems(_ value: Any, path: String = "") -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.flatMap { key, child -> [String] in
                var problems: [String] = []
                if key.wholeMatch(of: /[a-z][A-Za-z0-9]*/) == nil {
                    problems.append("key \(path)/\(key) is not camelCase")
                }
                if let word = retiredKeys[key], !freeFormKeys.contains(where: { path.hasSuffix("/" + $0) }) {
                    problems.append("key \(path)/\(key): the vocabulary says \(word)")
                }
                if key == "package", !(child is String) { problems.append("\(path)/package is not a package name") }
                if key == "etag", let text = child as? String, text.contains("\"") {
                    problems.append("\(path)/etag \(text) keeps HTTP's quotes")
                }
                if !freeFormKeys.contains(key) { problems += styleProblems(child, path: path + "/" + key) }
                return problems
            }
        case let array as [Any]:
            return array.enumerated().flatMap { styleProblems($1, path: "\(path)/\($0)") }
        case let text as String:
            let looksLikeTime = text.contains(" GMT") || text.prefixMatch(of: /\d{4}-\d\d-\d\dT/) != nil
            let iso = text.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/) != nil
            return looksLikeTime && !iso ? ["\(path) = \(text) is not an ISO 8601 UTC time"] : []
        default:
            return []
        }
    }
}

@Suite("Every verb's --json is one object its library type decodes, camelCase, ISO 8601 times (issue 17)", .ownThread)
struct JSONContractTests {
    /// Verbs (leaf commands) and the ones that have no JSON form: `cat` writes an entry's bytes.
    static func verbs(_ command: any ParsableCommand.Type = PhonePack.self, _ path: [String] = []) -> Set<String> {
        Set(
            command.configuration.subcommands.flatMap { sub -> [String] in
                let name = sub.configuration.commandName ?? sub._commandName
                let below = verbs(sub, path + [name])
                return below.isEmpty ? [(path + [name]).joined(separator: " ")] : Array(below)
            })
    }

    @Test("every verb but cat: decoded by its type; shapes, keys and times in one style")
    func everyVerb() throws {
        let tmp = try TemporaryDirectory()
        let bucket = "cloudphone-saved-bucket-json"
        let emulator = try EmulatorProcess(
            data: tmp.file("data"), ["--bucket", bucket, "--bucket", "json-bucket", "--job-seconds", "0.2"])
        let json = JSONContract(environment: emulator.environment(stateDirectory: tmp.file("state")))
        let package = "com.example.phonepack.demo"
        let app = try CLI.makeApp(in: tmp.file("app"))

        // Archives.
        let built = try json.check("build", BuildResult.self, [app, "-o", tmp.file("a.tar"), "--mtime", "2024-03-15"])
        #expect(built.sha256.count == 64)
        #expect(try json.check("verify", VerifyReport.self, [tmp.file("a.tar")]).passed)
        #expect(try json.check("inspect", InspectReport.self, [tmp.file("a.tar")]).entries?.isEmpty == false)
        try json.check("extract", ExtractReport.self, [tmp.file("a.tar"), "-C", tmp.file("x")])
        #expect(try json.check("diff", ArchiveDiff.Report.self, [tmp.file("a.tar"), tmp.file("a.tar")]).identical)

        // Object stores.
        let object = "obs://json-bucket/apps/a.tar"
        let sent = try json.check("upload", TransferSummary.self, [tmp.file("a.tar"), object])
        #expect(sent.destination == object && sent.source == tmp.file("a.tar"))
        let info = try json.check("stat", ObjectInfo.self, [object])
        #expect(info.size == built.size && info.metadata["sha256"] == built.sha256)
        let listing = try json.check("ls", ObjectListing.self, ["obs://json-bucket/apps/"])
        #expect(listing.objects.map(\.key) == ["apps/a.tar"] && listing.objects[0].lastModified == info.lastModified)
        #expect(try json.check("presign", PresignReport.self, [object]).method == "GET")
        #expect(
            try json.check("cp", TransferSummary.self, [object, "obs://json-bucket/apps/c.tar"]).bytes == built.size)
        let got = try json.check("download", TransferSummary.self, ["obs://json-bucket/apps/c.tar", tmp.file("c.tar")])
        #expect(got.source == "obs://json-bucket/apps/c.tar" && got.sha256 == built.sha256)
        #expect(
            try json.check("rm", RemoveReport.self, ["obs://json-bucket/apps/c.tar"]).deleted == [
                "obs://json-bucket/apps/c.tar"
            ])
        #expect(try json.check("sync", SyncReport.self, [app, "obs://json-bucket/tree/"]).copied > 0)
        let aws = try Tool.run(
            "aws",
            [
                "--endpoint-url", emulator.endpoints["obs"]!, "s3api", "create-multipart-upload", "--bucket",
                "json-bucket",
                "--key", "u/k",
            ],
            environment: [
                "AWS_ACCESS_KEY_ID": EmulatorProcess.accessKey, "AWS_SECRET_ACCESS_KEY": EmulatorProcess.secretKey,
                "AWS_DEFAULT_REGION": "us-east-1",
            ])
        #expect(aws.status == 0, "\(aws.stderr)")
        #expect(try json.check("uploads ls", UploadListing.self, ["obs://json-bucket/"]).uploads.map(\.key) == ["u/k"])
        let aborted = try json.check("uploads abort", UploadListing.self, ["obs://json-bucket/", "--all"])
        #expect(aborted.aborted == true && aborted.uploads.map(\.key) == ["u/k"])

        // Fleets.
        let servers = try json.check("phones", FleetListing.self, ["huawei-servers"])
        #expect(servers.kind == .server && servers.members.first?.state == "running")
        #expect(try json.check("phones", FleetListing.self, ["huawei"]).members.first?.server == "server0001")
        #expect(try json.check("phones", FleetListing.self, ["alibaba"]).members.first?.state == "running")
        #expect(try json.check("images", ImageListing.self, []).images.isEmpty == false)
        #expect(try json.check("auth huawei", HuaweiAuthCheck.self, ["--region", "cn-north-4"]).tokenExpiresAt != nil)

        // Releases: two versions, then a rollback to the first.
        let first = try json.check(
            "release start", ReleaseReport.self, [app, "--to", object, "--servers", "server0001,server0002"])
        #expect(first.record.status == .completed && first.uploaded)
        let second = try json.check(
            "release start", ReleaseReport.self,
            [
                app, "--to", "obs://json-bucket/apps/b.tar", "--servers", "server0001,server0002", "--mtime",
                "2025-01-01",
            ])
        let status = try json.check("release status", ReleaseRecord.self, [])
        #expect(status.id == second.record.id)
        #expect(try json.check("release history", ReleaseList.self, []).releases.map(\.id).count == 2)
        let rollback = try json.check("release rollback", ReleaseRecord.self, [second.record.id])
        #expect(rollback.rollbackOf == second.record.id)
        #expect(try json.check("release resume", ReleaseRecord.self, [rollback.id]).status == .completed)

        let pushed = try json.check(
            "push huawei", FleetReport.self,
            ["--tar", object, "--package", package, "--servers", "server0003", "--no-wait"])
        #expect(pushed.counts == ["submitted": 1] && pushed.operation == "push")
        let requestID = try #require(pushed.targets.first?.requestID)
        #expect(try json.check("jobs wait", FleetReport.self, [requestID]).counts == ["succeeded": 1])
        let apk = tmp.file("app/base.apk")
        #expect(try CLI.run(["upload", apk, "oss://\(bucket)/a.apk"], environment: json.environment).status == 0)
        try json.check(
            "push alibaba", FleetReport.self, ["--file", "oss://\(bucket)/a.apk", "--instances", "acp-0001"])
        let exec = try json.check(
            "exec huawei", FleetReport.self, ["--phones", "phone0001", "--", "pm", "list", "packages"])
        #expect(exec.targets.first?.output?.contains(package) == true)
        try json.check(
            "exec koophone", FleetReport.self, ["--instances", "kp0001", "--", "getprop", "ro.product.model"])
        try json.check("exec alibaba", FleetReport.self, ["--instances", "acp-0001", "--", "ls", "/sdcard"])
        let include = ["--include", "/data/data/\(package)"]
        try json.check(
            "export huawei", FleetReport.self,
            ["--phones", "phone0001", "--to", "obs://json-bucket/exports/"] + include)
        try json.check(
            "restore huawei", FleetReport.self,
            ["--phones", "phone0001", "--from", "obs://json-bucket/exports/phone0001.tar"])
        let pulled = try json.check(
            "pull", PullReport.self,
            ["--phones", "phone0002", "--to", "obs://json-bucket/exports/", "-C", tmp.file("pulled")] + include)
        #expect(pulled.phones.first?.apps?.first?.packageName == package)
        #expect(try json.check("phones", Inventory.self, ["apps", "--package", package]).versions.count == 1)

        // --dry-run --json: the plan as one object, nothing sent.
        let mutating = try emulator.requests().count
        let plans: [(String, [String])] = [
            ("push huawei", ["--tar", object, "--package", package, "--servers", "server0001"]),
            ("push alibaba", ["--file", "oss://\(bucket)/a.apk", "--instances", "acp-0001"]),
            ("exec huawei", ["--phones", "phone0001", "--", "ls"]),
            ("exec koophone", ["--instances", "kp0001", "--", "ls"]),
            ("exec alibaba", ["--instances", "acp-0001", "--", "ls"]),
            ("export huawei", ["--phones", "phone0001", "--to", "obs://json-bucket/exports/"] + include),
            ("restore huawei", ["--phones", "phone0001", "--from", "obs://json-bucket/exports/phone0001.tar"]),
            ("release start", [app, "--to", object, "--servers", "server0001"]),
        ]
        for (verb, arguments) in plans {
            let plan = try json.check(verb, DryRunPlan.self, ["--dry-run"] + arguments)
            #expect(plan.dryRun && !plan.requests.isEmpty && !plan.summary.isEmpty, "\(verb)")
            // Requests as objects: method, URL and the body's fields, the call's ids among them.
            let calls = plan.requests.filter { $0.method == "POST" }
            #expect(!calls.isEmpty && calls.allSatisfy { $0.url != nil && $0.body != nil }, "\(verb): \(plan)")
            #expect(
                calls.contains { call in
                    call.body!.values.contains { $0 == .list(["server0001"]) || $0 == .list(["acp-0001"]) }
                        || call.body!.values.contains { $0 == .list(["phone0001"]) || $0 == .list(["kp0001"]) }
                }, "\(verb): \(plan)")
        }
        let changes = try emulator.requests().dropFirst(mutating).filter { ($0["method"] as? String) != "GET" }
        #expect(changes.isEmpty, "a dry run sent \(changes)")

        // Configuration last: it writes the file every command above read.
        #expect(try json.check("config set", ProfileReport.self, ["region", "cn-north-4"]).values["region"] != nil)
        #expect(try json.check("config list", ProfileReport.self, []).values == ["region": "cn-north-4"])
        try json.check("config get", ProfileReport.self, ["region"])
        #expect(try json.check("config profiles", ProfilesReport.self, []).used == "default")

        #expect(Self.verbs().subtracting(json.covered) == ["cat"])

        // The vocabulary per verb, as a snapshot: a renamed or new key is a deliberate change.
        let text =
            json.keyPaths.keys.sorted().map { verb in
                json.keyPaths[verb]!.sorted().map { "\(verb): \($0)" }.joined(separator: "\n")
            }.joined(separator: "\n") + "\n"
        try Snapshot.check(text, "json-keys.txt")
    }

    @Test("a failure under --json is an ErrorReport on stderr; records from before keep reading")
    func errorsAndOldRecords() throws {
        let tmp = try TemporaryDirectory()
        let failed = try CLI.run(
            ["stat", "obs://json-bucket/x", "--json"], environment: ["PHONEPACK_CONFIG": tmp.file("no")])
        #expect(failed.status == Exit.usage.rawValue && failed.stdout.isEmpty)
        let report = try JSONDecoder().decode(ErrorReport.self, from: Data(failed.stderr.utf8))
        #expect(report.error.code == "invalidInput" && report.error.exitCode == 2, "\(failed.stderr)")

        // A delivery as records written before the vocabulary hold it: packageName in apk, version as one string.
        let old =
            #"{"cloud":"huawei","package":"com.a","version":"1.4.2 (42)","object":"obs://b/a.tar","sha256":"00","size":1,"preInstall":false,"batchSize":100,"phonePath":"/sdcard/Download/","uploadEndpoint":"","autoInstall":true,"apk":{"packageName":"com.a","versionCode":42}}"#
        let delivery = try JSONDecoder().decode(ReleaseDelivery.self, from: Data(old.utf8))
        #expect(delivery.apk?.packageName == "com.a" && delivery.apk?.versionCode == 42 && delivery.version == nil)

        // A policy as records written before this change hold it (Swift's synthesized enum shape).
        let legacy =
            #"{"maxFailures":{"percent":{"_0":10}},"pause":false,"steps":[{"count":{"_0":1}},{"percent":{"_0":100}}]}"#
        let policy = try JSONDecoder().decode(RolloutPolicy.self, from: Data(legacy.utf8))
        #expect(policy == RolloutPolicy(steps: [.count(1), .percent(100)], maxFailures: .percent(10)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(
            String(decoding: try encoder.encode(policy), as: UTF8.self)
                == #"{"maxFailures":"10%","pause":false,"steps":["1","100%"]}"#)
    }
}
