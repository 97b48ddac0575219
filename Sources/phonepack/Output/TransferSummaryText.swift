import ArgumentParser
import PhonePackCloud
import PhonePackCore

extension TransferSummary {
    func print(json: Bool, from source: String, to destination: String) {
        if json {
            Swift.print(JSONOutput.string(self))
            return
        }
        var line =
            "\(operation == "copy" ? "copied" : operation + "ed") \(source) → \(destination): \(formatBytes(bytes)) in "
        line += String(format1(seconds)) + " s (\(format1(mibPerSecond)) MiB/s"
        if multipart { line += ", \(parts) parts" }
        if resumedParts > 0 { line += ", \(resumedParts) resumed" }
        if retries > 0 { line += ", \(retries) retries" }
        line += ")"
        say(line)
        if let delta {
            say(
                "  \(formatBytes(delta.sentBytes)) sent, \(formatBytes(delta.copiedBytes)) copied from \(delta.base)\(delta.resentParts > 0 ? " (\(delta.resentParts) copied parts did not match and were sent)" : "")"
            )
        }
        var checks: [String] = []
        if let etag { checks.append("etag \(etag)") }
        if let crc64 { checks.append("crc64 \(crc64)") }
        if let sha256 { checks.append("sha256 \(sha256)") }
        if !checks.isEmpty { say("  " + checks.joined(separator: "  ")) }
    }
}

func format1(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}
