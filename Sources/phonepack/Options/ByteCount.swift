import ArgumentParser
import PhonePackCore

/// A byte-count flag: `1073741824`, `20G`, `512M`, `64MiB`, `1.5T` (1024-based); checked by the parser.
struct ByteCount: ExpressibleByArgument, Sendable {
    var bytes: Int64

    init?(argument: String) {
        guard let bytes = parseByteCount(argument) else { return nil }
        self.bytes = bytes
    }
}
