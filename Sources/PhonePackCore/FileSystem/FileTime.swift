import Glibc

/// A point in time as file systems and tar formats carry it: whole seconds since 1970 (any `Int64`, negative
/// before it) and the nanoseconds after them, `0..<1_000_000_000` — a `timespec`. Never multiplied out into one
/// number of nanoseconds: 2262-04-11 is already past `Int64.max` nanoseconds, and archives carry later times.
/// Ordered and compared exactly, to the nanosecond.
public struct FileTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public private(set) var seconds: Int64
    public private(set) var nanoseconds: Int32

    /// Any pair, normalised: `(0, -500_000_000)` is `-0.5` s, stored as `(-1, 500_000_000)`, as POSIX does.
    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        var (carry, rest) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if rest < 0 {
            rest += 1_000_000_000
            carry -= 1
        }
        let (sum, overflow) = seconds.addingReportingOverflow(carry)
        self.seconds = overflow ? (carry < 0 ? .min : .max) : sum
        self.nanoseconds = Int32(rest)
    }

    /// A pax time record (`1700000000.123456789`, `-0.5`): sign, whole seconds, then at most nine fraction digits
    /// (more are dropped, as GNU tar does). `nil` for anything else or seconds past `Int64`.
    init?(paxDecimal text: [UInt8]) {
        var rest = text[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        let whole = rest.prefix { $0 != UInt8(ascii: ".") }
        let fraction = rest.dropFirst(whole.count + 1)
        guard !whole.isEmpty, whole.count <= 19, whole.allSatisfy({ (0x30...0x39).contains($0) }),
            fraction.allSatisfy({ (0x30...0x39).contains($0) }),
            let seconds = Int64(String(decoding: whole, as: UTF8.self))
        else { return nil }
        var nanos: Int64 = 0
        for (index, digit) in fraction.prefix(9).enumerated() {
            nanos +=
                Int64(digit - 0x30) * [100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1][index]
        }
        self.init(seconds: negative ? -seconds : seconds, nanoseconds: negative ? -nanos : nanos)
    }

    public init(_ time: timespec) { self.init(seconds: Int64(time.tv_sec), nanoseconds: Int64(time.tv_nsec)) }

    public var timespec: Glibc.timespec { Glibc.timespec(tv_sec: time_t(seconds), tv_nsec: Int(nanoseconds)) }

    /// One number for the journals that record a file's time to tell later whether it changed: seconds × 10⁹ +
    /// nanoseconds, wrapping past `Int64` (an identity to compare for equality, never a duration or an order).
    public var fingerprint: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }

    public static func < (a: FileTime, b: FileTime) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

    /// `1700000000`, `1700000000.123456789`, `-0.5` (trailing zeros of the fraction dropped).
    public var description: String {
        guard nanoseconds != 0 else { return String(seconds) }
        // -0.5 is (-1, 500_000_000): print the sign, then |value|.
        let negative = seconds < 0
        let whole = negative ? -(seconds + 1) : seconds
        let fraction = negative ? 1_000_000_000 - Int64(nanoseconds) : Int64(nanoseconds)
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return (negative ? "-" : "") + String(whole) + "." + digits
    }

    /// UTC to the nanosecond when there is a fraction, as `tar --full-time` shows it: `2023-11-14 22:13:20.123456789`.
    public var utcText: String {
        let base = formatUTC(seconds)
        guard nanoseconds != 0 else { return base }
        var digits = String(nanoseconds)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return base + "." + digits
    }
}
