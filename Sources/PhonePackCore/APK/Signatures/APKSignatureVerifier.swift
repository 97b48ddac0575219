import Glibc

/// What an APK's signatures say, for every Android version from the APK's minSdkVersion up: the verdict
/// `apksigner verify` gives, the schemes present and verified, the signer Android will know the app by, and the
/// key's rotation history.
public struct APKSignatureReport: Sendable, Codable, Equatable {
    public struct Scheme: Sendable, Codable, Equatable {
        /// `v1`, `v2`, `v3`, `v3.1`.
        public var name: String
        public var verified: Bool
    }

    public var verified: Bool
    /// The schemes found in the APK, oldest first, each verified or not (a scheme Android does not need for
    /// the APK's SDK range is found but not verified).
    public var schemes: [Scheme]
    /// The certificates Android knows the app by: v3.1's / v3's newest signer, else v2's, else v1's.
    public var signers: [SigningCertificate]
    /// With a rotated key: every certificate from the first to the current, oldest first; else empty.
    public var lineage: [SigningCertificate]
    /// Why it does not verify.
    public var failure: APKSignatureFailure?

    /// Whether an update signed this way is accepted over an app installed with `installed` as its signer: the
    /// same certificate, or a lineage that names it.
    public func accepts(installedSigner installed: String) -> Bool {
        signers.contains { $0.sha256 == installed } || lineage.contains { $0.sha256 == installed }
    }

    /// Whether the APK verifies with a v2 or later scheme.
    public var hasV2OrLater: Bool { schemes.contains { $0.verified && $0.name != "v1" } }
}

/// Verifies an APK's signatures as `apksigner verify` does (and Android on every version in the APK's range):
/// v3.1 and v3 when present; v2 where the range includes Android 7–8.1 or nothing newer verified; v1 (JAR) where
/// it includes Android before 7 or nothing newer verified; the schemes' signers consistent; targetSdkVersion
/// 30 and up signed with v2 or later. Content digests are computed once, in parallel, for all schemes.
public enum APKSignatureVerifier {
    static let sdkN = 24, sdkP = 28, sdkR = 30, sdkT = 33
    static let maxSdk = Int(Int32.max)

    public static func verify(
        file: OpenFile, offset: Int64 = 0, length: Int64, minSdk: Int?, targetSdk: Int?,
        targetSandboxVersion: Int? = nil, workers: Int = defaultWorkers
    ) -> APKSignatureReport {
        var report = APKSignatureReport(verified: false, schemes: [], signers: [], lineage: [], failure: nil)
        do throws(APKSignatureFailure) {
            try run(
                file: file, offset: offset, length: length, minSdk: max(minSdk ?? 1, 1), targetSdk: targetSdk,
                targetSandboxVersion: targetSandboxVersion, workers: workers, into: &report)
            report.verified = true
        } catch {
            report.failure = error
        }
        return report
    }

