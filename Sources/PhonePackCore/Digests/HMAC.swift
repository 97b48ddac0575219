import CLibCrypto
import FoundationEssentials

/// HMAC over OpenSSL 3's `EVP_MAC` (HMAC_CTX is deprecated), for request signing.
public enum HMAC {
    /// `EVP_MAC` objects are immutable once fetched; sharing one across threads is safe.
    private final class FetchedMAC: @unchecked Sendable {
        let mac = EVP_MAC_fetch(nil, "HMAC", nil)!
    }
    private static let fetched = FetchedMAC()

    /// The MAC of `message` under `key`.
    public static func authenticate(_ algorithm: DigestAlgorithm, key: [UInt8], message: [UInt8]) -> [UInt8] {
        let context = EVP_MAC_CTX_new(fetched.mac)!
        defer { EVP_MAC_CTX_free(context) }
        let name = algorithm.openSSLName
        // OSSL_PARAM keeps a pointer to the name, so init must run inside the scope that keeps it alive.
        name.withCString { namePointer in
            var params = [
                OSSL_PARAM_construct_utf8_string("digest", UnsafeMutablePointer(mutating: namePointer), 0),
                OSSL_PARAM_construct_end(),
            ]
            // An empty key still needs a valid pointer (OpenSSL refuses NULL): one byte, of which 0 are used.
            let material = key.isEmpty ? [UInt8(0)] : key
            let status = material.withUnsafeBufferPointer { keyBytes in
                EVP_MAC_init(context, keyBytes.baseAddress, key.count, &params)
            }
            precondition(status == 1, "EVP_MAC_init failed")
        }
        message.withUnsafeBufferPointer { bytes in
            precondition(EVP_MAC_update(context, bytes.baseAddress, bytes.count) == 1, "EVP_MAC_update failed")
        }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length = 0
        precondition(EVP_MAC_final(context, &out, &length, out.count) == 1, "EVP_MAC_final failed")
        return Array(out.prefix(length))
    }

    public static func authenticate(_ algorithm: DigestAlgorithm, key: [UInt8], message: String) -> [UInt8] {
        authenticate(algorithm, key: key, message: Array(message.utf8))
    }
}

extension Sequence<UInt8> {
    /// Standard base64 with padding (RFC 4648), as Content-MD5 and the HMAC-SHA1 signatures use.
    public var base64String: String { Data(self).base64EncodedString() }
}

extension Digest {
    /// `Content-MD5` of `bytes`: base64 of the raw 16-byte MD5 (RFC 1864).
    public static func contentMD5(_ bytes: some Sequence<UInt8>) -> String {
        hash(.md5, bytes).base64String
    }

    /// The ETag OBS and S3 give a completed multipart object: MD5 of the parts' binary MD5s, `-`, part count.
    public static func multipartETag(partMD5s: [[UInt8]]) -> String {
        "\(hash(.md5, partMD5s.flatMap { $0 }).hexString)-\(partMD5s.count)"
    }
}
