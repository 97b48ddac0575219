/// APK Signature Schemes v2, v3 and v3.1: the signers in a block of the APK Signing Block, each verified as Android
/// verifies it (the signatures over the signed data with the signer's key, the certificate's key equal to that
/// key, the algorithms of the signatures and of the digests the same, v3's SDK ranges and proof-of-rotation
/// lineage). What the signers say of the APK's bytes (their content digests) is returned, to be compared with
/// the digests of the APK once for all schemes.
enum BlockScheme: String, Sendable {
    case v2, v3, v31 = "v3.1"

    var blockID: UInt32 {
        switch self {
        case .v2: APKLayout.v2BlockID
        case .v3: APKLayout.v3BlockID
        case .v31: APKLayout.v31BlockID
        }
    }

    /// Attributes of signed data.
    static let strippingProtectionID: UInt32 = 0xbeef_f00d
    static let proofOfRotationID: UInt32 = 0x3ba0_6f8c
    static let rotationMinSdkID: UInt32 = 0x559f_8b02
    static let rotationOnDevReleaseID: UInt32 = 0xc2a6_b3ba
}

/// One signer of a block, verified except for its content digests.
struct BlockSigner {
    var certificate: SigningCertificate
    var minSdk = 0
    var maxSdk = Int(Int32.max)
    /// The content digests this signer's verified signatures vouch for, by kind.
    var digests: [(content: APKSignatureAlgorithm.Content, value: [UInt8])] = []
    /// v2's stripping protection: the scheme ids (3 for v3) the APK was also signed with.
    var alsoSignedWith: [UInt32] = []
    /// v3's proof-of-rotation: the certificates from the oldest to this signer's, when the key was rotated.
    var lineage: [SigningCertificate] = []
    /// v3: the rotation-min-sdk attribute (the v3.1 block's first SDK), when there is one.
    var rotationMinSdk: Int?
}

extension BlockScheme {
    /// The block's signers, each with its signatures verified; throws on the first problem, naming it.
    func signers(in value: [UInt8], sdkRange: ClosedRange<Int>) throws(APKSignatureFailure) -> [BlockSigner] {
        do {
            return try parseSigners(value, sdkRange: sdkRange)
        } catch {
            var named = error
            named.scheme = rawValue
            throw named
        }
    }

    private func parseSigners(_ value: [UInt8], sdkRange: ClosedRange<Int>) throws(APKSignatureFailure) -> [BlockSigner]
    {
        var block = ByteCursor(value, what: "\(rawValue) block")
        var list = try block.lengthPrefixed()
        guard !list.isEmpty else { throw failure(.unsigned, "the block has no signers") }
        var signers: [BlockSigner] = []
        var index = 0
        while !list.isEmpty {
            index += 1
            var cursor = try list.lengthPrefixed()
            signers.append(try signer(&cursor, number: index))
        }
        if self != .v2 { try checkRanges(signers, sdkRange: sdkRange) }
        return signers
    }

