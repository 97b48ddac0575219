import CLinuxExtras
import Glibc

/// Hands a value that is not `Sendable` to other threads when the code guarantees safe use: each worker gets its
/// own element, or the value is thread-safe at the C level (`pread`/`pwrite` on one descriptor).
package struct UncheckedSendable<Value>: @unchecked Sendable {
    public var value: Value
    public init(_ value: Value) { self.value = value }
}
