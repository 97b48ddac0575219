import ArgumentParser
import PhonePackCloud
import PhonePackCore

/// `--waves 1,10%,50%,100%`: target counts or percentages, each the cumulative share reached after its wave.
struct WaveList: ExpressibleByArgument {
    var steps: [RolloutPolicy.Step]

    init?(argument: String) {
        guard let steps = try? RolloutPolicy.parseSteps(argument) else { return nil }
        self.steps = steps
    }
}

/// `--max-failures K` or `--max-failures P%`.
struct FailureBudget: ExpressibleByArgument {
    var budget: RolloutPolicy.Budget

    init?(argument: String) {
        guard let budget = try? RolloutPolicy.parseBudget(argument) else { return nil }
        self.budget = budget
    }
}

/// How `release` stages its targets.
struct RolloutFlags: ParsableArguments {
    @Option(help: "Waves as cumulative target counts or percentages, e.g. 1,10%,50%,100% (default: one wave).")
    var waves: WaveList?

    @Option(help: "Shorthand for --waves N,100%: N canary targets first.")
    var canary: Int?

    @Option(help: "Failed targets a wave may have before the release halts: a count or a percentage (default 0).")
    var maxFailures: FailureBudget?

    @Flag(help: "Stop after each wave but the last; continue with: phonepack release resume ID.")
    var pause = false

    func validate() throws {
        if waves != nil, canary != nil { throw ValidationError("give --waves or --canary, not both") }
        if let canary, canary < 1 { throw ValidationError("--canary takes a count of at least 1") }
    }

    var policy: RolloutPolicy {
        let steps = waves?.steps ?? canary.map { [.count($0), .percent(100)] } ?? [.percent(100)]
        return RolloutPolicy(steps: steps, maxFailures: maxFailures?.budget ?? .count(0), pause: pause)
    }
}

/// Output flags of the verbs that report one line per target.
struct FleetOutputFlags: ParsableArguments {
    @Flag(help: "List only the targets that failed, were refused or are still running (the summary counts all).")
    var onlyFailures = false

    @Option(
        help: ArgumentHelp(
            "Also write a self-contained HTML page: every target as a square coloured by state, failures listed.",
            valueName: "page.html"))
    var html: String?
}
