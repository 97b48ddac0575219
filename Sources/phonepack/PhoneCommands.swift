import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

/// Server or phone ids from `a,b,c` or `@file` (one or more per line, commas or spaces between, `#` comments).
func parseIDList(_ text: String, flag: String) throws -> [String] {
    var source = text
    if text.hasPrefix("@") {
        let path = String(text.dropFirst())
        guard let bytes = try? OpenFile.forReading(path).readToEnd() else {
            throw ValidationError("\(flag) \(text): cannot read \(path)")
        }
        source = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            .map { $0.prefix { $0 != "#" } }.joined(separator: ",")
    }
    var seen = Set<String>()
    let ids = source.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" })
        .map(String.init).filter { seen.insert($0).inserted }
    guard !ids.isEmpty else { throw ValidationError("\(flag) lists no ids") }
    return ids
}

/// How fanned-out commands wait and report.
struct WaitFlags: ParsableArguments {
    @Flag(help: "Return once the jobs are created, without waiting for them.")
    var noWait = false

    @Option(help: "Seconds to wait for the jobs before giving up (they go on running).")
    var timeout: Double = 1800

    @Option(help: "Calls sent at once when the ids need several.")
    var concurrency = 4
}

/// Prints per-target outcomes as a table (or JSON) and exits 1 when any target failed.
func reportOutcomes(_ outcomes: [TargetOutcome], json: Bool, what: String) throws {
    if json {
        print(JSONOutput.string(outcomes))
    } else {
        let width = max(6, outcomes.map(\.target.count).max() ?? 0)
        print("\("TARGET".padded(to: width))  STATE      JOB / ERROR")
        for outcome in outcomes {
            var detail = outcome.jobID ?? ""
            if let code = outcome.errorCode { detail += (detail.isEmpty ? "" : "  ") + code }
            if let message = outcome.errorMessage { detail += (detail.isEmpty ? "" : "  ") + message }
            print("\(outcome.target.padded(to: width))  \(outcome.state.rawValue.padded(to: 9))  \(detail)")
        }
        var counts: [TargetOutcome.State: Int] = [:]
        for outcome in outcomes { counts[outcome.state, default: 0] += 1 }
        let summary = TargetOutcome.State.allCasesInOrder.compactMap { state in
            counts[state].map { "\($0) \(state.rawValue)" }
        }
        print("\(what): \(outcomes.count) targets: \(summary.joined(separator: ", "))")
    }
    let bad = outcomes.filter { $0.state == .failed || $0.state == .rejected }
    if !bad.isEmpty {
        let list = bad.prefix(5).map { "\($0.target) (\($0.errorCode ?? "error"))" }.joined(separator: ", ")
        printError("\(bad.count) of \(outcomes.count) failed: \(list)\(bad.count > 5 ? ", …" : "")")
        throw ExitCode(ExitStatus.checkFailed)
    }
    if outcomes.contains(where: { $0.state == .running }) {
        printError("some jobs are still running; wait again with: phonepack jobs wait REQUEST_ID …")
        throw ExitCode(ExitStatus.checkFailed)
    }
}

extension TargetOutcome.State {
    static let allCasesInOrder: [Self] = [.succeeded, .submitted, .running, .failed, .rejected]
}

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Push an app tar to cloud-phone servers.",
        subcommands: [PushHuawei.self])
}

struct PushHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract: "CPH PushShareApps: the tar in OBS into the shared storage of every server, then wait.",
        discussion: """
            Every field is checked against CPH's documented rules before anything is sent. Server ids are sent
            --batch-size at a time (CPH takes 1 to 100 per call), --concurrency calls at once; each server's
            job is then polled (ListJobs, 20 requests per call) until it ends or --timeout passes. One line per
            server; exit 1 when any failed, naming them and their error codes. --dry-run prints the requests.
            """)

    @Option(help: "The tar in OBS: obs://bucket/path/app.tar.")
    var tar: String

    @Option(help: "The app's package name (as in its manifest).")
    var package: String

    @Option(help: "Server ids: id,id,… or @file.")
    var servers: String

    @Flag(help: "Pre-install: the app survives phone restarts and resets.")
    var preInstall = false

    @Option(help: "Server ids per call (1 to 100).")
    var batchSize = CPHRequestRules.maxServersPerShareCall

    @Flag(help: "Print the requests that would be sent, and send nothing.")
    var dryRun = false

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: tar)
        guard target.scheme == .obs else { throw ValidationError("--tar must be an obs:// URL (CPH reads from OBS)") }
        guard (1...CPHRequestRules.maxServersPerShareCall).contains(batchSize) else {
            throw ValidationError("--batch-size takes 1 to \(CPHRequestRules.maxServersPerShareCall)")
        }
        let ids = try parseIDList(servers, flag: "--servers")
        let batches = stride(from: 0, to: ids.count, by: batchSize).map {
            Array(ids[$0..<min($0 + batchSize, ids.count)])
        }
        // Check every batch before sending any, so a bad field never leaves half the fleet pushed.
        for batch in batches {
            try CPHRequestRules.shareApps(
                packageName: package, bucket: target.bucket, objectPath: target.key, serverIDs: batch)
        }
        if dryRun {
            for batch in batches {
                print(
                    "POST /v1/{project_id}/cloud-phone/phones/share-apps {\"package_name\":\"\(package)\",\"pre_install_app\":\(preInstall ? 1 : 0),\"bucket_name\":\"\(target.bucket)\",\"object_path\":\"\(target.key)\",\"server_ids\":[\(batch.count) ids: \(batch.first!)…]}"
                )
            }
            print("dry run: \(batches.count) requests for \(ids.count) servers; nothing sent")
            return
        }
        let client = try cloud.cphClient(endpointOverride: cloud.endpoint)
        let outcomes = try client.pushShareApps(
            package: package, tar: target, serverIDs: ids, preInstall: preInstall, batchSize: batchSize,
            concurrency: wait.concurrency, waitTimeout: wait.noWait ? nil : wait.timeout,
            progress: ProgressLine.make(quiet: outputOptions.json))
        try reportOutcomes(outcomes, json: outputOptions.json, what: "push")
    }
}

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Follow cloud-phone jobs.", subcommands: [JobsWait.self])
}

