import CLibCrypto

/// The message digests phonepack needs, computed with OpenSSL 3's EVP interface (SHA-NI / AVX2 code paths, about
/// twice as fast as coreutils' `sha256sum`).
public enum DigestAlgorithm: Sendable {
    case sha256
    case md5
    case sha1
    /// APK signatures (v2/v3 chunked SHA-512 digests, JAR `SHA-384-Digest`/`SHA-512-Digest`).
    case sha384, sha512

    /// The name OpenSSL fetches it by.
    public var openSSLName: String {
        switch self {
        case .sha256: "SHA256"
        case .md5: "MD5"
        case .sha1: "SHA1"
        case .sha384: "SHA384"
        case .sha512: "SHA512"
        }
    }

    fileprivate var evp: OpaquePointer {
        switch self {
        case .sha256: fetchedDigests.sha256
        case .md5: fetchedDigests.md5
        case .sha1: fetchedDigests.sha1
        case .sha384: fetchedDigests.sha384
        case .sha512: fetchedDigests.sha512
        }
    }
}

/// OpenSSL 3 `EVP_MD` objects are immutable once fetched, so sharing them between threads is safe; fetching once
/// avoids the implicit fetch that `EVP_sha256()` would repeat on every `EVP_DigestInit_ex2`.
private final class FetchedDigests: @unchecked Sendable {
    let sha256 = EVP_MD_fetch(nil, "SHA256", nil)!
    let md5 = EVP_MD_fetch(nil, "MD5", nil)!
    let sha1 = EVP_MD_fetch(nil, "SHA1", nil)!
    let sha384 = EVP_MD_fetch(nil, "SHA384", nil)!
    let sha512 = EVP_MD_fetch(nil, "SHA512", nil)!
}

private let fetchedDigests = FetchedDigests()

/// A streaming message digest. Noncopyable because it owns an `EVP_MD_CTX`.
public struct Digest: ~Copyable {
    /// The OpenSSL this process runs with, e.g. "3.0.19".
    public static var libraryVersion: String {
        let full = String(cString: OpenSSL_version(OPENSSL_VERSION))
        return full.split(separator: " ").dropFirst().first.map(String.init) ?? full
    }

    private let context: OpaquePointer
    private let algorithm: DigestAlgorithm

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        context = EVP_MD_CTX_new()!
        precondition(EVP_DigestInit_ex2(context, algorithm.evp, nil) == 1, "EVP_DigestInit_ex2 failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// Returns the digest of everything passed to `update` and starts a new message, so one context can hash many
    /// entries without an allocation per entry.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1, "EVP_DigestFinal_ex failed")
        precondition(EVP_DigestInit_ex2(context, algorithm.evp, nil) == 1, "EVP_DigestInit_ex2 failed")
        return Array(out.prefix(Int(length)))
    }

    /// One-shot digest of a byte sequence.
    public static func hash(_ algorithm: DigestAlgorithm, _ bytes: some Sequence<UInt8>) -> [UInt8] {
        var digest = Digest(algorithm)
        digest.update(bytes)
        return digest.finalize()
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal, the form `sha256sum` prints and OBS/OSS headers use.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Parses lowercase or uppercase hexadecimal; `nil` for odd lengths or non-hex characters.
    public init?(hexString: String) {
        let chars = Array(hexString.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = nibble(chars[index]), let low = nibble(chars[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
