/// The rules about where a file goes rather than what it holds: shared storage, the upload target, checksums.
extension VerifyState {

    mutating func checkSharedFree() {
        guard profile == .huaweiShareApp || profile == .huaweiShareFile else { return }
        guard let free = options.sharedFreeBytes else {
            report.rules.append(
                RuleResult(id: "shared-free", status: .skip, detail: "not checked: give --shared-free BYTES"))
            return
        }
        let needed = report.size * 2
        report.rules.append(
            free > needed
                ? RuleResult(
                    id: "shared-free", status: .pass,
                    detail: "\(formatBytes(free)) free > 2 × \(formatBytes(report.size))")
                : RuleResult(
                    id: "shared-free", status: .fail,
                    detail:
                        "\(formatBytes(free)) free, but the shared storage must have more than twice the tar (\(formatBytes(needed)))"
                ))
    }

    mutating func checkDestination() {
        guard let url = options.destination else {
            report.rules.append(RuleResult(id: "destination", status: .skip, detail: "not checked: give --to URL"))
            return
        }
        let problems = profile.destinationProblems(url)
        report.rules.append(
            problems.isEmpty
                ? RuleResult(id: "destination", status: .pass, detail: "\(url) is a valid upload target")
                : RuleResult(id: "destination", status: .fail, detail: problems.joined(separator: "; ")))
    }

    mutating func checkChecksum() throws(PhonePackError) {
        var expected = options.expectedSHA256?.lowercased()
        var expectedSize: Int64?
        if let path = options.manifestPath {
            let manifest = try BuildManifest.read(path: path)
            expected = expected ?? manifest.archive.sha256
            expectedSize = manifest.archive.size
        }
        guard let expected else {
            let result =
                switch options.checksum {
                case .compute:
                    RuleResult(
                        id: "checksum", status: .skip, detail: "not checked: give --sha256 HEX or --manifest FILE")
                case .written(let sha256):
                    RuleResult(
                        id: "checksum", status: .pass, detail: "SHA-256 \(sha256), computed as the file was written")
                case .notNeeded:
                    RuleResult(id: "checksum", status: .skip, detail: "not computed")
                }
            report.rules.append(result)
            return
        }
        let actual = report.sha256 ?? ""
        if let expectedSize, expectedSize != report.size {
            report.rules.append(
                RuleResult(
                    id: "checksum", status: .fail,
                    detail: "size \(report.size) differs from the manifest's \(expectedSize)"))
        } else if actual == expected {
            report.rules.append(RuleResult(id: "checksum", status: .pass, detail: "SHA-256 \(actual)"))
        } else {
            report.rules.append(
                RuleResult(id: "checksum", status: .fail, detail: "SHA-256 is \(actual), expected \(expected)"))
        }
    }
}

extension VerifyProfile {
    /// Why the cloud would refuse `url` as where this profile's file goes (empty when it would not): checked by
    /// `verify --to`, and by `release` before anything is built or sent.
    public func destinationProblems(_ url: ObjectURL) -> [String] {
        var problems: [String] = []
        switch self {
        case .huaweiShareApp, .huaweiShareFile, .huaweiPushFile:
            if url.scheme != .obs { problems.append("CPH reads from OBS: use obs://bucket/key") }
            if let v = FieldRules.obsBucketName(url.bucket).violation {
                problems.append("bucket_name \(url.bucket): \(v)")
            }
            if let v = FieldRules.cphObjectPath(url.key).violation { problems.append("object_path \(url.key): \(v)") }
            if self == .huaweiPushFile, let v = FieldRules.cphPushFileContent(url.description).violation {
                problems.append("content \(url): \(v)")
            }
            if !url.key.hasSuffix(".tar") { problems.append("object_path must name a .tar") }
        case .alibabaSendFile:
            if url.scheme != .oss { problems.append("Cloud Phone reads from OSS: use oss://bucket/key") }
            if let v = FieldRules.cloudPhoneBucketName(url.bucket).violation {
                problems.append("bucket \(url.bucket): \(v)")
            }
            if let v = FieldRules.ossObjectKey(url.key).violation { problems.append("key \(url.key): \(v)") }
        }
        return problems
    }
}
