import HTTPTypes
import PhonePackCore

/// What a store keeps beside an object's bytes and metadata and gives back on GET and HEAD: the content headers,
/// storage class, ACL, server-side encryption, tags and the checksums a client had checked on the way in.
struct ObjectAttributes: Codable, Sendable, Equatable {
    /// `cache-control`, `content-disposition`, `content-encoding`, `content-language`, `expires`, as sent.
    var content: [String: String] = [:]
    var storageClass: String?
    var acl: String?
    var encryption: String?
    var encryptionKeyID: String?
    /// `crc32`, `crc32c`, `sha1`, `sha256` → the base64 value the client sent and the store verified.
    var checksums: [String: String] = [:]
    var tags: [String: String] = [:]

    static let contentHeaders = [
        "cache-control", "content-disposition", "content-encoding", "content-language", "expires",
    ]

    /// The attributes a PUT, copy with REPLACE, or initiate carries, under any of the three vendors' prefixes.
    init(_ request: IncomingRequest) {
        for name in Self.contentHeaders {
            guard var value = request.header(name) else { continue }
            // aws-chunked is how the body travelled, not what it is: S3 drops it from what it stores.
            if name == "content-encoding" {
                value = value.split(separator: ",").map { Wire.trim(String($0)) }.filter { $0 != "aws-chunked" }
                    .joined(separator: ",")
                if value.isEmpty { continue }
            }
            content[name] = value
        }
        storageClass = Self.vendorHeader(request, "storage-class")
        acl = Self.vendorHeader(request, "acl") ?? request.header("x-oss-object-acl")
        encryption = Self.vendorHeader(request, "server-side-encryption")
        encryptionKeyID =
            request.header("x-amz-server-side-encryption-aws-kms-key-id")
            ?? request.header("x-obs-server-side-encryption-kms-key-id")
            ?? request.header("x-oss-server-side-encryption-key-id")
        if let tagging = Self.vendorHeader(request, "tagging") { tags = Self.parseTagging(tagging) }
    }

    init() {}

    static func vendorHeader(_ request: IncomingRequest, _ name: String) -> String? {
        request.header("x-amz-" + name) ?? request.header("x-obs-" + name) ?? request.header("x-oss-" + name)
    }

    /// `k=v&k2=v2`, URL-encoded, as the tagging headers carry tags.
    static func parseTagging(_ text: String) -> [String: String] {
        var tags: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = Wire.decode(parts[0].replacing("+", with: " ")[...])
            tags[name] = parts.count == 2 ? Wire.decode(parts[1].replacing("+", with: " ")[...]) : ""
        }
        return tags
    }

    /// The response headers for these attributes, with the vendor prefix of the request's signature family.
    /// `checksumMode`: `x-amz-checksum-mode: ENABLED` on a whole-object read (a range has no whole-object checksum).
    func headers(prefix: String, flavor: StoreFlavor, checksumMode: Bool, into fields: inout HTTPFields) {
        for (name, value) in content { fields[HTTPField.Name(name)!] = value }
        if let storageClass {
            fields[HTTPField.Name(prefix + "storage-class")!] = storageClass
        } else if flavor == .oss && prefix == "x-oss-" {
            fields[HTTPField.Name("x-oss-storage-class")!] = "Standard"
        }
        if let encryption {
            fields[HTTPField.Name(prefix + "server-side-encryption")!] = encryption
            if let encryptionKeyID {
                let name =
                    switch prefix {
                    case "x-amz-": "x-amz-server-side-encryption-aws-kms-key-id"
                    case "x-obs-": "x-obs-server-side-encryption-kms-key-id"
                    default: "x-oss-server-side-encryption-key-id"
                    }
                fields[HTTPField.Name(name)!] = encryptionKeyID
            }
        }
        if !tags.isEmpty { fields[HTTPField.Name(prefix + "tagging-count")!] = String(tags.count) }
        if checksumMode {
            for (name, value) in checksums { fields[HTTPField.Name("x-amz-checksum-" + name)!] = value }
        }
    }
}

extension IncomingRequest {
    /// The header prefix of the request's signature family: SigV4 and V2 clients (`AWS4-HMAC-SHA256`, `AWS`,
    /// `X-Amz-*` and `AWSAccessKeyId` URLs) read `x-amz-` headers back, OBS and OSS clients their own.
    func familyPrefix(_ flavor: StoreFlavor) -> String {
        let scheme = (header("Authorization") ?? "").prefix { $0 != " " }
        if scheme == "AWS4-HMAC-SHA256" || scheme == "AWS" || queryValue("X-Amz-Signature") != nil
            || queryValue("AWSAccessKeyId") != nil
        {
            return "x-amz-"
        }
        return flavor.headerPrefix
    }
}
