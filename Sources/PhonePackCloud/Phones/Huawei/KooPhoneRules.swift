import PhonePackCore

/// KooPhone's documented limits, checked before sending.
public enum KooPhoneRules {
    /// Instance ids per call. The current page allows 100, an earlier one 32; phonepack batches at 32 so
    /// either version of the service accepts every call.
    public static let maxInstancesPerCall = 32
    public static let maxCommandBytes = 1024

    public static func check(command: String, instanceIDs: [String]) -> FieldCheck {
        guard (1...maxCommandBytes).contains(command.utf8.count) else {
            return FieldCheck(violation: "command must be 1..\(maxCommandBytes) bytes (it is \(command.utf8.count))")
        }
        guard (1...100).contains(instanceIDs.count) else {
            return FieldCheck(violation: "instance_ids must list 1..100 ids")
        }
        if let bad = instanceIDs.first(where: { $0.isEmpty || $0.count > 32 }) {
            return FieldCheck(violation: "instance id '\(bad)' must be 1..32 characters")
        }
        return FieldCheck(violation: nil)
    }
}
