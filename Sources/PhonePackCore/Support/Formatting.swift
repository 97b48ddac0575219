import Glibc

/// `0644`-style octal text for permission bits.
func octalMode(_ permissions: UInt32) -> String {
    let digits = String(permissions & 0o7777, radix: 8)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// `12.3 MiB`-style sizes for people; exact byte counts stay in `--json`.
package func formatBytes(_ bytes: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
}

/// `2024-03-15 09:30` in UTC, as listings show times, without pulling in a calendar library.
package func formatUTCMinute(_ seconds: Int64) -> String { formatUTC(seconds, withSeconds: false) }

/// `2026-12-01 23:30:04` in UTC (a year past what `gmtime` holds prints as the number of seconds).
package func formatUTC(_ seconds: Int64, withSeconds: Bool = true) -> String {
    var time = time_t(seconds)
    var parts = tm()
    guard gmtime_r(&time, &parts) != nil else { return String(seconds) }
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    // Int arithmetic: tm_year + 1900 in Int32 traps for years near Int32.max, which gmtime returns.
    let minute =
        "\(Int(parts.tm_year) + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min))"
    return withSeconds ? minute + ":" + two(parts.tm_sec) : minute
}

/// A byte count as people write it: `1073741824`, `20G`, `512M`, `64MiB`, `1.5T` (1024-based); nil if it is not one.
public func parseByteCount(_ text: String) -> Int64? {
    let units: [Character: Double] = [
        "K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024,
    ]
    var number = Substring(text.uppercased())
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
    return Int64(value * factor)
}
