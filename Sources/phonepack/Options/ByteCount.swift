import ArgumentParser
import PhonePackCore

/// `1073741824`, `10G`, `512M`, `1.5T` (1024-based).
func parseByteCount(_ text: String, flag: String) throws -> Int64 {
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
    guard let value = Double(number), value >= 0, value * factor < 9.2e18 else {
        throw ValidationError("\(flag) takes a byte count such as 21474836480 or 20G, not '\(text)'")
    }
    return Int64(value * factor)
}
