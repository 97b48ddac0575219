import Glibc
import PhonePackCore

/// What a release sends, complete enough to send it again (`release resume`, `release rollback`) with nothing but
/// the record: the object, its SHA-256, and each cloud's push parameters.
public struct ReleaseDelivery: Codable, Sendable, Equatable {
    public enum Cloud: String, Codable, Sendable {
        /// CPH PushShareApps of a shared-app tar in OBS.
        case huawei
        /// eds-aic SendFile (+ AutoInstall for an APK) from OSS.
        case alibaba
    }

    public var cloud: Cloud
    public var package: String
    /// The APK's versionName and versionCode (records written before these were kept have neither).
    public var versionName: String?
    public var versionCode: Int64?
    public var object: String
    public var sha256: String
    public var size: Int64
    /// Huawei.
    public var preInstall = false
    public var batchSize = CPHRequestRules.maxServersPerShareCall
    /// Alibaba.
    public var phonePath = "/sdcard/Download/"
    public var uploadEndpoint = ""
    public var autoInstall = true
    /// The released APK's versionCode, signer (certificate SHA-256) and lineage: what the next release of the
    /// package must keep (`nil` in records from before phonepack kept it, and for files that are not APKs).
    public var apk: APKIdentity?
    /// A delta upload: the object it copied from, and the bytes sent and copied (`nil`: uploaded whole, or not
    /// uploaded by this release).
    public var deltaBase: String?
    public var sentBytes: Int64?
    public var copiedBytes: Int64?

    public init(
        cloud: Cloud, package: String, versionName: String?, versionCode: Int64?, object: String, sha256: String,
        size: Int64
    ) {
        self.cloud = cloud
        self.package = package
        self.versionName = versionName
        self.versionCode = versionCode
        self.object = object
        self.sha256 = sha256
        self.size = size
    }

    /// `1.4.2 (42)` for text; JSON keeps the two apart.
    public var version: String? {
        switch (versionName, versionCode) {
        case let (name?, code?): "\(name) (\(code))"
        case let (name?, nil): name
        case let (nil, code?): "(\(code))"
        default: nil
        }
    }
}

/// The local record of one release, rewritten atomically at every step (a `kill -9` leaves the last complete
/// record): what was sent, the policy, and every target with its wave, job and state.
public struct ReleaseRecord: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// Sending or waiting (or the client was killed while it was).
        case running
        /// Stopped between waves by `--pause`.
        case paused
        /// A wave exceeded its failure budget, or the API could not be reached: no later wave was started.
        case halted
        /// Every wave was sent and waited for (some targets may still have failed within the budget).
        case completed
    }

    public var id: String
    public var created: String
    public var updated: String
    public var delivery: ReleaseDelivery
    public var policy: RolloutPolicy
    public var waveCount: Int
    public var status: Status
    /// Why the release halted or paused, in words.
    public var reason: String?
    /// The release this one rolled back, for `release rollback`.
    public var rollbackOf: String?
    /// Every target with its wave and latest outcome (`pending` until its wave sends).
    public var targets: [TargetOutcome]

    /// A new record with every target pending, assigned to waves in the order given.
    public init(id: String, delivery: ReleaseDelivery, policy: RolloutPolicy, targets: [String])
        throws(PhonePackError)
    {
        self.id = id
        created = CloudTime.iso8601(CloudTime.now())
        updated = created
        self.delivery = delivery
        self.policy = policy
        status = .running
        var assigned: [TargetOutcome] = []
        let sizes = try policy.waveSizes(total: targets.count)
        var next = 0
        for (index, size) in sizes.enumerated() {
            for target in targets[next..<next + size] {
                var outcome = TargetOutcome(target: target, state: .pending)
                outcome.wave = index + 1
                assigned.append(outcome)
            }
            next += size
        }
        waveCount = sizes.count
        self.targets = assigned
    }

    /// A new release id: the UTC time and 4 random hex digits (sortable, and distinct within a second).
    public static func newID() -> String {
        let time = CloudTime.iso8601(CloudTime.now()).filter { $0.isNumber }
        return "r" + time.prefix(8) + "-" + time.dropFirst(8).prefix(6) + "-" + randomHex(4)
    }
}

/// What `release history --json` prints: every release, newest first, without its targets.
public struct ReleaseList: Codable, Sendable, Equatable {
    public var releases: [ReleaseSummary]

    public init(_ records: [ReleaseRecord]) { releases = records.map(ReleaseSummary.init) }
}

/// A release record without its targets, with the count per state.
public struct ReleaseSummary: Codable, Sendable, Equatable {
    public var id: String
    public var created: String
    public var updated: String
    public var status: ReleaseRecord.Status
    public var reason: String?
    public var rollbackOf: String?
    public var delivery: ReleaseDelivery
    public var waveCount: Int
    public var counts: [String: Int]

