import PhonePackCore

/// The fleet a release or push goes to, with what they need of it: the ids the cloud knows (pre-flight), sending
/// a record's delivery to some targets, and waiting for their jobs.
public enum Fleet {
    case huawei(CPHClient)
    case alibaba(AlibabaPhoneClient)

    var cloud: ReleaseDelivery.Cloud {
        switch self {
        case .huawei: .huawei
        case .alibaba: .alibaba
        }
    }

    /// What the ids are called in this cloud, for messages.
    var targetKind: String {
        switch self {
        case .huawei: "server"
        case .alibaba: "instance"
        }
    }

    /// Pre-flight of the ids: each listed once and known to the cloud (its own listing, all pages, unless
    /// `listing` is false). Throws one error naming every bad id; nothing has been sent.
    public func checkTargets(_ targets: [String], listing: Bool = true) throws(PhonePackError) {
        try Self.requireKnown(
            targets, kind: targetKind, listing: listing ? { () throws(PhonePackError) in try knownTargets() } : nil)
    }

    /// Each id listed once and, with a `listing`, in it (compared as bytes); one error names every bad id.
    public static func requireKnown(
        _ ids: [String], kind: String, listing: (() throws(PhonePackError) -> [String])?
    ) throws(PhonePackError) {
        var seen = Set<NameKey>()
        let repeated = ids.filter { !seen.insert(NameKey($0)).inserted }
        guard repeated.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "pre-flight", path: "targets",
                message: "listed more than once: \(list(repeated)); nothing was sent")
        }
        guard let listing else { return }
        let known = Set(try listing().map(NameKey.init))
        let unknown = ids.filter { !known.contains(NameKey($0)) }
        guard unknown.isEmpty else {
            throw PhonePackError(
                .invalidInput, operation: "pre-flight", path: "targets",
                message:
                    "\(unknown.count) \(kind) id\(unknown.count == 1 ? " is" : "s are") not in the cloud's listing: \(list(unknown)); nothing was sent (--no-preflight skips the listing)"
            )
        }
    }

    static func list(_ ids: [String]) -> String {
        ids.prefix(20).map(\.terminalSafe).joined(separator: ", ") + (ids.count > 20 ? ", … (\(ids.count) in all)" : "")
    }

    /// Every id the cloud lists (ListCloudServers / DescribeAndroidInstances, all pages).
    func knownTargets() throws(PhonePackError) -> [String] {
        switch self {
        case .huawei(let cph): try cph.listServers().map(\.serverID)
        case .alibaba(let phones): try phones.describeInstances().map(\.instanceID)
        }
    }

    /// Checks every field of every call `delivery` makes for `targets`; throws the "nothing was sent" error.
    func check(_ delivery: ReleaseDelivery, targets: [String]) throws(PhonePackError) {
        switch self {
        case .huawei:
            _ = try Self.share(delivery).batches(serverIDs: targets, batchSize: delivery.batchSize)
        case .alibaba:
            for start in stride(from: 0, to: targets.count, by: AlibabaRules.maxInstancesPerCall) {
                try AlibabaRules.check(
                    Self.sendFile(
                        delivery, Array(targets[start..<min(start + AlibabaRules.maxInstancesPerCall, targets.count)])
                    ))
            }
        }
    }

    /// Sends `delivery` to `targets` (no waiting): one outcome per target.
    func send(_ delivery: ReleaseDelivery, to targets: [String], concurrency: Int) throws(PhonePackError)
        -> [TargetOutcome]
    {
        switch self {
        case .huawei(let cph):
            return try cph.share(
                Self.share(delivery), serverIDs: targets, batchSize: delivery.batchSize, concurrency: concurrency,
                waitTimeout: nil)
        case .alibaba(let phones):
            return try phones.fanOut(targets, concurrency: concurrency, waitTimeout: nil) {
                (client, chunk) throws(PhonePackError) in try client.fileCall(Self.sendFile(delivery, chunk))
            }
        }
    }

    func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void) throws(PhonePackError)
        -> [TargetOutcome]
    {
        switch self {
        case .huawei(let cph): try cph.wait(outcomes, timeout: timeout, progress: progress)
        case .alibaba(let phones): try phones.wait(outcomes, timeout: timeout, progress: progress)
        }
    }

    static func share(_ delivery: ReleaseDelivery) throws(PhonePackError) -> CPHShare {
        .pushApps(
            package: delivery.package, tar: try ObjectURL(parsing: delivery.object), preInstall: delivery.preInstall)
    }

    static func sendFile(_ delivery: ReleaseDelivery, _ instances: [String]) -> AlibabaFileCall {
        var call = AlibabaFileCall(
            action: "SendFile", instanceIDs: instances, sourceFilePath: delivery.phonePath, uploadType: "OSS",
            uploadEndpoint: delivery.uploadEndpoint, uploadURL: delivery.object)
        call.autoInstall = delivery.autoInstall
        return call
    }
}
