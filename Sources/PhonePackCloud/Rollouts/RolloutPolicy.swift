import PhonePackCore

/// How a release reaches its targets: in waves, each checked against a failure budget before the next starts,
/// optionally pausing between waves (the shape of Argo Rollouts' steps and `kubectl rollout pause/resume`).
public struct RolloutPolicy: Codable, Sendable, Equatable {
    /// One step of `--waves`: how many targets have been reached once the wave is done (cumulative).
    public enum Step: Codable, Sendable, Equatable {
        case count(Int)
        case percent(Int)
    }

    /// A wave's failure budget: at most `count` failed targets, or `percent` of the wave's targets (rounded down).
    public enum Budget: Codable, Sendable, Equatable {
        case count(Int)
        case percent(Int)

        /// How many failures a wave of `size` targets may have and still let the next wave start.
        public func allowed(inWaveOf size: Int) -> Int {
            switch self {
            case .count(let count): count
            case .percent(let percent): size * percent / 100
            }
        }
    }

    public var steps: [Step]
    public var maxFailures: Budget
    /// Stop after each wave but the last; `release resume ID` starts the next.
    public var pause: Bool

    /// One wave with everything (what `release` did before waves), no failure allowed before the end.
    public init(steps: [Step] = [.percent(100)], maxFailures: Budget = .count(0), pause: Bool = false) {
        self.steps = steps
        self.maxFailures = maxFailures
        self.pause = pause
    }

    /// Parses `--waves 1,10%,50%,100%`: counts or percentages, each the cumulative share reached after that wave.
    public static func parseSteps(_ text: String) throws(PhonePackError) -> [Step] {
        var steps: [Step] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let item = String(part).trimmingSpaces
            if item.hasSuffix("%"), let value = Int(item.dropLast()), (1...100).contains(value) {
                steps.append(.percent(value))
            } else if let value = Int(item), value >= 1 {
                steps.append(.count(value))
            } else {
                throw .ruleViolation(
                    field: "--waves", value: text,
                    rule:
                        "a comma-separated list of target counts (≥ 1) or percentages (1% to 100%), e.g. 1,10%,50%,100%"
                )
            }
        }
        return steps
    }

    /// Parses `--max-failures K` or `--max-failures P%`.
    public static func parseBudget(_ text: String) throws(PhonePackError) -> Budget {
        let item = text.trimmingSpaces
        if item.hasSuffix("%"), let value = Int(item.dropLast()), (0...100).contains(value) { return .percent(value) }
        if let value = Int(item), value >= 0 { return .count(value) }
        throw .ruleViolation(field: "--max-failures", value: text, rule: "a count (≥ 0) or a percentage (0% to 100%)")
    }

    /// The size of each wave for `total` targets. Steps are cumulative and may not go back; a step that adds no
    /// target is dropped, and the last wave always takes whatever is left.
    public func waveSizes(total: Int) throws(PhonePackError) -> [Int] {
        var reached = 0
        var sizes: [Int] = []
        for step in steps {
            let target =
                switch step {
                case .count(let count): min(count, total)
                case .percent(let percent): (total * percent + 99) / 100
                }
            guard target >= reached else {
                throw .ruleViolation(
                    field: "--waves", value: steps.map(\.description).joined(separator: ","),
                    rule: "each wave's cumulative count must be at least the one before it")
            }
            if target > reached { sizes.append(target - reached) }
            reached = target
        }
        if reached < total { sizes.append(total - reached) }
        return sizes
    }
}

// Steps and budgets are written as on the command line ("10%", "1"), in JSON output and in release records;
// records written before that (Swift's synthesized `{"percent":{"_0":10}}`) are still read.
/// A count or a percentage, as `--waves` and `--max-failures` take them.
protocol CountOrPercent: Codable, CustomStringConvertible {
    static func count(_ count: Int) -> Self
    static func percent(_ percent: Int) -> Self
    var parts: (number: Int, percent: Bool) { get }
}

extension CountOrPercent {
    public var description: String { parts.percent ? "\(parts.number)%" : String(parts.number) }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// "10%" or "3", or the keyed form records had before: `{"percent":{"_0":10}}`, `{"count":{"_0":3}}`.
    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            let percent = text.hasSuffix("%")
            guard let number = Int(percent ? String(text.dropLast()) : text), number >= 0 else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not a count or percentage: \(text)"))
            }
            self = percent ? .percent(number) : .count(number)
            return
        }
        let keyed = try decoder.container(keyedBy: LegacyKeys.self)
        let percent = keyed.contains(.percent)
        let number = try keyed.nestedContainer(keyedBy: LegacyKeys.self, forKey: percent ? .percent : .count)
            .decode(Int.self, forKey: ._0)
        self = percent ? .percent(number) : .count(number)
    }
}

private enum LegacyKeys: String, CodingKey { case count, percent, _0 }

extension RolloutPolicy.Step: CountOrPercent {
    var parts: (number: Int, percent: Bool) {
        switch self {
        case .count(let count): (count, false)
        case .percent(let percent): (percent, true)
        }
    }
}

extension RolloutPolicy.Budget: CountOrPercent {
    var parts: (number: Int, percent: Bool) {
        switch self {
        case .count(let count): (count, false)
        case .percent(let percent): (percent, true)
        }
    }
}