    private func signer(_ cursor: inout ByteCursor, number: Int) throws(APKSignatureFailure) -> BlockSigner {
        let signedData = try cursor.lengthPrefixedBytes()
        var outerMin = 0
        var outerMax = Int(Int32.max)
        if self != .v2 {
            outerMin = Int(try cursor.u32())
            outerMax = Int(try cursor.u32())
            guard outerMin <= outerMax, outerMax <= Int(Int32.max) else {
                throw failure(.malformed, "signer #\(number) has an invalid SDK range \(outerMin)–\(outerMax)")
            }
        }
        var signaturesCursor = try cursor.lengthPrefixed()
        let publicKeyDER = try cursor.lengthPrefixedBytes()
        var signatures: [(id: UInt32, bytes: [UInt8])] = []
        while !signaturesCursor.isEmpty {
            var record = try signaturesCursor.lengthPrefixed()
            let id = try record.u32()
            signatures.append((id, try record.lengthPrefixedBytes()))
        }
        guard !signatures.isEmpty else { throw failure(.unsigned, "signer #\(number) has no signatures") }
        let known = signatures.compactMap { entry in APKSignatureAlgorithm(rawValue: entry.id).map { ($0, entry.bytes) }
        }
        guard !known.isEmpty else {
            throw failure(
                .unsupported,
                "signer #\(number) has no signature with an algorithm Android accepts (ids \(signatures.map { hex($0.id) }.joined(separator: ", ")))"
            )
        }
        guard let key = PublicKey(der: publicKeyDER) else {
            throw failure(.malformed, "signer #\(number)'s public key is not a valid SubjectPublicKeyInfo")
        }
        for (algorithm, bytes) in known where !key.verifies(bytes, of: signedData, with: algorithm) {
            throw failure(
                .signatureInvalid,
                "signer #\(number)'s \(algorithm.name) signature over its signed data does not verify")
        }

        // The signatures hold: the signed data can be trusted and parsed.
        var data = ByteCursor(signedData, what: "\(rawValue) signed data")
        var digestsCursor = try data.lengthPrefixed()
        var certificatesCursor = try data.lengthPrefixed()
        if self != .v2 {
            let signedMin = Int(try data.u32())
            let signedMax = Int(try data.u32())
            guard signedMin == outerMin, signedMax == outerMax else {
                throw failure(
                    .signatureInvalid,
                    "signer #\(number)'s SDK range \(outerMin)–\(outerMax) differs from its signed range \(signedMin)–\(signedMax)"
                )
            }
        }
        var attributesCursor = try data.lengthPrefixed()
        var certificates: [SigningCertificate] = []
        while !certificatesCursor.isEmpty {
            let der = try certificatesCursor.lengthPrefixedBytes()
            guard let certificate = SigningCertificate(der: der) else {
                throw failure(
                    .malformed, "signer #\(number)'s certificate #\(certificates.count + 1) is not valid X.509")
            }
            certificates.append(certificate)
        }
        guard let certificate = certificates.first else {
            throw failure(.unsigned, "signer #\(number) has no certificate")
        }
        guard certificate.publicKeyDER == key.der else {
            throw failure(.signerMismatch, "signer #\(number)'s certificate holds another key than the one that signed")
        }
        var digestRecords: [(id: UInt32, bytes: [UInt8])] = []
        while !digestsCursor.isEmpty {
            var record = try digestsCursor.lengthPrefixed()
            let id = try record.u32()
            digestRecords.append((id, try record.lengthPrefixedBytes()))
        }
        guard digestRecords.map(\.id) == signatures.map(\.id) else {
            throw failure(
                .signatureInvalid, "signer #\(number)'s digests and signatures name different algorithms")
        }
        var signer = BlockSigner(certificate: certificate, minSdk: outerMin, maxSdk: outerMax)
        for (algorithm, _) in known {
            guard let record = digestRecords.first(where: { $0.id == algorithm.rawValue }) else { continue }
            signer.digests.append((algorithm.content, record.bytes))
        }
        while !attributesCursor.isEmpty {
            var attribute = try attributesCursor.lengthPrefixed()
            let id = try attribute.u32()
            let value = Array(attribute.rest)
            switch (self, id) {
            case (.v2, Self.strippingProtectionID):
                guard value.count >= 4 else { throw failure(.malformed, "a stripping-protection attribute is short") }
                signer.alsoSignedWith.append(le32(value, 0))
            case (.v3, Self.proofOfRotationID), (.v31, Self.proofOfRotationID):
                signer.lineage = try lineage(value, signer: certificate)
            case (.v3, Self.rotationMinSdkID):
                guard value.count >= 4 else { throw failure(.malformed, "a rotation-min-sdk attribute is short") }
                signer.rotationMinSdk = Int(le32(value, 0))
            default:
                break  // Unknown attributes are warnings for apksig, ignored by Android.
            }
        }
        return signer
    }

