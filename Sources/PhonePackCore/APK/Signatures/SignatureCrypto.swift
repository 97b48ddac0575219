import CLibCrypto

/// Why an APK's signature is not what Android accepts: the scheme (`v1`, `v2`, `v3`, `v3.1`, or none for the APK
/// as a whole), a code tests and callers compare, and a sentence naming what is wrong.
public struct APKSignatureFailure: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable {
        /// The ZIP or the signature structures do not parse.
        case malformed
        /// No signature any applicable scheme accepts (INSTALL_PARSE_FAILED_NO_CERTIFICATES).
        case unsigned
        /// A signature over the signed data does not verify with the signer's key.
        case signatureInvalid
        /// The APK's bytes are not the ones that were signed.
        case digestMismatch
        /// A signer's certificate and its public key disagree, or the schemes name different signers.
        case signerMismatch
        /// A scheme the APK says it was signed with (stripping protection) is missing.
        case stripped
        /// An algorithm, or a digest, Android does not accept for the SDK range.
        case unsupported
        /// The proof-of-rotation lineage does not verify or does not end at the signer.
        case lineage
        /// targetSdkVersion 30 or higher with no v2 or later signature.
        case schemeTooOld
    }

    public var scheme: String?
    public var code: Code
    public var message: String

    public init(_ code: Code, scheme: String? = nil, _ message: String) {
        self.code = code
        self.scheme = scheme
        self.message = message
    }

    static func malformed(_ message: String) -> APKSignatureFailure { APKSignatureFailure(.malformed, message) }

    public var description: String { (scheme.map { "\($0) signature: " } ?? "") + message }
}

/// The signature algorithms of APK Signature Schemes v2 and v3, by their wire ids.
enum APKSignatureAlgorithm: UInt32, Sendable {
    case rsaPSSSHA256 = 0x0101
    case rsaPSSSHA512 = 0x0102
    case rsaPKCS1SHA256 = 0x0103
    case rsaPKCS1SHA512 = 0x0104
    case ecdsaSHA256 = 0x0201
    case ecdsaSHA512 = 0x0202
    case dsaSHA256 = 0x0301
    case verityRSAPKCS1SHA256 = 0x0421
    case verityECDSASHA256 = 0x0423
    case verityDSASHA256 = 0x0425

    enum Content: Hashable, Sendable {
        /// SHA-256 or SHA-512 over 1 MiB chunks.
        case chunkedSHA256, chunkedSHA512
        /// The fs-verity Merkle root over 4 KiB pages, then the length.
        case verity
    }

    var content: Content {
        switch self {
        case .rsaPSSSHA512, .rsaPKCS1SHA512, .ecdsaSHA512: .chunkedSHA512
        case .verityRSAPKCS1SHA256, .verityECDSASHA256, .verityDSASHA256: .verity
        default: .chunkedSHA256
        }
    }

    /// The digest the signature itself uses.
    var hashName: String { content == .chunkedSHA512 ? "SHA512" : "SHA256" }

    var keyType: Int32 {
        switch self {
        case .rsaPSSSHA256, .rsaPSSSHA512, .rsaPKCS1SHA256, .rsaPKCS1SHA512, .verityRSAPKCS1SHA256: EVP_PKEY_RSA
        case .ecdsaSHA256, .ecdsaSHA512, .verityECDSASHA256: EVP_PKEY_EC
        case .dsaSHA256, .verityDSASHA256: EVP_PKEY_DSA
        }
    }

    var isPSS: Bool { self == .rsaPSSSHA256 || self == .rsaPSSSHA512 }

    /// Verity digests need Android 9 (API 28); the rest Android 7 (API 24), where v2 began.
    var minSdk: Int { content == .verity ? 28 : 24 }
}

/// A public key from its DER SubjectPublicKeyInfo (what v2 and v3 signers carry), owned and freed with it.
final class PublicKey {
    fileprivate let key: OpaquePointer

