import PhonePackCore

/// What is stored with an object besides its bytes, as a PUT or the start of a multipart upload carries it:
/// content headers, storage class, ACL, server-side encryption, user metadata, and whether an existing object may
/// be replaced. Names are checked against the store's own (``ObjectStoreClient/checked(_:)``) before anything is
/// sent.
public struct ObjectProperties: Sendable, Equatable, Codable {
    /// `nil`: guessed from the file's name (``MediaType``), else `application/octet-stream`.
    public var contentType: String?
    public var cacheControl: String?
    public var contentDisposition: String?
    public var contentEncoding: String?
    /// In the store's spelling (`STANDARD`, `WARM` on OBS; `Standard`, `IA` on OSS; `STANDARD_IA` on S3).
    public var storageClass: String?
    /// A canned ACL (`private`, `public-read`, …).
    public var acl: String?
    public var encryption: Encryption?
    /// `x-…-meta-NAME` headers, names lower-case.
    public var metadata: [String: String] = [:]
    /// Refuse to replace an object that is already there (`If-None-Match: *`, OSS `x-oss-forbid-overwrite`).
    public var noClobber = false

    public enum Encryption: Sendable, Equatable, Codable {
        /// The store's own keys (SSE-S3, SSE-OBS, OSS-managed).
        case aes256
        /// The cloud's key service, with a key id or the default key.
        case kms(keyID: String?)
    }

    public init() {}

    /// With no content type, the one `name` suggests.
    public func typed(for name: String) -> ObjectProperties {
        var copy = self
        if copy.contentType == nil { copy.contentType = MediaType.guess(for: name) }
        return copy
    }

    /// Whether anything beyond the defaults is asked for (a copy then replaces the source's headers).
    public var replacesHeaders: Bool {
        var plain = ObjectProperties()
        plain.noClobber = noClobber
        return self != plain
    }
}

extension ObjectStoreClient {
    /// The vendor prefix of the headers this endpoint's signature family reads: `x-obs-`, `x-oss-` or `x-amz-`.
    var vendorPrefix: String {
        switch endpoint.signature {
        case .obs: "x-obs-"
        case .oss4, .oss1: "x-oss-"
        case .v4: "x-amz-"
        }
    }

    /// The store's storage classes and canned ACLs, in its spelling.
    var storageClasses: [String] {
        switch (endpoint.store, endpoint.signature) {
        case (.obs, .obs): ["STANDARD", "WARM", "COLD", "DEEP_ARCHIVE", "INTELLIGENT_TIERING"]
        case (.oss, _): ["Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"]
        default:
            [
                "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE",
                "REDUCED_REDUNDANCY",
            ]
        }
    }

    var cannedACLs: [String] {
        switch endpoint.store {
        case .obs:
            [
                "private", "public-read", "public-read-write", "public-read-delivered", "public-read-write-delivered",
                "bucket-owner-full-control",
            ]
        case .oss: ["default", "private", "public-read", "public-read-write"]
        case .s3:
            [
                "private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read",
                "bucket-owner-read", "bucket-owner-full-control",
            ]
        }
    }

