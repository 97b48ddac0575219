import PhonePackCloud
import PhonePackCore
import Testing

@Suite("Rollout waves and failure budgets")
struct RolloutPolicyTests {
    @Test(
        "waves are cumulative: counts and percentages of the whole, empty waves dropped, the rest in the last",
        arguments: [
            ("1,10%,50%,100%", 250, [1, 24, 100, 125]),
            ("1,10%,50%,100%", 3, [1, 1, 1]),
            ("1,2,3", 3, [1, 1, 1]),
            ("5,100%", 3, [3]),
            ("10%", 250, [25, 225]),
            ("100%", 1, [1]),
            ("1,1,100%", 4, [1, 3]),
        ])
    func waveSizes(spec: String, total: Int, sizes: [Int]) throws {
        let policy = RolloutPolicy(steps: try RolloutPolicy.parseSteps(spec))
        #expect(try policy.waveSizes(total: total) == sizes)
    }

    @Test(
        "a wave list that goes back, or a malformed step, is refused with the rule",
        arguments: [
            "50%,10%", "0", "101%", "1,,2", "x", "-1", "",
        ])
    func badWaves(spec: String) {
        #expect(throws: PhonePackError.self) {
            try RolloutPolicy(steps: RolloutPolicy.parseSteps(spec)).waveSizes(total: 100)
        }
    }

    @Test("budgets: a count, or a percentage of the wave rounded down")
    func budgets() throws {
        #expect(try RolloutPolicy.parseBudget("3").allowed(inWaveOf: 100) == 3)
        #expect(try RolloutPolicy.parseBudget("10%").allowed(inWaveOf: 25) == 2)
        #expect(try RolloutPolicy.parseBudget("0%").allowed(inWaveOf: 1000) == 0)
        for bad in ["-1", "101%", "x", "5%%"] {
            #expect(throws: PhonePackError.self) { try RolloutPolicy.parseBudget(bad) }
        }
    }

    @Test("a new record puts every target, in order, in its wave, pending")
    func record() throws {
        let delivery = ReleaseDelivery(
            cloud: .huawei, package: "com.example.a", versionName: "1", versionCode: 1, object: "obs://b/a.tar",
            sha256: "00", size: 1)
        let record = try ReleaseRecord(
            id: ReleaseRecord.newID(), delivery: delivery,
            policy: RolloutPolicy(steps: [.count(1), .percent(50), .percent(100)]),
            targets: ["s1", "s2", "s3", "s4", "s5"])
        #expect(record.waveCount == 3)
        #expect(record.targets.map(\.wave) == [1, 2, 2, 3, 3])
        #expect(record.targets.allSatisfy { $0.state == .pending })
        #expect(record.id.hasPrefix("r") && record.id.count == 21)
    }
}
