import ArgumentParser
import Glibc
import PhonePackCloud
import PhonePackCore

/// Seconds since 1970 from `1710495000`, `2024-03-15` or `2024-03-15T09:30:00Z` (UTC).
func parseTime(_ text: String, what: String) throws -> Int64 {
    if let seconds = Int64(text), seconds >= 0 { return seconds }
    let digits = text.split(whereSeparator: { "-T:Z".contains($0) }).compactMap { Int32($0) }
    let shapeOK = text.count == 10 || (text.count == 20 && text.hasSuffix("Z"))
    guard shapeOK, digits.count == 3 || digits.count == 6 else {
        throw ValidationError("\(what) must be seconds since 1970 or YYYY-MM-DD[THH:MM:SSZ], not '\(text)'")
    }
    var parts = tm()
    parts.tm_year = digits[0] - 1900
    parts.tm_mon = digits[1] - 1
    parts.tm_mday = digits[2]
    if digits.count == 6 {
        parts.tm_hour = digits[3]
        parts.tm_min = digits[4]
        parts.tm_sec = digits[5]
    }
    let seconds = timegm(&parts)
    guard seconds >= 0 else { throw ValidationError("\(what): \(text) is before 1970") }
    return Int64(seconds)
}
