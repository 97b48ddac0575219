import Synchronization

/// A failure the emulator can inject instead of answering.
public enum FaultKind: String, Sendable, CaseIterable {
    /// 500 InternalError.
    case internalError = "500"
    /// 503 ServiceUnavailable / SlowDown.
    case unavailable = "503"
    /// 429 TooManyRequests.
    case tooMany = "429"
    /// The connection drops in the middle of the answer.
    case reset
    /// The answer comes two seconds late.
    case slow
}

/// Decides, request by request, whether to inject a fault. The decisions come from a seeded generator
/// (SplitMix64), so a given seed yields the same sequence of decisions every run.
public final class FaultInjector: Sendable {
    private let rate: Double
    private let kinds: [FaultKind]
    private let state: Mutex<UInt64>

    public init(rate: Double, kinds: [FaultKind], seed: UInt64) {
        self.rate = rate
        self.kinds = kinds
        state = Mutex(seed)
    }

    /// The fault for the next request, or `nil` to answer normally.
    public func next() -> FaultKind? {
        guard rate > 0, !kinds.isEmpty else { return nil }
        return state.withLock { state -> FaultKind? in
            let roll = Double(Self.splitMix(&state) >> 11) / Double(1 << 53)
            guard roll < rate else { return nil }
            return kinds[Int(Self.splitMix(&state) % UInt64(kinds.count))]
        }
    }

    static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
