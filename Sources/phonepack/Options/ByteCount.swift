import ArgumentParser

/// A byte-count flag: `1073741824`, `20G`, `512M`, `64MiB`, `1.5T` (1024-based); checked by the parser.
struct ByteCount: ExpressibleByArgument, Sendable {
    var bytes: Int64

    init?(argument: String) {
        let units: [Character: Double] = [
            "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024,
        ]
        var number = Substring(argument.uppercased())
        if number.hasSuffix("IB") {
            number = number.dropLast(2)
        } else if number.hasSuffix("B") {
            number = number.dropLast()
        }
        var factor: Double = 1
        if let last = number.last, let unit = units[last] {
            factor = unit
            number = number.dropLast()
        }
        guard let value = Double(number), value >= 0, value * factor < 9.2e18 else { return nil }
        bytes = Int64(value * factor)
    }
}