    init?(der: [UInt8]) {
        var key: OpaquePointer?
        der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            key = d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            ERR_clear_error()
            return nil
        }
        self.key = key
    }

    fileprivate init(adopting key: OpaquePointer) { self.key = key }

    deinit { EVP_PKEY_free(key) }

    var type: Int32 { EVP_PKEY_get_base_id(key) }
    var bits: Int { Int(EVP_PKEY_get_bits(key)) }

    var typeName: String {
        switch type {
        case EVP_PKEY_RSA: "RSA"
        case EVP_PKEY_EC: "EC"
        case EVP_PKEY_DSA: "DSA"
        default: "type \(type)"
        }
    }

    /// The key as DER SubjectPublicKeyInfo.
    var der: [UInt8] {
        let length = i2d_PUBKEY(key, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(key, &cursor)
        }
        return out
    }

    /// Whether `signature` is this key's signature of `data` with `algorithm` (RSA PKCS #1 v1.5 or PSS with the
    /// salt as long as the digest and MGF1 with the same digest, ECDSA, DSA), as Android verifies them.
    func verifies(_ signature: [UInt8], of data: some Collection<UInt8>, with algorithm: APKSignatureAlgorithm) -> Bool
    {
        guard type == algorithm.keyType, let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(context, &keyContext, algorithm.hashName, nil, nil, key, nil) == 1 else {
            return false
        }
        if algorithm.isPSS {
            let saltLength: Int32 = algorithm.hashName == "SHA512" ? 64 : 32
            guard EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1,
                EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, saltLength) == 1,
                EVP_PKEY_CTX_set_rsa_mgf1_md_name(keyContext, algorithm.hashName, nil) == 1
            else { return false }
        }
        let bytes = Array(data)
        return signature.withUnsafeBufferPointer { sig in
            bytes.withUnsafeBufferPointer { message in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, message.baseAddress, message.count) == 1
            }
        }
    }
}

/// An X.509 certificate, parsed from its DER with OpenSSL: only what Android uses of it (the key, the bytes that
/// identify the signer) and what a person wants to see (subject, SHA-256 digest, key algorithm and size).
/// Android checks no chain, no dates and no CA: the certificate is the app's identity.
public struct SigningCertificate: Sendable, Codable, Equatable {
    /// As apksigner prints it (`O=phonepack, CN=…`).
    public var subject: String
    /// SHA-256 of the DER certificate, lowercase hex: apksigner's "certificate SHA-256 digest".
    public var sha256: String
    public var keyAlgorithm: String
    public var keyBits: Int
    /// The DER, base64 (for comparisons and for the release record).
    public var der: String

    /// The DER SubjectPublicKeyInfo of its key, or `nil` when OpenSSL cannot read the certificate or its key.
    let publicKeyDER: [UInt8]?

    private enum CodingKeys: String, CodingKey { case subject, sha256, keyAlgorithm, keyBits, der }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        subject = try container.decode(String.self, forKey: .subject)
        sha256 = try container.decode(String.self, forKey: .sha256)
        keyAlgorithm = try container.decode(String.self, forKey: .keyAlgorithm)
        keyBits = try container.decode(Int.self, forKey: .keyBits)
        der = try container.decode(String.self, forKey: .der)
        publicKeyDER = nil
    }

    init?(der bytes: [UInt8]) {
        var parsed: OpaquePointer?
        bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            parsed = d2i_X509(nil, &cursor, buffer.count)
        }
        guard let certificate = parsed else {
            ERR_clear_error()
            return nil
        }
        defer { X509_free(certificate) }
        self.init(certificate, der: bytes)
    }

    /// From an OpenSSL certificate (a JAR signer's).
    init(_ certificate: OpaquePointer, der bytes: [UInt8]? = nil) {
        var encoded = bytes ?? []
        if bytes == nil {
            let length = i2d_X509(certificate, nil)
            if length > 0 {
                encoded = [UInt8](repeating: 0, count: Int(length))
                encoded.withUnsafeMutableBufferPointer { buffer in
                    var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
                    _ = i2d_X509(certificate, &cursor)
                }
            }
        }
        sha256 = Digest.hash(.sha256, encoded).hexString
        der = encoded.base64String
        subject = Self.print(X509_get_subject_name(certificate))
        if let key = X509_get_pubkey(certificate) {
            let publicKey = PublicKey(adopting: key)
            keyAlgorithm = publicKey.typeName
            keyBits = publicKey.bits
            publicKeyDER = publicKey.der
        } else {
            keyAlgorithm = "unknown"
            keyBits = 0
            publicKeyDER = nil
        }
        ERR_clear_error()
    }

    public static func == (a: SigningCertificate, b: SigningCertificate) -> Bool { a.der == b.der }

    private static func print(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, phonepack_dn_print_flags()) >= 0 else { return "" }
        var data: UnsafeMutablePointer<CChar>?
        let length = phonepack_bio_contents(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }
}
