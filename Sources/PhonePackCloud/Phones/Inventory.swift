import PhonePackCore

/// One package on one phone or instance, as the phone's own package manager reports it.
public struct InstalledApp: Codable, Sendable, Equatable {
    public var target: String
    public var package: String
    public var versionCode: Int64?
    /// The signer (certificate SHA-256) of the release that shipped this versionCode, from the release records:
    /// `pm` does not print signers, and a phone whose install was refused keeps the version it had.
    public var releasedSigner: String? = nil
}

/// How many targets have one version of one package.
public struct VersionCount: Codable, Sendable, Equatable {
    public var package: String
    public var versionCode: Int64?
    public var targets: Int
    public var releasedSigner: String? = nil
}

/// Which version of which package is on which target, across a fleet: `pm list packages --show-versioncode`
/// run on every target through the cloud's own command API (CPH `shell`, eds-aic RunCommand), waited for, and
/// read back.
public struct Inventory: Codable, Sendable {
    public var targets: Int
    public var apps: [InstalledApp]
    /// Per package and version, most targets first.
    public var versions: [VersionCount]
    /// Targets whose command failed, was refused or did not end in time: not counted above.
    public var failures: [TargetOutcome]

    /// The command: within CPH's shell charset (letters, digits, `_ . / : -`, spaces) and well under 2,048 bytes.
    /// A package narrows the answer, which CPH cuts at 1,024 bytes per phone.
    public static func command(package: String?) throws(PhonePackError) -> String {
        guard let package else { return "pm list packages --show-versioncode" }
        try FieldRules.packageName(package).require("--package", value: package)
        return "pm list packages --show-versioncode " + package
    }

    /// Reads the commands' outcomes. Only exact package matches count when `package` is given (`pm` matches
    /// substrings).
    public init(outcomes: [TargetOutcome], package: String?) {
        targets = outcomes.count
        failures = outcomes.filter { $0.state != .succeeded }
        apps = outcomes.filter { $0.state == .succeeded }.flatMap { outcome in
            Self.parse(outcome.output ?? "").filter { package == nil || $0.package == package }.map {
                InstalledApp(target: outcome.target, package: $0.package, versionCode: $0.versionCode)
            }
        }
        var counts: [String: (package: String, version: Int64?, count: Int)] = [:]
        for app in apps {
            let key = app.package + "\u{0}" + (app.versionCode.map(String.init) ?? "")
            counts[key, default: (app.package, app.versionCode, 0)].count += 1
        }
        versions = counts.values.map { VersionCount(package: $0.package, versionCode: $0.version, targets: $0.count) }
            .sorted { ($0.package, -$0.targets) < ($1.package, -$1.targets) }
    }

    /// Fills in each app's signer from the newest completed release of that package and versionCode.
    public mutating func attachReleasedSigners(_ history: ReleaseHistory) {
        let records = (try? history.all().records) ?? []
        func signer(_ package: String, _ versionCode: Int64?) -> String? {
            guard let versionCode else { return nil }
            return records.first {
                $0.delivery.package == package && $0.delivery.apk?.versionCode == versionCode
                    && $0.status == .completed
            }?.delivery.apk?.signerSHA256
        }
        for index in apps.indices { apps[index].releasedSigner = signer(apps[index].package, apps[index].versionCode) }
        for index in versions.indices {
            versions[index].releasedSigner = signer(versions[index].package, versions[index].versionCode)
        }
    }

    /// `package:NAME versionCode:CODE` lines (the code is optional); anything else is ignored.
    static func parse(_ output: String) -> [(package: String, versionCode: Int64?)] {
        output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).compactMap { line in
            let words = line.split(separator: " ")
            guard let first = words.first, first.hasPrefix("package:"), first.count > 8 else { return nil }
            let code = words.dropFirst().first { $0.hasPrefix("versionCode:") }.flatMap { Int64($0.dropFirst(12)) }
            return (String(first.dropFirst(8)), code)
        }
    }
}

extension CPHClient {
    /// The inventory of `phoneIDs`, or of every phone CPH lists (all pages) when `nil`.
    public func inventory(
        phoneIDs: [String]?, package: String?, concurrency: Int = 4, timeout: Double = 600,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> Inventory {
        let command = try Inventory.command(package: package)
        try CPHCommandRules.require(command: "shell", content: command)
        let ids: [String]
        if let phoneIDs { ids = phoneIDs } else { ids = try listPhones().map(\.phoneID) }
        let outcomes = try fanOut(ids, concurrency: concurrency, waitTimeout: timeout, progress: progress) {
            (client, chunk) throws(PhonePackError) in try client.command("shell", content: command, phoneIDs: chunk)
        }
        return Inventory(outcomes: outcomes, package: package)
    }
}

extension AlibabaPhoneClient {
    /// The inventory of `instanceIDs`, or of every instance eds-aic lists (all pages) when `nil`.
    public func inventory(
        instanceIDs: [String]?, package: String?, concurrency: Int = 4, timeout: Double = 600,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws(PhonePackError) -> Inventory {
        let command = try Inventory.command(package: package)
        let ids: [String]
        if let instanceIDs { ids = instanceIDs } else { ids = try describeInstances().map(\.instanceID) }
        let outcomes = try run(
            command, instanceIDs: ids, sync: false, concurrency: concurrency, waitTimeout: timeout, progress: progress)
        return Inventory(outcomes: outcomes, package: package)
    }
}
