import ArgumentParser

/// How fanned-out commands wait and report.
struct WaitFlags: ParsableArguments {
    @Flag(help: "Return once the jobs are created, without waiting for them.")
    var noWait = false

    @Option(help: "Seconds to wait for the jobs before giving up (they go on running).")
    var timeout: Double = 1800

    @Option(help: "Calls sent at once when the ids need several.")
    var concurrency = 4
}
