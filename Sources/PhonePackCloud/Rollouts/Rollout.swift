import PhonePackCore

/// Runs a release record's waves: each wave sends to its targets that have not succeeded, waits for their jobs,
/// and is checked against the failure budget before the next starts. The record is saved after every send and
/// every wait, so a client killed at any point resumes from the last saved step: targets that succeeded are never
/// sent again, targets with a job are waited for rather than sent again.
public struct Rollout {
    public var history: ReleaseHistory
    public var fleet: Fleet
    public var concurrency = 4
    /// `nil`: send each wave and return without waiting (one wave only); `release resume` waits later.
    public var waitTimeout: Double? = 1800
    public var notice: (String) -> Void = { _ in }
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(
        history: ReleaseHistory, fleet: Fleet, concurrency: Int = 4, waitTimeout: Double? = 1800,
        notice: @escaping (String) -> Void = { _ in }, progress: @escaping (Int, Int) -> Void = { _, _ in }
    ) {
        self.history = history
        self.fleet = fleet
        self.concurrency = concurrency
        self.waitTimeout = waitTimeout
        self.notice = notice
        self.progress = progress
    }

    /// Runs (or continues) `record` from its first wave with a target that has not succeeded, and returns it as
    /// last saved. Throws only when the record cannot be saved or a poll fails outright (the record, saved first,
    /// keeps every job for `release resume`).
    /// `lock`: the record's lock when the caller took it already (it announces nothing before it has it).
    public func run(_ record: inout ReleaseRecord, holding lock: OpenFile? = nil) throws(PhonePackError) {
        var held = lock
        if held == nil { held = try history.lock(record.id) }
        defer { withExtendedLifetime(held) {} }
        // What is on disk is the truth: another run may have moved on since `record` was read.
        if let saved = try? history.load(record.id) { record = saved }
        record.status = .running
        record.reason = nil
        try history.save(&record)
        for wave in 1...max(1, record.waveCount) {
            let members = record.targets.indices.filter { record.targets[$0].wave == wave }
            if members.allSatisfy({ [.succeeded, .skipped].contains(record.targets[$0].state) }) { continue }
            notice(
                "wave \(wave) of \(record.waveCount): \(members.count) \(plural(members.count, fleet.targetKind))")
            try runWave(&record, members: members)
            let failures = members.filter { record.targets[$0].isFailure }
            if failures.contains(where: { record.targets[$0].callFailed == true }) {
                return try halt(
                    &record,
                    "wave \(wave): the API could not be reached or refused the call; resume when it answers again")
            }
            let allowed = record.policy.maxFailures.allowed(inWaveOf: members.count)
            if failures.count > allowed, wave < record.waveCount {
                return try halt(
                    &record,
                    "wave \(wave): \(failures.count) of \(members.count) failed (--max-failures \(record.policy.maxFailures) allows \(allowed)); no later wave started"
                )
            }
            if record.policy.pause, wave < record.waveCount {
                record.status = .paused
                record.reason = "paused after wave \(wave) of \(record.waveCount)"
                try history.save(&record)
                return
            }
        }
        if record.targets.contains(where: \.isOpen) {
            record.reason = "jobs not waited for; phonepack release resume \(record.id) waits for them"
        } else {
            record.status = .completed
        }
        try history.save(&record)
    }

    /// Sends to the wave's targets that need it, saves, waits for every open job of the wave, saves.
    func runWave(_ record: inout ReleaseRecord, members: [Int]) throws(PhonePackError) {
        let toSend = members.filter {
            let outcome = record.targets[$0]
            return outcome.state == .pending || outcome.state == .failed || outcome.state == .rejected
                || (outcome.isOpen && outcome.jobID == nil)
        }
        if !toSend.isEmpty {
            let answers = try fleet.send(
                record.delivery, to: toSend.map { record.targets[$0].target }, concurrency: concurrency)
            // Answers come in the service's order: matched by id, as bytes.
            let byTarget = Dictionary(answers.map { (NameKey($0.target), $0) }, uniquingKeysWith: { first, _ in first })
            for index in toSend {
                if var outcome = byTarget[NameKey(record.targets[index].target)] {
                    outcome.wave = record.targets[index].wave
                    record.targets[index] = outcome
                }
            }
            try history.save(&record)
        }
        let open = members.filter { record.targets[$0].isOpen && record.targets[$0].jobID != nil }
        guard let waitTimeout, !open.isEmpty else { return }
        let waited: [TargetOutcome]
        do {
            waited = try fleet.wait(open.map { record.targets[$0] }, timeout: waitTimeout, progress: progress)
        } catch {
            record.reason = "waiting for wave \(record.targets[open[0]].wave ?? 1): \(error.message)"
            try? history.save(&record)
            throw error
        }
        for (index, outcome) in zip(open, waited) { record.targets[index] = outcome }
        try history.save(&record)
    }

    func halt(_ record: inout ReleaseRecord, _ reason: String) throws(PhonePackError) {
        record.status = .halted
        record.reason = reason
        try history.save(&record)
    }
}

/// "1 server", "2 servers".
func plural(_ count: Int, _ noun: String) -> String { count == 1 ? noun : noun + "s" }
