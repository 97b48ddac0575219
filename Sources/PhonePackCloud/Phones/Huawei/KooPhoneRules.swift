import PhonePackCore

/// KooPhone's documented limits, checked before sending.
public enum KooPhoneRules {
    /// Instance ids per call. The current page allows 100, an earlier one 32; phonepack batches at 32 so
    /// either version of the service accepts every call.
    public static let maxInstancesPerCall = 32
    static let maxCommandBytes = 1024

    /// Throws the "nothing was sent" error when the command or the ids break the documented rules.
    public static func check(command: String, instanceIDs: [String]) throws(PhonePackError) {
        guard (1...maxCommandBytes).contains(command.utf8.count) else {
            throw .ruleViolation(
                field: "command", value: "\(command.utf8.count) bytes", rule: "must be 1..\(maxCommandBytes) bytes")
        }
        guard (1...100).contains(instanceIDs.count) else {
            throw .ruleViolation(field: "instance_ids", value: "\(instanceIDs.count) ids", rule: "must list 1..100 ids")
        }
        if let bad = instanceIDs.first(where: { $0.isEmpty || $0.count > 32 }) {
            throw .ruleViolation(field: "instance_ids", value: bad, rule: "an instance id is 1..32 characters")
        }
    }
}
