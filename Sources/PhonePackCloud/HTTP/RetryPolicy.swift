import Glibc
import PhonePackCore

/// When to try a request again and how long to wait.
public struct RetryPolicy: Sendable {
    public var maxAttempts = 4
    public var baseDelay = 0.5
    public var maxDelay = 20.0

    public init(maxAttempts: Int = 4, baseDelay: Double = 0.5, maxDelay: Double = 20.0) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Exponential backoff with full jitter; a server's `Retry-After` (seconds) wins, up to `maxDelay`.
    func delay(afterAttempt attempt: Int, retryAfter: String?) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingSpaces) { return min(max(0, seconds), maxDelay) }
        let ceiling = min(maxDelay, baseDelay * Double(1 << min(attempt, 16)))
        return Double.random(in: 0...ceiling)
    }
}
