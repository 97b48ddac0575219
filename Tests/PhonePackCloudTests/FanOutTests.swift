import PhonePackCloud
import PhonePackCore
import Synchronization
import Testing

/// An in-memory cloud behind the one cloud-phone contract: each job ends after `pollsToFinish` polls; ids in
/// `refuse` make their whole call fail; `stranger` is answered for instead of the first id of a call.
final class FakePhones: CloudPhoneClient {
    static var maxTargetsPerCall: Int { 100 }
    struct State {
        var calls: [[String]] = []
        var polls = 0
    }
    let endpoint = try! ServiceURL(parsing: "https://phones.example", service: "fake", allowInsecureHTTP: false)
    let client = CloudClient()
    let state: Mutex<State>
    let pollsToFinish: Int
    let refuse: Set<String>
    let stranger: String?
    let failing: Set<String>

    init(pollsToFinish: Int = 1, refuse: Set<String> = [], failing: Set<String> = [], stranger: String? = nil) {
        self.pollsToFinish = pollsToFinish
        self.refuse = refuse
        self.failing = failing
        self.stranger = stranger
        state = Mutex(State())
    }

    func sibling() -> FakePhones { self }

    struct Answer: BatchAnswer {
        var outcomes: [TargetOutcome]
    }

    func push(_ ids: [String]) throws(PhonePackError) -> Answer {
        state.withLock { $0.calls.append(ids) }
        if ids.contains(where: refuse.contains) {
            var error = PhonePackError(.service, operation: "push", message: "refused")
            error.vendorCode = "FAKE.0001"
            throw error
        }
        var outcomes = ids.map {
            TargetOutcome(target: $0, state: .submitted, requestID: "r-\(ids[0])", jobID: "j-\($0)")
        }
        if let stranger { outcomes[0].target = stranger }
        return Answer(outcomes: outcomes)
    }

    func states(of open: [TargetOutcome]) throws(PhonePackError) -> [String: JobState] {
        let polls = state.withLock {
            $0.polls += 1
            return $0.polls
        }
        guard polls >= pollsToFinish else { return [:] }
        return Dictionary(
            uniqueKeysWithValues: open.compactMap { outcome in
                outcome.jobID.map {
                    (
                        $0,
                        failing.contains(outcome.target)
                            ? JobState(state: .failed, errorCode: "E") : JobState(state: .succeeded)
                    )
                }
            })
    }

    func jobs(startedBy id: String) throws(PhonePackError) -> [TargetOutcome] {
        id == "unknown" ? [] : [TargetOutcome(target: "t-\(id)", state: .submitted, requestID: id, jobID: "j-\(id)")]
    }
}

@Suite("One fan-out and one wait for every cloud-phone client")
struct FanOutTests {
    let ids = (0..<250).map { "server" + String(repeating: "0", count: 4 - String($0).count) + String($0) }

    @Test("250 ids go out as 100 + 100 + 50, every id gets exactly one outcome, in order")
    func batches() throws {
        let phones = FakePhones()
        let outcomes = try phones.fanOut(ids, concurrency: 3, waitTimeout: nil) {
            (client, chunk) throws(PhonePackError) in
            try client.push(chunk)
        }
        #expect(phones.state.withLock { $0.calls.map(\.count).sorted() } == [50, 100, 100])
        #expect(outcomes.map(\.target) == ids)
        #expect(outcomes.allSatisfy { $0.state == .submitted })
    }

    @Test("a refused call rejects only its own batch, with the vendor code")
    func refusedBatch() throws {
        let phones = FakePhones(refuse: ["server0150"])
        let outcomes = try phones.fanOut(ids, waitTimeout: nil) { (client, chunk) throws(PhonePackError) in
            try client.push(chunk)
        }
        let rejected = outcomes.filter { $0.state == .rejected }
        #expect(rejected.count == 100 && rejected.allSatisfy { $0.errorCode == "FAKE.0001" })
        #expect(Set(rejected.map(\.target)) == Set(ids[100..<200]))
    }

    @Test("an answer for a target nobody asked for is not believed: its batch fails, naming the stranger")
    func stranger() throws {
        let phones = FakePhones(stranger: "../../etc")
        let outcomes = try phones.fanOut(Array(ids.prefix(3)), waitTimeout: nil) {
            (client, chunk) throws(PhonePackError) in try client.push(chunk)
        }
        #expect(outcomes.map(\.target) == Array(ids.prefix(3)))
        #expect(outcomes.allSatisfy { $0.state == .failed && $0.errorCode == "PHONEPACK.UnexpectedTarget" })
        #expect(outcomes[0].errorMessage?.contains("../../etc") == true)
    }

    @Test("wait polls until every job ends, keeping each job's own result")
    func waits() throws {
        let phones = FakePhones(pollsToFinish: 2, failing: ["server0001"])
        let outcomes = try phones.fanOut(Array(ids.prefix(3)), waitTimeout: 30) {
            (client, chunk) throws(PhonePackError) in try client.push(chunk)
        }
        #expect(outcomes.map(\.state) == [.succeeded, .failed, .succeeded])
        #expect(outcomes[1].errorCode == "E")
        #expect(phones.state.withLock { $0.polls } == 2)
    }

    @Test("a timeout leaves jobs running, saying how to wait again")
    func timeout() throws {
        let phones = FakePhones(pollsToFinish: 1_000)
        let outcomes = try phones.wait(
            [TargetOutcome(target: "a", state: .submitted, requestID: "r1", jobID: "j1")], timeout: 0.2)
        #expect(outcomes.map(\.state) == [.running])
        #expect(outcomes[0].errorMessage?.contains("phonepack jobs wait r1") == true)
    }

    @Test("jobs wait: each request's jobs are found, then waited for; no jobs at all is a typed error")
    func requests() throws {
        let phones = FakePhones()
        let outcomes = try phones.wait(requests: ["r1", "r2"], timeout: 30)
        #expect(outcomes.map(\.target) == ["t-r1", "t-r2"] && outcomes.allSatisfy { $0.state == .succeeded })
        #expect {
            try phones.wait(requests: ["unknown"], timeout: 30)
        } throws: { error in
            (error as? PhonePackError)?.code == .notFound
        }
    }
}