    /// `properties` with the storage class and ACL in this store's spelling (case does not matter; OBS's WARM and
    /// COLD become STANDARD_IA and GLACIER when OBS is spoken to with SigV4, as its SDK does), metadata names
    /// lower-cased; a name the store does not know, or metadata a header cannot carry, is refused naming the
    /// choices.
    public func checked(_ properties: ObjectProperties) throws(PhonePackError) -> ObjectProperties {
        var result = properties
        if var storageClass = properties.storageClass {
            if endpoint.store == .obs && endpoint.signature == .v4 {
                storageClass = ["WARM": "STANDARD_IA", "COLD": "GLACIER"][storageClass.uppercased()] ?? storageClass
            }
            guard let known = storageClasses.first(where: { $0.lowercased() == storageClass.lowercased() }) else {
                throw PhonePackError(
                    .invalidInput, operation: "check storage class", path: "--storage-class",
                    message:
                        "\(storageClass.terminalSafe) is not a storage class of \(endpoint.store.rawValue.uppercased()); give one of \(storageClasses.joined(separator: ", "))"
                )
            }
            result.storageClass = known
        }
        if let acl = properties.acl {
            guard let known = cannedACLs.first(where: { $0 == acl.lowercased() }) else {
                throw PhonePackError(
                    .invalidInput, operation: "check ACL", path: "--acl",
                    message:
                        "\(acl.terminalSafe) is not a canned ACL of \(endpoint.store.rawValue.uppercased()); give one of \(cannedACLs.joined(separator: ", "))"
                )
            }
            result.acl = known
        }
        result.metadata = [:]
        for (name, value) in properties.metadata {
            let lower = name.lowercased()
            guard !lower.isEmpty,
                lower.utf8.allSatisfy({
                    ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E
                })
            else {
                throw PhonePackError(
                    .invalidInput, operation: "check metadata", path: "--metadata",
                    message: "\(name.terminalSafe): a metadata name takes letters, digits, '-', '_' and '.' only")
            }
            guard value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw PhonePackError(
                    .invalidInput, operation: "check metadata", path: "--metadata",
                    message:
                        "the value of \(name.terminalSafe) has characters an HTTP header cannot carry as they are; give printable ASCII (percent-encode the rest)"
                )
            }
            guard lower != "sha256" else {
                throw PhonePackError(
                    .invalidInput, operation: "check metadata", path: "--metadata",
                    message:
                        "sha256 is the metadata phonepack itself stores (the content's SHA-256); choose another name")
            }
            result.metadata[lower] = value
        }
        for (flag, value) in [
            ("--content-type", properties.contentType), ("--cache-control", properties.cacheControl),
            ("--content-disposition", properties.contentDisposition),
            ("--content-encoding", properties.contentEncoding),
        ] {
            if let value, !value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                throw PhonePackError(
                    .invalidInput, operation: "check headers", path: flag,
                    message: "\(value.terminalSafe) has characters an HTTP header cannot carry; give printable ASCII")
            }
        }
        return result
    }

    /// Sets the headers for `properties` (already ``checked(_:)``), plus phonepack's own metadata `extra`, on a PUT,
    /// a copy or the start of a multipart upload. `writes`: the request creates the object (PUT, copy, complete),
    /// so a no-clobber condition goes on it.
    func apply(
        _ properties: ObjectProperties, extra: [String: String] = [:], to request: inout SignableRequest,
        creating: Bool = true
    ) {
        request.setHeader("Content-Type", properties.contentType ?? "application/octet-stream")
        if let value = properties.cacheControl { request.setHeader("Cache-Control", value) }
        if let value = properties.contentDisposition { request.setHeader("Content-Disposition", value) }
        if let value = properties.contentEncoding { request.setHeader("Content-Encoding", value) }
        if let storageClass = properties.storageClass {
            request.setHeader(vendorPrefix + "storage-class", storageClass)
        }
        if let acl = properties.acl {
            request.setHeader(endpoint.store == .oss ? "x-oss-object-acl" : vendorPrefix + "acl", acl)
        }
        if let encryption = properties.encryption {
            let kms: String =
                switch vendorPrefix {
                case "x-obs-": "kms"
                case "x-oss-": "KMS"
                default: "aws:kms"
                }
            switch encryption {
            case .aes256:
                request.setHeader(vendorPrefix + "server-side-encryption", "AES256")
            case .kms(let keyID):
                request.setHeader(vendorPrefix + "server-side-encryption", kms)
                if let keyID {
                    let name =
                        switch vendorPrefix {
                        case "x-obs-": "x-obs-server-side-encryption-kms-key-id"
                        case "x-oss-": "x-oss-server-side-encryption-key-id"
                        default: "x-amz-server-side-encryption-aws-kms-key-id"
                        }
                    request.setHeader(name, keyID)
                }
            }
        }
        let metadata = properties.metadata.merging(extra) { $1 }
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { request.setHeader(metaPrefix + name, value) }
        if properties.noClobber && creating { forbidOverwrite(&request) }
    }

    /// The condition that makes a write fail rather than replace an object: OSS's `x-oss-forbid-overwrite`, else
    /// `If-None-Match: *` (S3; OBS documents no conditional write, so ``ObjectTransfer`` also checks first).
    func forbidOverwrite(_ request: inout SignableRequest) {
        if endpoint.store == .oss {
            request.setHeader("x-oss-forbid-overwrite", "true")
        } else {
            request.setHeader("If-None-Match", "*")
        }
    }
}

/// An object that was already there and was left as it is (`--no-clobber`): the cause of the error a refused
/// conditional write becomes.
public struct ObjectAlreadyExists: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var description: String { "\(url) already exists" }
}

extension PhonePackError {
    /// A write refused because the object exists (``ObjectAlreadyExists``).
    public var isAlreadyExists: Bool { cause is ObjectAlreadyExists }

    /// The store's refusal of a conditional write: 412 PreconditionFailed (`If-None-Match: *`), 409
    /// FileAlreadyExists (OSS `x-oss-forbid-overwrite`).
    var isRefusedOverwrite: Bool { httpStatus == 412 || vendorCode == "FileAlreadyExists" }
}

extension ObjectStoreClient {
    static func exists(_ url: String, _ refusal: PhonePackError? = nil) -> PhonePackError {
        var error = PhonePackError(
            .checkFailed, operation: "upload", path: url,
            message: "already exists and --no-clobber leaves it as it is", cause: ObjectAlreadyExists(url: url))
        error.vendorCode = refusal?.vendorCode
        error.requestID = refusal?.requestID
        return error
    }
}
