import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct PhonesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phones",
        abstract: "List servers, phones or instances (every page), or which app versions are on them (apps).",
        discussion: """
            huawei-servers, huawei and alibaba list the cloud's servers, phones or instances: one row each with \
            its state in words (CPH's status codes decoded; --json keeps the code as statusCode too).

            apps runs `pm list packages --show-versioncode [P]` on every phone (Huawei: every phone CPH lists, \
            or --phones) or instance (Alibaba: every instance, or --instances, which implies --cloud alibaba) \
            through the cloud's command API, and prints one line per target and package and the count of targets \
            per version, with the signer (certificate SHA-256) of the release that shipped that versionCode, from \
            the release records (pm prints no signers; a phone that refused an update keeps the version it had, \
            so a stale versionCode here is a refused install). CPH returns at most 1,024 bytes of output per \
            phone: give --package on phones with many apps. Exit 1 when a target did not answer (listed under failures), 3 when the API could not be reached.

            Examples:
              phonepack phones huawei-servers
              phonepack phones huawei --server server0001
              phonepack phones alibaba --json
              phonepack phones apps --package com.example.app  # versions in the fleet
            """)

    @Argument(help: "huawei-servers, huawei, alibaba or apps.")
    var what: String

    @Option(help: "Only the phones of this CPH server.")
    var server: String?

    @Option(help: "apps: only this package.")
    var package: String?

    @Option(help: "apps: these CPH phone ids (default: every phone): id,id,…, @file or @-.")
    var phones: IDList?

    @Option(help: "apps: these Alibaba instance ids (default: every instance): id,id,…, @file or @-.")
    var instances: IDList?

    @Option(name: .customLong("cloud"), help: "apps: huawei or alibaba (default: huawei, alibaba with --instances).")
    var cloudKind: CloudKind?

    @OptionGroup var wait: WaitFlags

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        switch what {
        case "huawei-servers":
            try show(FleetListing(servers: cloud.session(endpointFor: [.cph]).cphClient().listServers()))
        case "huawei":
            try show(FleetListing(phones: cloud.session(endpointFor: [.cph]).cphClient().listPhones(serverID: server)))
        case "apps":
            try apps()
        case "alibaba":
            try show(FleetListing(instances: cloud.session(endpointFor: [.edsAic]).alibabaClient().describeInstances()))
        default:
            throw ValidationError("give huawei-servers, huawei, alibaba or apps")
        }
    }

    /// A table (ID, SERVER for phones, STATE, NAME) or the JSON listing.
    func show(_ listing: FleetListing) {
        if outputOptions.json { return print(JSONOutput.string(listing)) }
        let idWidth = max(9, listing.members.map(\.id.count).max() ?? 0)
        let stateWidth = max(5, listing.members.map { ($0.state ?? "").count }.max() ?? 0)
        let phones = listing.kind == .phone
        let serverWidth = max(6, listing.members.map { ($0.server ?? "").count }.max() ?? 0)
        let header =
            "\(listing.kind.rawValue.uppercased().padded(to: idWidth))  \(phones ? "SERVER".padded(to: serverWidth) + "  " : "")"
        say(header + "\("STATE".padded(to: stateWidth))  NAME")
        for member in listing.members {
            // `say` escapes what the cloud sent (ids, names, states) on the way out.
            let server = phones ? (member.server ?? "").padded(to: serverWidth) + "  " : ""
            say(
                "\(member.id.padded(to: idWidth))  \(server)\((member.state ?? "").padded(to: stateWidth))  \(member.name ?? "")"
            )
        }
    }

    func apps() throws {
        guard !wait.noWait else { throw ValidationError("phones apps reads the commands' output: drop --no-wait") }
        let kind = cloudKind ?? (instances != nil ? .alibaba : .huawei)
        let progress = ProgressLine.make(quiet: outputOptions.silent)
        var inventory: Inventory
        switch kind {
        case .huawei:
            guard instances == nil else {
                throw ValidationError("--instances names Alibaba instances: drop --cloud huawei")
            }
            inventory = try cloud.session(endpointFor: [.cph]).cphClient().inventory(
                phoneIDs: phones?.ids, package: package, concurrency: wait.concurrency, timeout: wait.timeout,
                progress: progress)
        case .alibaba:
            guard phones == nil else { throw ValidationError("--phones names CPH phones: use --instances for Alibaba") }
            inventory = try cloud.session(endpointFor: [.edsAic]).alibabaClient().inventory(
                instanceIDs: instances?.ids, package: package, concurrency: wait.concurrency, timeout: wait.timeout,
                progress: progress)
        case .koophone:
            throw ValidationError("phones apps covers huawei and alibaba (KooPhone has no instance listing here)")
        }
        inventory.attachReleasedSigners(ReleaseHistory(stateDirectory: cloud.session().stateDirectory))
        if outputOptions.json {
            print(JSONOutput.string(inventory))
        } else {
            let width = max(6, inventory.apps.map(\.target.count).max() ?? 0)
            say("\("TARGET".padded(to: width))  \("PACKAGE".padded(to: 40))  VERSION CODE")
            for app in inventory.apps {
                say(
                    "\(app.target.padded(to: width))  \(app.package.padded(to: 40))  \(app.versionCode.map(String.init) ?? "-")"
                )
            }
            say("")
            say(
                "\("PACKAGE".padded(to: 40))  \("VERSION CODE".padded(to: 12))  \("TARGETS".padded(to: 7))  SIGNER (AS RELEASED)"
            )
            for version in inventory.versions {
                say(
                    "\(version.package.padded(to: 40))  \((version.versionCode.map(String.init) ?? "-").padded(to: 12))  \(String(version.targets).padded(to: 7))  \(version.releasedSigner ?? "-")"
                )
            }
            if !inventory.failures.isEmpty {
                say("failures:")
                for line in ReleaseText.rows(inventory.failures) { print("  " + line) }
            }
            say(
                "apps: \(inventory.targets) \(inventory.targets == 1 ? "target" : "targets"), \(inventory.failures.count) without an answer"
            )
        }
        try exitForOutcomes(inventory.failures)
    }
}
