import PhonePackCore

extension CloudSession {
    /// Pre-flight of an object a push makes the phones read: it must exist. Returns its size and SHA-256 (from
    /// metadata or a `KEY.sha256` sidecar) when known.
    @discardableResult
    public func requireObject(_ url: ObjectURL) throws(PhonePackError) -> (size: Int64, sha256: String?) {
        guard let stored = try ReleaseStages.storedFile(url, store: try objectStore(for: url)) else {
            throw PhonePackError(
                .notFound, operation: "pre-flight", path: url.description,
                message: "no such object; upload it first (nothing was sent)")
        }
        return stored
    }
}

/// `release resume`, `release rollback`, `release status` and `release history`: what the record allows once the
/// `release` that made it has returned (or was killed).
public struct ReleaseControl {
    public var session: CloudSession
    public var concurrency = 4
    public var waitTimeout: Double? = 1800
    public var notice: (String) -> Void = { _ in }
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(session: CloudSession) { self.session = session }

    /// Where the records are: `releases/` in the state folder, beside the transfer journals.
    public var history: ReleaseHistory { ReleaseHistory(stateDirectory: session.stateDirectory) }

    /// Continues release `id`: sends only to targets that are pending or failed, waits for jobs that were sent
    /// and not seen to end (a client killed mid-wave), and never sends again to a target that succeeded. The
    /// object must still hold the file the release recorded.
    ///
    /// `maxFailures` replaces the record's failure budget for the waves to come; `skip` leaves those targets out
    /// (`skipped`: never sent, not failures). The record's lock is taken first: a second `resume` of the same
    /// release says so before announcing anything.
    public func resume(_ id: String, maxFailures: RolloutPolicy.Budget? = nil, skip: [String] = [])
        throws(PhonePackError) -> ReleaseRecord
    {
        let lock = try history.lock(id)
        var record = try history.load(id)
        try adjust(&record, maxFailures: maxFailures, skip: skip)
        if record.status == .completed, !record.targets.contains(where: { $0.isFailure || $0.isOpen }) {
            notice("release \(record.id) already completed on every target; nothing to do")
            return record
        }
        try requireObject(record.delivery, operation: "resume")
        let (send, wait) = resumeCounts(record)
        notice("resuming release \(record.id): \(send) to send, \(wait) to wait for")
        try history.save(&record)
        try rollout(record.delivery.cloud).run(&record, holding: lock)
        return record
    }

    /// What `resume` would do (`--dry-run`): no request that changes anything, the record not rewritten.
    public func resumePlan(_ id: String, maxFailures: RolloutPolicy.Budget? = nil, skip: [String] = [])
        throws(PhonePackError) -> [String]
    {
        var record = try history.load(id)
        try adjust(&record, maxFailures: maxFailures, skip: skip)
        try requireObject(record.delivery, operation: "resume")
        var lines: [String] = []
        for wave in 1...max(1, record.waveCount) {
            let members = record.targets.filter { $0.wave == wave }
            let send = members.filter { !$0.isOpen && ![.succeeded, .skipped].contains($0.state) }
            let wait = members.filter(\.isOpen)
            guard !send.isEmpty || !wait.isEmpty else { continue }
            lines.append(
                "wave \(wave): send to \(send.count) (\(send.prefix(5).map(\.target).joined(separator: ", "))\(send.count > 5 ? ", …" : "")), wait for \(wait.count); halt above \(record.policy.maxFailures.allowed(inWaveOf: members.count)) failures"
            )
        }
        if lines.isEmpty { lines.append("release \(record.id): nothing to send or wait for") }
        return lines
    }

    private func resumeCounts(_ record: ReleaseRecord) -> (send: Int, wait: Int) {
        (
            record.targets.filter { !$0.isOpen && ![.succeeded, .skipped].contains($0.state) }.count,
            record.targets.filter(\.isOpen).count
        )
    }

    /// A new budget and targets left out, checked against the record.
    private func adjust(_ record: inout ReleaseRecord, maxFailures: RolloutPolicy.Budget?, skip: [String])
        throws(PhonePackError)
    {
        if let maxFailures { record.policy.maxFailures = maxFailures }
        for target in skip {
            guard let index = record.targets.firstIndex(where: { NameKey($0.target) == NameKey(target) }) else {
                throw PhonePackError(
                    .invalidInput, operation: "resume", path: target.terminalSafe,
                    message: "is not a target of release \(record.id); see phonepack release status \(record.id)")
            }
            guard record.targets[index].state != .succeeded else { continue }
            record.targets[index].state = .skipped
            record.targets[index].errorCode = nil
            record.targets[index].errorMessage = "skipped by release resume --skip"
        }
    }