struct JobsWait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for every job of CPH requests (request ids from push) to end; one line per server or phone.")

    @Argument(help: "CPH request ids.")
    var requestIDs: [String]

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let client = try cloud.cphClient(endpointOverride: cloud.endpoint)
        // One ListJobs per request id: with several at once, the answer does not say which job is whose.
        var outcomes: [TargetOutcome] = []
        for id in requestIDs {
            outcomes += try client.listJobs(requestIDs: [id]).map {
                TargetOutcome(
                    target: $0.server_id ?? $0.phone_id ?? $0.job_id, state: .submitted, requestID: id, jobID: $0.job_id
                )
            }
        }
        guard !outcomes.isEmpty else {
            throw ValidationError("no jobs found for \(requestIDs.joined(separator: ", "))")
        }
        let final = try CPHFanOut.wait(
            outcomes, client: client, timeout: wait.timeout, progress: ProgressLine.make(quiet: outputOptions.json))
        try reportOutcomes(final, json: outputOptions.json, what: "jobs")
    }
}

/// "jobs: 40/100 done" on stderr, rewritten in place when stderr is a terminal.
enum ProgressLine {
    static func make(quiet: Bool) -> (Int, Int) -> Void {
        guard !quiet else { return { _, _ in } }
        let terminal = isatty(2) != 0
        var last = -1
        return { done, total in
            guard done != last else { return }
            last = done
            writeToStandardError(terminal ? "\rjobs: \(done)/\(total) done   " : "jobs: \(done)/\(total) done\n")
            if terminal && done == total { writeToStandardError("\n") }
        }
    }
}

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "Build → verify → upload → push → wait: an app onto every listed CPH server in one command.",
        discussion: """
            The tar is built in a temporary folder (deleted at the end), verified with the huawei-share-app
            rules, uploaded to --to with its SHA-256 as metadata (skipped when the object already has the same
            SHA-256, so a rerun after a failed push does not upload again), pushed with PushShareApps and
            waited for. The release stops at the first stage that fails and says which; an interrupted upload
            resumes on the next run. Endpoints come from PHONEPACK_OBS_ENDPOINT / PHONEPACK_CPH_ENDPOINT, the
            profile, or --region.
            """)

    @OptionGroup var app: BuildInputFlags

    @Option(help: "Where the tar goes in OBS: obs://bucket/path/app.tar.")
    var to: String

    @Option(help: "Server ids: id,id,… or @file.")
    var servers: String

    @Flag(help: "Pre-install: the app survives phone restarts and resets.")
    var preInstall = false

    @Option(help: "Server ids per push call (1 to 100).")
    var batchSize = CPHRequestRules.maxServersPerShareCall

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let destination = try ObjectURL(parsing: to)
        guard destination.scheme == .obs else { throw ValidationError("--to must be obs://… (CPH reads from OBS)") }
        var plan = ReleasePlan(
            build: try app.options(output: lastPathComponent(destination.key)), destination: destination,
            serverIDs: try parseIDList(servers, flag: "--servers"))
        plan.preInstall = preInstall
        plan.batchSize = batchSize
        plan.concurrency = wait.concurrency
        plan.waitTimeout = wait.noWait ? nil : wait.timeout
        let quiet = outputOptions.json
        let report = try HuaweiRelease.run(
            plan, store: try cloud.objectStore(for: destination), cph: try cloud.cphClient(),
            transfer: TransferSettings(stateDirectory: transferStateDirectory(environment: cloud.environment)),
            notice: { if !quiet { print("release: \($0)") } }, progress: ProgressLine.make(quiet: quiet))
        if quiet {
            print(JSONOutput.string(report))
            if report.outcomes.contains(where: { $0.state == .failed || $0.state == .rejected || $0.state == .running })
            {
                throw ExitCode(ExitStatus.checkFailed)
            }
            return
        }
        try reportOutcomes(report.outcomes, json: false, what: "release")
    }
}