    /// A proof-of-rotation: version 1, then nodes (signed data [certificate, the algorithm its parent signed it
    /// with], flags, the algorithm this node signs its child with, the parent's signature), each node signed by the
    /// one before it, every certificate different, the last one the signer's.
    private func lineage(_ value: [UInt8], signer: SigningCertificate) throws(APKSignatureFailure)
        -> [SigningCertificate]
    {
        var cursor = ByteCursor(value, what: "proof-of-rotation")
        let version = try cursor.u32()
        guard version == 1 else { throw failure(.lineage, "the proof-of-rotation has unknown version \(version)") }
        var certificates: [SigningCertificate] = []
        var parentKey: PublicKey?
        var parentAlgorithm: UInt32 = 0
        while !cursor.isEmpty {
            let number = certificates.count + 1
            var node = try cursor.lengthPrefixed()
            let signedData = try node.lengthPrefixedBytes()
            _ = try node.u32()  // flags (capabilities)
            let childAlgorithm = try node.u32()
            let signature = try node.lengthPrefixedBytes()
            var data = ByteCursor(signedData, what: "proof-of-rotation node")
            let der = try data.lengthPrefixedBytes()
            let signedAlgorithm = try data.u32()
            if let parentKey {
                guard let algorithm = APKSignatureAlgorithm(rawValue: parentAlgorithm) else {
                    throw failure(
                        .lineage,
                        "certificate #\(number) of the lineage is signed with unknown algorithm \(hex(parentAlgorithm))"
                    )
                }
                guard parentAlgorithm == signedAlgorithm else {
                    throw failure(
                        .lineage, "certificate #\(number) of the lineage names another algorithm than its parent used")
                }
                guard parentKey.verifies(signature, of: signedData, with: algorithm) else {
                    throw failure(
                        .lineage, "certificate #\(number) of the lineage is not signed by the certificate before it")
                }
            }
            guard let certificate = SigningCertificate(der: der), let keyDER = certificate.publicKeyDER,
                let key = PublicKey(der: keyDER)
            else {
                throw failure(.lineage, "certificate #\(number) of the lineage is not valid X.509")
            }
            guard !certificates.contains(certificate) else {
                throw failure(.lineage, "certificate #\(number) of the lineage appears twice")
            }
            certificates.append(certificate)
            parentKey = key
            parentAlgorithm = childAlgorithm
        }
        guard certificates.last == signer else {
            throw failure(.lineage, "the lineage does not end at the signer's certificate")
        }
        return certificates
    }

    /// v3 signers: one per SDK range, the ranges adjacent, covering the APK's whole range (up to the v3.1 block's
    /// first SDK when there is one), lineages only growing.
    private func checkRanges(_ signers: [BlockSigner], sdkRange: ClosedRange<Int>) throws(APKSignatureFailure) {
        let sorted = signers.sorted { $0.maxSdk < $1.maxSdk }
        for (previous, next) in zip(sorted, sorted.dropFirst()) {
            guard next.minSdk == previous.maxSdk + 1 else {
                throw failure(.signatureInvalid, "its signers' SDK ranges overlap or leave a gap")
            }
            guard next.lineage.count >= previous.lineage.count else {
                throw failure(.lineage, "a signer for newer Android versions has a shorter lineage")
            }
        }
        guard let first = sorted.first, let last = sorted.last, first.minSdk <= sdkRange.lowerBound,
            last.maxSdk >= sdkRange.upperBound
        else {
            let covered = sorted.first.map { "\($0.minSdk)–\(sorted.last!.maxSdk)" } ?? "nothing"
            throw failure(
                .signatureInvalid,
                "its signers cover SDK \(covered), not all of \(sdkRange.lowerBound)–\(sdkRange.upperBound)")
        }
    }

    func failure(_ code: APKSignatureFailure.Code, _ message: String) -> APKSignatureFailure {
        APKSignatureFailure(code, scheme: rawValue, message)
    }
}

func hex(_ value: UInt32) -> String {
    "0x" + String(value, radix: 16, uppercase: false)
}

extension APKSignatureAlgorithm {
    var name: String {
        switch self {
        case .rsaPSSSHA256: "RSASSA-PSS/SHA-256"
        case .rsaPSSSHA512: "RSASSA-PSS/SHA-512"
        case .rsaPKCS1SHA256: "RSA PKCS#1 v1.5/SHA-256"
        case .rsaPKCS1SHA512: "RSA PKCS#1 v1.5/SHA-512"
        case .ecdsaSHA256: "ECDSA/SHA-256"
        case .ecdsaSHA512: "ECDSA/SHA-512"
        case .dsaSHA256: "DSA/SHA-256"
        case .verityRSAPKCS1SHA256: "RSA PKCS#1 v1.5/verity SHA-256"
        case .verityECDSASHA256: "ECDSA/verity SHA-256"
        case .verityDSASHA256: "DSA/verity SHA-256"
        }
    }
}