    /// Rolls release `id` back: the newest earlier release of the same package to the same cloud that completed
    /// with no failure is released again — its object, checked against its SHA-256 — to `id`'s targets, through
    /// `id`'s waves and budget, as a new release that names the one it rolled back.
    /// The phones refuse an older versionCode (INSTALL_FAILED_VERSION_DOWNGRADE) and another signer: a rollback
    /// to such a release is refused before anything is sent, unless `allowDowngrade` says the phones will
    /// uninstall the app first.
    /// With `dryRun`, returns the rollback's plan in `plan` and sends nothing.
    public func rollback(
        _ id: String, preflight: Bool = true, allowDowngrade: Bool = false, dryRun: Bool = false,
        plan: ((String) -> Void)? = nil
    ) throws(PhonePackError) -> ReleaseRecord? {
        let current = try history.load(id)
        let earlier = try history.all().records.filter {
            $0.id < current.id && $0.delivery.cloud == current.delivery.cloud
                && $0.delivery.package == current.delivery.package && $0.status == .completed
                && !$0.targets.contains(where: { $0.isFailure || $0.isOpen })
                && $0.delivery.sha256 != current.delivery.sha256
        }
        guard let previous = earlier.first else {
            throw PhonePackError(
                .notFound, operation: "rollback", path: current.id,
                message:
                    "no earlier release of \(current.delivery.package.terminalSafe) with a different file completed on every target; nothing to roll back to"
            )
        }
        if let old = previous.delivery.apk, let installed = current.delivery.apk {
            let problems = InstallRules.upgradeProblems(
                old, named: previous.delivery.object, over: installed, allowDowngrade: allowDowngrade)
            for warning in problems where warning.isWarning { notice("warning: \(warning.line)") }
            if let refused = problems.first(where: { !$0.isWarning }) {
                throw PhonePackError(
                    .checkFailed, operation: "rollback", path: current.id,
                    message:
                        "the phones would refuse release \(previous.id)'s APK over \(current.id)'s: \(refused.line); nothing was sent"
                )
            }
        }
        try requireObject(previous.delivery, operation: "rollback")
        var delivery = previous.delivery
        (delivery.preInstall, delivery.batchSize) = (current.delivery.preInstall, current.delivery.batchSize)
        (delivery.phonePath, delivery.uploadEndpoint) = (current.delivery.phonePath, current.delivery.uploadEndpoint)
        let rollout = try rollout(delivery.cloud)
        let targets = current.targets.map(\.target)
        try rollout.fleet.checkTargets(targets, listing: preflight)
        try rollout.fleet.check(delivery, targets: targets)
        if dryRun {
            plan?(
                "roll back release \(current.id) to \(previous.id): \(delivery.package) \(delivery.version ?? ""), \(delivery.object) (sha256 \(delivery.sha256))"
            )
            let sizes = try current.policy.waveSizes(total: targets.count)
            for (index, size) in sizes.enumerated() {
                plan?("wave \(index + 1) of \(sizes.count): \(size) \(plural(size, rollout.fleet.targetKind))")
            }
            return nil
        }
        var record = try ReleaseRecord(
            id: ReleaseRecord.newID(), delivery: delivery, policy: current.policy, targets: targets)
        record.rollbackOf = current.id
        notice(
            "rollback \(record.id): \(delivery.package) \(delivery.version ?? "") of release \(previous.id) back onto the \(targets.count) targets of \(current.id)"
        )
        try rollout.run(&record)
        return record
    }

    func rollout(_ cloud: ReleaseDelivery.Cloud) throws(PhonePackError) -> Rollout {
        let fleet: Fleet =
            switch cloud {
            case .huawei: .huawei(try session.cphClient())
            case .alibaba: .alibaba(try session.alibabaClient())
            }
        return Rollout(
            history: history, fleet: fleet, concurrency: concurrency, waitTimeout: waitTimeout, notice: notice,
            progress: progress)
    }

    /// The object must still be there with the recorded size and SHA-256: a release never sends a file that
    /// changed under the same name.
    func requireObject(_ delivery: ReleaseDelivery, operation: String) throws(PhonePackError) {
        let url = try ObjectURL(parsing: delivery.object)
        let stored = try ReleaseStages.storedFile(url, store: try session.objectStore(for: url))
        guard let stored, stored.size == delivery.size, stored.sha256 == delivery.sha256 else {
            throw PhonePackError(
                .checkFailed, operation: operation, path: delivery.object,
                message:
                    "the object no longer holds the released file (sha256 \(delivery.sha256)): it was replaced or deleted; release the app again (versioned keys such as app-1.2.tar keep each release's file)"
            )
        }
    }
}
