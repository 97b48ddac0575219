import PhonePackCore

/// The one contract of the cloud-phone clients (CPH, KooPhone, eds-aic), as s5cmd's `storage.Storage` is for its
/// stores: an endpoint value, a sibling for parallel workers, one poll of job states, and the jobs a request
/// started. Fan-out, waiting and `jobs wait` are written once, here, on top of it.
public protocol CloudPhoneClient: AnyObject, SendableMetatype {
    /// The most targets one batch call takes (CPH 100, KooPhone 32, eds-aic 50).
    static var maxTargetsPerCall: Int { get }
    var endpoint: ServiceURL { get }
    var client: CloudClient { get }
    /// A client with the same endpoint and credentials on its own connection, for another thread.
    func sibling() -> Self
    /// One poll: the state of each open job (`jobID` set), by job id. May leave out jobs it did not read.
    func states(of open: [TargetOutcome]) throws(PhonePackError) -> [String: JobState]
    /// The jobs request (or task) `id` started, one outcome per target, to be waited for.
    func jobs(startedBy id: String) throws(PhonePackError) -> [TargetOutcome]
}

/// An answer to a batch call: one outcome per target it names.
public protocol BatchAnswer: Sendable {
    var outcomes: [TargetOutcome] { get }
}

extension CloudPhoneClient {
    /// Sends `call` for every id, in chunks of `limit` (default ``maxTargetsPerCall``), `concurrency` at a time (each worker on its own
    /// connection); then, with a `waitTimeout`, waits for the jobs. Every id gets an outcome.
    public func fanOut<Answer: BatchAnswer>(
        _ ids: [String], limit: Int = Self.maxTargetsPerCall, concurrency: Int = 4, waitTimeout: Double?,
        progress: (Int, Int) -> Void = { _, _ in },
        _ call: @escaping @Sendable (Self, [String]) throws(PhonePackError) -> Answer
    ) throws(PhonePackError) -> [TargetOutcome] {
        let clients = (0..<max(1, concurrency)).map { _ in sibling() }
        let submitted = FanOut.submit(ids: ids, limit: limit, clients: clients) {
            (client, chunk) throws(PhonePackError) in
            try call(client, chunk).outcomes
        }
        guard let waitTimeout else { return submitted }
        return try wait(submitted, timeout: waitTimeout, progress: progress)
    }

    /// Polls (``states(of:)``) with growing pauses until every job has ended or `timeout` seconds pass.
    public func wait(_ outcomes: [TargetOutcome], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        try FanOut.wait(outcomes, timeout: timeout, client: client, progress: progress) {
            (open) throws(PhonePackError) in try states(of: open)
        }
    }

    /// `jobs wait`: finds the jobs of each request id, then waits for them; `timeout` bounds the whole call, the
    /// first listing included.
    public func wait(requests ids: [String], timeout: Double, progress: (Int, Int) -> Void = { _, _ in })
        throws(PhonePackError) -> [TargetOutcome]
    {
        let saved = client.deadline
        client.deadline = CloudTime.monotonicSeconds() + timeout
        defer { client.deadline = saved }
        var outcomes: [TargetOutcome] = []
        for id in ids { outcomes += try jobs(startedBy: id) }
        guard !outcomes.isEmpty else {
            throw PhonePackError(
                .notFound, operation: "find jobs", path: ids.joined(separator: ", "),
                message: "no jobs found for these ids; check the id and the --cloud")
        }
        return try wait(outcomes, timeout: timeout, progress: progress)
    }
}
