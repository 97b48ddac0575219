import ArgumentParser
import PhonePackCloud
import PhonePackCore

/// `--jobs` and `--limit-rate`: on every verb that moves bytes to or from a store.
struct RateFlags: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help:
            "Parts (or small files) in flight at once, each on its own connection (default: the profile's jobs, else 4)."
    )
    var jobs: Int?

    @Option(help: "Total bandwidth cap in bytes per second, e.g. 20M (split across the parallel connections).")
    var limitRate: ByteCount?

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs takes 1 to 64") }
        // Each connection must move at least 1 KiB/s or it counts as stalled (a trickling server is cut off).
        let jobs = jobs ?? 4
        if let limitRate, limitRate.bytes < 2048 * Int64(jobs) {
            throw ValidationError(
                "--limit-rate must be at least \(2 * jobs)K per second with --jobs \(jobs) (2K per connection); lower --jobs for a slower rate"
            )
        }
    }

    /// Transfer settings with these flags, else the config file's defaults; journals in the session's state folder.
    func settings(session: CloudSession) throws -> TransferSettings {
        let defaults = try session.commandDefaults(try session.config())
        var settings = TransferSettings(stateDirectory: session.stateDirectory)
        settings.jobs = jobs ?? defaults.jobs ?? 4
        settings.limitRate = limitRate?.bytes ?? defaults.limitRate
        // validate() checked the flags; a rate or job count from the file must meet the same 2K per connection.
        if let rate = settings.limitRate, rate < 2048 * Int64(settings.jobs) {
            throw ValidationError(
                "a rate limit of \(rate) B/s with \(settings.jobs) jobs is below 2K per connection; lower jobs or raise limit_rate"
            )
        }
        return settings
    }
}

/// Flags shared by `upload`, `download` and `sync`.
struct TransferFlags: ParsableArguments {
    @Option(
        help:
            "Part (upload) or range (download) size, e.g. 8M or 64MiB. Default: 8 MiB, grown to stay within 10,000 parts."
    )
    var partSize: ByteCount?

    @OptionGroup var rate: RateFlags

    @Option(
        help: "The content's SHA-256: stored as metadata on upload (else read from FILE.sha256), checked on download.")
    var sha256: String?

    @Flag(inversion: .prefixedNo, help: "Show a progress bar (default: when stderr is a terminal and not --json).")
    var progress: Bool?

    func validate() throws {
        if let sha256, !ChecksumLine.isSHA256(sha256) {
            throw ValidationError("--sha256 takes 64 hex digits, not '\(sha256)'")
        }
    }

    func settings(session: CloudSession) throws -> TransferSettings {
        var settings = try rate.settings(session: session)
        settings.partSize = partSize?.bytes
        settings.sha256 = sha256?.lowercased()
        return settings
    }
}
