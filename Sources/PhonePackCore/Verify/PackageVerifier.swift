/// Checks a file against what a cloud API accepts, in one streaming pass that also computes its SHA-256 on a
/// second thread. Nothing is extracted: the APK inside a tar is read in place from its byte range.
public enum PackageVerifier {
    /// PushFile's documented maximum tar size ("6 GB"; read as GiB, the larger reading, since the service
    /// rejects above it and we must not reject what it accepts).
    static let pushFileLimit: Int64 = 6 << 30

    public static func verify(path: String, options: VerifyOptions) throws(PhonePackError) -> VerifyReport {
        let file = try OpenFile.forReading(path)
        let kind = try FileKind.sniff(file)
        let size = try file.status().size
        var state = VerifyState(options: options, file: file, size: size)
        if options.profile == .alibabaSendFile && kind != .tar {
            try state.checkPlainFile(isAPK: kind == .zip)
        } else if let advice = kind.notPlainTarAdvice {
            state.report.rules.append(RuleResult(id: "tar-format", status: .fail, detail: advice))
            state.skipArchiveRules(because: "not a tar")
            state.report.sha256 = try hashWholeFile(file)
        } else {
            try state.scanTar()
        }
        state.checkSharedFree()
        state.checkDestination()
        try state.checkChecksum()
        state.report.passed = !state.report.rules.contains { $0.status == .fail }
        return state.report
    }

    static func hashWholeFile(_ file: OpenFile) throws(PhonePackError) -> String {
        try ReadAhead(file: file, hashing: true).finish()!.hexString
    }
}