    public static var defaultWorkers: Int { max(1, min(4, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }

    private static func run(
        file: OpenFile, offset: Int64, length: Int64, minSdk: Int, targetSdk: Int?, targetSandboxVersion: Int?,
        workers: Int, into report: inout APKSignatureReport
    ) throws(APKSignatureFailure) {
        let layout = try APKLayout.read(file, offset: offset, length: length)
        var digests = DigestCache(digester: ContentDigests(layout: layout, file: file), workers: workers)
        var found: Set<UInt32> = []  // 2, 3, 31
        var v31: [BlockSigner] = []
        var v3: [BlockSigner] = []
        var v2: [BlockSigner] = []
        var v1: [JARSignature.Signer] = []

        func present(_ scheme: String) { report.schemes.append(.init(name: scheme, verified: false)) }
        func verified(_ scheme: String) {
            if let index = report.schemes.firstIndex(where: { $0.name == scheme }) {
                report.schemes[index].verified = true
            }
        }
        // Report order: oldest scheme first.
        let entries = try layout.centralDirectory(file)
        let hasV1 = entries.contains { $0.name == Array("META-INF/MANIFEST.MF".utf8) }
        if hasV1 { present("v1") }
        if layout.value(APKLayout.v2BlockID) != nil { present("v2") }
        if layout.value(APKLayout.v3BlockID) != nil { present("v3") }
        if layout.value(APKLayout.v31BlockID) != nil { present("v3.1") }

        var rotationMinSdk: Int?
        if let value = layout.value(APKLayout.v31BlockID) {
            v31 = try BlockScheme.v31.signers(in: value, sdkRange: max(minSdk, sdkT)...maxSdk)
            try digests.check(v31, scheme: .v31)
            found.insert(31)
            rotationMinSdk = v31.map(\.minSdk).min()
            verified("v3.1")
        }
        if let value = layout.value(APKLayout.v3BlockID) {
            let upper = rotationMinSdk.map { $0 - 1 } ?? maxSdk
            v3 = try BlockScheme.v3.signers(in: value, sdkRange: max(minSdk, sdkP)...max(upper, max(minSdk, sdkP)))
            try digests.check(v3, scheme: .v3)
            for signer in v3 {
                if let wanted = signer.rotationMinSdk, wanted != rotationMinSdk {
                    throw APKSignatureFailure(
                        .stripped, scheme: "v3",
                        "the v3 signer says a v3.1 signature starts at SDK \(wanted), but there is \(rotationMinSdk.map { "one starting at \($0)" } ?? "none") (stripped?)"
                    )
                }
            }
            found.insert(3)
            verified("v3")
        } else if found.contains(31) {
            throw APKSignatureFailure(
                .stripped, scheme: "v3.1", "a v3.1 signature needs a v3 one beside it; there is none")
        }
        if minSdk < sdkP || found.isEmpty, let value = layout.value(APKLayout.v2BlockID) {
            v2 = try BlockScheme.v2.signers(in: value, sdkRange: max(minSdk, sdkN)...maxSdk)
            for signer in v2 {
                for id in signer.alsoSignedWith where id == 3 && !found.contains(3) {
                    throw APKSignatureFailure(
                        .stripped, scheme: "v2",
                        "the v2 signature says the APK is signed with APK Signature Scheme v3, but there is no such signature (stripped?)"
                    )
                }
            }
            try digests.check(v2, scheme: .v2)
            found.insert(2)
            verified("v2")
        }
        if let targetSandboxVersion, targetSandboxVersion > 1, found.isEmpty {
            throw APKSignatureFailure(
                .schemeTooOld,
                "targetSandboxVersion \(targetSandboxVersion) needs an APK Signature Scheme v2 or later signature")
        }
        if minSdk < sdkN || found.isEmpty {
            v1 = try JARSignature.verify(
                file: file, layout: layout, entries: entries, foundSchemes: found)
            verified("v1")
        }

        // The schemes name one signer.
        if !v1.isEmpty, !v2.isEmpty {
            let v1Set = Set(v1.map(\.certificate.sha256))
            let v2Set = Set(v2.map(\.certificate.sha256))
            guard v1Set == v2Set else {
                throw APKSignatureFailure(.signerMismatch, "the v1 and v2 signatures have different signers")
            }
        }
        let newest = v31.isEmpty ? v3 : v31
        let lineage = (v31 + v3).map(\.lineage).max { $0.count < $1.count } ?? []
        if !v3.isEmpty, let old = v1.first?.certificate ?? v2.first?.certificate {
            if v1.count > 1 || (v1.isEmpty && v2.count > 1) {
                throw APKSignatureFailure(.signerMismatch, "v3 allows one signer, but the older schemes have several")
            }
            if lineage.isEmpty {
                guard v3.count == 1, v3[0].certificate == old else {
                    throw APKSignatureFailure(
                        .signerMismatch, "the v3 signer differs from the v1/v2 signer and has no lineage naming it")
                }
            } else if lineage.first != old {
                throw APKSignatureFailure(
                    .signerMismatch, "the v1/v2 signer is not the first certificate of the v3 lineage")
            }
        }
        if let targetSdk, targetSdk >= sdkR, found.isEmpty {
            throw APKSignatureFailure(
                .schemeTooOld,
                "targetSdkVersion \(targetSdk) needs APK Signature Scheme v2 or later; it is signed with v1 (JAR) only")
        }
        report.lineage = lineage
        if let last = newest.max(by: { $0.maxSdk < $1.maxSdk }) {
            report.signers = [last.certificate]
        } else if !v2.isEmpty {
            report.signers = v2.map(\.certificate)
        } else {
            report.signers = v1.map(\.certificate)
        }
    }

    /// The APK's content digests, computed on first need and kept for the next scheme.
    private struct DigestCache {
        let digester: ContentDigests
        let workers: Int
        var computed: [APKSignatureAlgorithm.Content: [UInt8]] = [:]

        mutating func check(_ signers: [BlockSigner], scheme: BlockScheme) throws(APKSignatureFailure) {
            let needed = Set(signers.flatMap { $0.digests.map(\.content) }).subtracting(computed.keys)
            let chunked = needed.compactMap { content -> DigestAlgorithm? in
                switch content {
                case .chunkedSHA256: .sha256
                case .chunkedSHA512: .sha512
                case .verity: nil
                }
            }
            do throws(APKSignatureFailure) {
                for (algorithm, value) in try digester.chunked(chunked, workers: workers) {
                    computed[algorithm == .sha256 ? .chunkedSHA256 : .chunkedSHA512] = value
                }
                if needed.contains(.verity) { computed[.verity] = try digester.verity(workers: workers) }
            } catch {
                var named = error
                named.scheme = scheme.rawValue
                throw named
            }
            for signer in signers {
                guard !signer.digests.isEmpty else {
                    throw scheme.failure(.unsupported, "a signer has no content digest Android accepts")
                }
                for (content, value) in signer.digests where computed[content] != value {
                    throw scheme.failure(
                        .digestMismatch,
                        "the APK's contents do not match the signed digest: the file was changed after signing")
                }
            }
        }
    }
}
