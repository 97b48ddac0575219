/// The rules about whether the phones will install the APKs: their signatures (`signature`), what else
/// PackageManager refuses (`installable`), and continuity with what is installed (`upgrade`).
extension VerifyState {
    mutating func checkInstallable(base: (name: String, info: APKInfo), splits: [(name: String, info: APKInfo)]) {
        let apks = [base] + splits
        // signature: every APK verifies (apksigner's verdict), the base's signer shown.
        var signatureProblems: [InstallProblem] = []
        var other: [InstallProblem] = []
        for apk in apks {
            for problem in InstallRules.problems(of: apk.info, named: apk.name, target: options.install) {
                if problem.code == InstallRules.noCertificates {
                    signatureProblems.append(problem)
                } else {
                    other.append(problem)
                }
            }
        }
        report.rules.append(result("signature", signatureProblems, pass: signatureSummary(base.info)))
        other += InstallRules.problems(base: base, splits: splits)
        let abis = options.install.abis?.joined(separator: ", ") ?? "arm64-v8a"
        let level = options.install.apiLevel.map { "API \($0)" } ?? "any API level from minSdkVersion up"
        report.rules.append(
            result(
                "installable", other,
                pass:
                    "\(apks.count == 1 ? "the APK installs" : "\(apks.count) APKs install") on \(abis) phones of \(level) (alignment, ABIs, SDK, testOnly\(splits.isEmpty ? "" : ", splits"))"
            ))
        if let installed = options.upgradeFrom {
            let problems = InstallRules.upgradeProblems(
                APKIdentity(base.info), named: base.name, over: installed, allowDowngrade: options.allowDowngrade,
                allowSignerChange: options.allowSignerChange)
            let old = installed.versionCode.map(String.init) ?? "unknown"
            let new = base.info.versionCode.map(String.init) ?? "unknown"
            report.rules.append(
                result(
                    "upgrade", problems,
                    pass:
                        "updates \(installed.packageName) \(old) → \(new), \(base.info.signature?.signers.first?.sha256 == installed.signerSHA256 ? "same signer" : "signer rotated from the installed one (lineage)")"
                ))
        }
    }

    private func signatureSummary(_ info: APKInfo) -> String {
        guard let signature = info.signature, let signer = signature.signers.first else { return "signed" }
        let schemes = signature.schemes.filter(\.verified).map(\.name).joined(separator: ", ")
        let rotated = signature.lineage.count > 1 ? ", rotated from \(signature.lineage[0].sha256)" : ""
        return "\(schemes) verified; signer \(signer.subject), SHA-256 \(signer.sha256)\(rotated)"
    }

    /// Fails with each problem as an offender (`APK!entry: INSTALL_…: what (fix: …)`); warnings alone warn.
    private func result(_ id: String, _ problems: [InstallProblem], pass: String) -> RuleResult {
        guard !problems.isEmpty else { return RuleResult(id: id, status: .pass, detail: pass) }
        let failing = problems.contains { !$0.isWarning }
        let offenders = problems.prefix(RuleResult.offenderLimit).map {
            RuleResult.Offender(entry: $0.location, reason: $0.line)
        }
        let codes = Set(problems.map(\.code)).sorted().joined(separator: ", ")
        return RuleResult(
            id: id, status: failing ? .fail : .warn,
            detail:
                "\(problems.count) \(problems.count == 1 ? "problem" : "problems") a phone would report as \(codes)",
            offenders: Array(offenders), offenderCount: problems.count)
    }
}
