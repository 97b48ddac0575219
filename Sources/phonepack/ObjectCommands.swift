import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List objects under a prefix: obs://bucket/prefix, oss://…, s3://….")

    @Argument(help: "obs://bucket/prefix, oss://bucket/prefix or s3://bucket/prefix.")
    var url: String

    @Flag(name: .shortAndLong, help: "Everything below the prefix, not just one level.")
    var recursive = false

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let store = try cloud.objectStore(for: target)
        let listing = try store.list(prefix: target.key, delimiter: recursive ? nil : "/")
        if outputOptions.json {
            struct Listing: Encodable {
                var objects: [ObjectInfo]
                var prefixes: [String]
            }
            print(JSONOutput.string(Listing(objects: listing.objects, prefixes: listing.prefixes)))
            return
        }
        for prefix in listing.prefixes { say("                          DIR  \(prefix)") }
        for object in listing.objects {
            say("\((object.lastModified ?? "").padded(to: 24)) \(String(object.size).leftAligned(12)) \(object.key)")
        }
    }
}

struct StatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat", abstract: "Show an object's size, ETag, time, type and metadata.")

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let info = try cloud.objectStore(for: target).head(target.key)
        if outputOptions.json {
            print(JSONOutput.string(info))
            return
        }
        say("\(url)")
        say("  size          \(info.size) (\(formatBytes(info.size)))")
        if let etag = info.etag { say("  etag          \(etag)") }
        if let modified = info.lastModified { say("  last modified \(modified)") }
        if let type = info.contentType { say("  content type  \(type)") }
        for (name, value) in info.metadata.sorted(by: { $0.key < $1.key }) { say("  meta \(name) = \(value)") }
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete one object.")

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @OptionGroup var cloud: CloudOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
            throw ValidationError("give one object's key, not a bucket or prefix: \(url)")
        }
        try cloud.objectStore(for: target).delete(target.key)
        say("deleted \(url)")
    }
}

struct PresignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presign",
        abstract: "Print a URL that grants GET (or PUT) on one object for a while, without credentials.",
        discussion: """
            Useful as Alibaba SendFile's DOWNLOAD_URL or to hand a download to someone. Signed offline with the
            store's scheme (--signature obs|v4|oss4|oss1). The URL is a credential until it expires: share it
            as you would a password.
            """)

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @Option(help: "GET or PUT.")
    var method = "GET"

    @Option(help: "Seconds the URL stays valid (1 to 604800).")
    var expires = 3600

    @OptionGroup var cloud: CloudOptions

    func run() throws {
        guard ["GET", "PUT"].contains(method.uppercased()) else { throw ValidationError("--method is GET or PUT") }
        guard (1...604_800).contains(expires) else { throw ValidationError("--expires must be 1 to 604800 seconds") }
        let target = try ObjectURL(parsing: url)
        print(try cloud.objectStore(for: target).presign(target.key, method: method.uppercased(), expires: expires))
    }
}

extension String {
    /// Pads with spaces on the left (right-aligns) to `width` characters.
    func leftAligned(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
