import ArgumentParser
import PhonePackCloud
import PhonePackCore

/// What is stored with each object written: on `upload`, `cp`, `sync` and `release`.
struct ObjectPropertyFlags: ParsableArguments {
    @Option(
        help:
            "Content-Type to store (default: from the file's name: .apk application/vnd.android.package-archive, .tar application/x-tar, .json, .png, …; else application/octet-stream)."
    )
    var contentType: String?

    @Option(help: "Cache-Control to store, e.g. 'max-age=3600' or no-cache.")
    var cacheControl: String?

    @Option(help: "Content-Disposition to store, e.g. 'attachment; filename=app.apk'.")
    var contentDisposition: String?

    @Option(help: "Content-Encoding to store, e.g. gzip: what the bytes already are (nothing is compressed).")
    var contentEncoding: String?

    @Option(
        help:
            "Storage class, in the store's names: OBS STANDARD, WARM, COLD, DEEP_ARCHIVE; OSS Standard, IA, Archive, ColdArchive; S3 STANDARD, STANDARD_IA, GLACIER, DEEP_ARCHIVE, …"
    )
    var storageClass: String?

    @Option(help: "Canned ACL: private, public-read, public-read-write, bucket-owner-full-control, … (OSS: default).")
    var acl: String?

    @Option(
        name: .customLong("metadata"),
        help: ArgumentHelp("User metadata, stored as x-…-meta-KEY (repeatable).", valueName: "KEY=VALUE"))
    var metadata: [MetadataPair] = []

    @Option(
        help: ArgumentHelp(
            "Server-side encryption: AES256 (the store's own keys) or kms, kms:KEY-ID (the cloud's key service).",
            valueName: "AES256|kms[:KEY-ID]"))
    var sse: EncryptionChoice?

    @Flag(
        help:
            "Never replace an object that is already there: it is left as it is and named (a conditional write; OBS, which has none, is checked first)."
    )
    var noClobber = false

    var properties: ObjectProperties {
        var properties = ObjectProperties()
        properties.contentType = contentType
        properties.cacheControl = cacheControl
        properties.contentDisposition = contentDisposition
        properties.contentEncoding = contentEncoding
        properties.storageClass = storageClass
        properties.acl = acl
        properties.encryption = sse?.value
        properties.metadata = Dictionary(metadata.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        properties.noClobber = noClobber
        return properties
    }
}

/// `KEY=VALUE`.
struct MetadataPair: ExpressibleByArgument, Sendable {
    var name: String
    var value: String

    init?(argument: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else { return nil }
        name = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }
}

/// `AES256`, `kms` or `kms:KEY-ID`.
struct EncryptionChoice: ExpressibleByArgument, Sendable {
    var value: ObjectProperties.Encryption

    init?(argument: String) {
        if argument.uppercased() == "AES256" {
            value = .aes256
        } else if argument.lowercased() == "kms" {
            value = .kms(keyID: nil)
        } else if argument.lowercased().hasPrefix("kms:"), argument.count > 4 {
            value = .kms(keyID: String(argument.dropFirst(4)))
        } else {
            return nil
        }
    }
}
