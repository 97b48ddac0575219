import Glibc

/// The time formats the signing schemes want, from Unix seconds, without a calendar library.
public enum CloudTime {
    static func parts(_ seconds: Int64) -> tm {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return parts
    }

    static func pad(_ value: Int32, _ width: Int = 2) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `20240315T093000Z` (SigV4, OSS V4, API gateway).
    public static func compact(_ seconds: Int64) -> String {
        let p = parts(seconds)
        return
            "\(pad(p.tm_year + 1900, 4))\(pad(p.tm_mon + 1))\(pad(p.tm_mday))T\(pad(p.tm_hour))\(pad(p.tm_min))\(pad(p.tm_sec))Z"
    }

    /// `2024-03-15T09:30:00Z` (Alibaba OpenAPI).
    public static func iso8601(_ seconds: Int64) -> String {
        let p = parts(seconds)
        return
            "\(pad(p.tm_year + 1900, 4))-\(pad(p.tm_mon + 1))-\(pad(p.tm_mday))T\(pad(p.tm_hour)):\(pad(p.tm_min)):\(pad(p.tm_sec))Z"
    }

    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Fri, 15 Mar 2024 09:30:00 GMT` (the HTTP Date header, OBS/OSS V1).
    public static func rfc1123(_ seconds: Int64) -> String {
        let p = parts(seconds)
        return
            "\(days[Int(p.tm_wday)]), \(pad(p.tm_mday)) \(months[Int(p.tm_mon)]) \(p.tm_year + 1900) \(pad(p.tm_hour)):\(pad(p.tm_min)):\(pad(p.tm_sec)) GMT"
    }

    /// Seconds since 1970 of a UTC calendar time (the one `timegm` call every date parser shares).
    static func utc(
        _ year: Int32, _ month: Int32, _ day: Int32, _ hour: Int32 = 0, _ minute: Int32 = 0, _ second: Int32 = 0
    )
        -> Int64
    {
        var p = tm()
        p.tm_year = year - 1900
        p.tm_mon = month - 1
        p.tm_mday = day
        p.tm_hour = hour
        p.tm_min = minute
        p.tm_sec = second
        return Int64(timegm(&p))
    }

    /// Reads an HTTP `Date` header; `nil` when it is not RFC 1123.
    public static func parseRFC1123(_ text: String) -> Int64? {
        let fields = text.split(separator: " ")
        guard fields.count == 6, let day = Int32(fields[1]), let month = months.firstIndex(of: String(fields[2])),
            let year = Int32(fields[3])
        else { return nil }
        let clock = fields[4].split(separator: ":").compactMap { Int32($0) }
        guard clock.count == 3 else { return nil }
        return utc(year, Int32(month) + 1, day, clock[0], clock[1], clock[2])
    }

    /// Reads `20260115T093000Z` (SigV4 / OSS V4 dates); `nil` when it is not that form.
    public static func parseCompact(_ text: String) -> Int64? {
        let digits = Array(text.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? { Int32(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15)
        else { return nil }
        return utc(year, month, day, hour, minute, second)
    }

    /// Reads `2025-01-15T08:30:00Z` (Alibaba's timestamps), `2024-03-16T09:30:00.123000Z` (IAM's expiry: the
    /// fraction is dropped) or `2025-01-15` (midnight UTC); `nil` for anything else.
    public static func parseISO8601(_ text: String) -> Int64? {
        if text.utf8.count == 10 { return parseISO8601(text + "T00:00:00Z") }
        guard text.hasSuffix("Z"), text.utf8.count >= 20 else { return nil }
        guard text.utf8.count == 20 || text.dropFirst(19).first == "." else { return nil }
        let whole = text.prefix(19) + "Z"
        return parseCompact(String(whole.replacing("-", with: "").replacing(":", with: "")))
    }

    /// A store's time — `Last-Modified` (RFC 1123) or a listing's `2026-12-01T23:30:04.000Z` — the way phonepack
    /// prints every time: `2026-12-01T23:30:04Z`. Text in neither form is kept as it came (`nil` stays `nil`).
    public static func normalised(_ text: String?) -> String? {
        guard let text else { return nil }
        guard let seconds = parseISO8601(text) ?? parseRFC1123(text) else { return text }
        return iso8601(seconds)
    }

    public static func now() -> Int64 { Int64(time(nil)) }

    /// Seconds since the epoch with milliseconds, for logs.
    public static func nowWithMilliseconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec / 1_000_000) / 1000
    }
}
