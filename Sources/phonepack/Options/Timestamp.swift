import ArgumentParser
import PhonePackCloud

/// A time flag: seconds since 1970, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SSZ` (UTC); checked by the parser.
struct Timestamp: ExpressibleByArgument, Sendable {
    var seconds: Int64

    init?(argument: String) {
        guard let seconds = Int64(argument) ?? CloudTime.parseISO8601(argument), seconds >= 0 else { return nil }
        self.seconds = seconds
    }
}