    public init(_ record: ReleaseRecord) {
        (id, created, updated, status) = (record.id, record.created, record.updated, record.status)
        (reason, rollbackOf, delivery, waveCount) = (
            record.reason, record.rollbackOf, record.delivery, record.waveCount
        )
        counts = TargetOutcome.counts(record.targets)
    }
}

/// The release records in `<state folder>/releases/ID.json`.
public struct ReleaseHistory: Sendable {
    public let directory: String

    public init(stateDirectory: String) { directory = joinPath(stateDirectory, "releases") }

    /// Writes the record atomically (a temporary file renamed over the old one), with `updated` set to now.
    public func save(_ record: inout ReleaseRecord) throws(PhonePackError) {
        try Self.checkID(record.id)
        record.updated = CloudTime.iso8601(CloudTime.now())
        try makeDirectories(directory)
        let output = try AtomicOutputFile(destination: path(record.id), permissions: 0o600)
        try output.file.writeAll(JSONCoding.encode(record))
        try output.commit()
    }

    /// The record named `id`. The file's name is the id: a record whose content names another (edited, or
    /// planted to make `resume` write and lock elsewhere) is refused, naming the file.
    public func load(_ id: String) throws(PhonePackError) -> ReleaseRecord {
        try Self.checkID(id)
        let file: OpenFile
        do {
            file = try OpenFile.forReading(path(id))
        } catch {
            throw PhonePackError(
                .notFound, operation: "read release", path: id,
                message: "no such release in \(directory); see phonepack release history")
        }
        var record = try JSONCoding.decode(ReleaseRecord.self, from: file.readToEnd(limit: 512 << 20))
        // Records written before waves were numbered from 1 (as every report says them) numbered them from 0.
        if record.targets.contains(where: { $0.wave == 0 }) {
            for index in record.targets.indices {
                record.targets[index].wave = record.targets[index].wave.map { $0 + 1 }
            }
        }
        guard record.id.utf8.elementsEqual(id.utf8) else {
            throw PhonePackError(
                .invalidInput, operation: "read release", path: path(id),
                message:
                    "says it is release \(record.id.terminalSafe), not \(id): it was changed outside phonepack, so it is not used; move it away or delete it"
            )
        }
        return record
    }

    /// Every record, newest first, and the files that are not good records (named, never used).
    public func all() throws(PhonePackError) -> (records: [ReleaseRecord], refused: [PhonePackError]) {
        let names = (try? sortedDirectoryEntries(directory)) ?? []
        var records: [ReleaseRecord] = []
        var refused: [PhonePackError] = []
        for name in names.reversed() where name.hasSuffix(".json") {
            let id = String(name.dropLast(5))
            do throws(PhonePackError) {
                records.append(try load(id))
            } catch {
                refused.append(error)
            }
        }
        return (records, refused)
    }

    /// The newest release of `package` to `cloud` that completed (its identity is what the phones have), for
    /// the next release's continuity check.
    public func lastCompleted(package: String, cloud: ReleaseDelivery.Cloud) throws(PhonePackError) -> ReleaseRecord? {
        try all().records.first {
            $0.delivery.package == package && $0.delivery.cloud == cloud && $0.status == .completed
                && $0.targets.contains { $0.state == .succeeded }
        }
    }

    /// The newest record, or the one named.
    public func record(_ id: String?) throws(PhonePackError) -> ReleaseRecord {
        if let id { return try load(id) }
        guard let newest = try all().records.first else {
            throw PhonePackError(.notFound, operation: "read release", path: directory, message: "no releases yet")
        }
        return newest
    }

    /// Holds `ID.lock` (an `flock`, released by the kernel when the process ends, even by `kill -9`) for as long
    /// as the returned file lives: two phonepacks never run one release at once, so no target is sent twice.
    public func lock(_ id: String) throws(PhonePackError) -> OpenFile {
        try Self.checkID(id)
        try makeDirectories(directory)
        let file = try OpenFile.forUpdating(joinPath(directory, id + ".lock"), permissions: 0o600)
        guard flock(file.descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw PhonePackError(
                .invalidInput, operation: "lock release", path: id,
                message:
                    "another phonepack is running this release now; wait for it, or see phonepack release status \(id)")
        }
        return file
    }

    func path(_ id: String) -> String { joinPath(directory, id + ".json") }

    /// Refuses anything but one of our ids: never a path that leaves the folder.
    static func checkID(_ id: String) throws(PhonePackError) {
        guard isValidID(id) else {
            throw PhonePackError(
                .invalidInput, operation: "read release", path: id.terminalSafe,
                message: "not a release id (like r20261201-140512-ab12); see phonepack release history")
        }
    }

    /// Ids are ours (`r` + digits, dashes, hex): never a path that leaves the folder.
    static func isValidID(_ id: String) -> Bool {
        id.utf8.count <= 64 && id.first == "r"
            && id.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || $0 == 0x2D || $0 == 0x72
            }
    }
}
