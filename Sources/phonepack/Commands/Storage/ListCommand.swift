import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List objects under a prefix, or matching a wildcard: obs://…, oss://…, s3://….",
        discussion: """
            Wildcards in the key: * within one level, ** across levels, ? one character (quote them from the \
            shell); a wildcard that matches nothing exits 2.

            Examples:
              phonepack ls obs://my-cph-bucket/apps/
              phonepack ls 'obs://my-cph-bucket/exports/**/*.tar' --json
              phonepack ls -r oss://cloudphone-saved-bucket-demo/seed/
            """)

    @Argument(help: "obs://bucket/prefix, oss://bucket/prefix or s3://bucket/prefix.")
    var url: String

    @Flag(name: .shortAndLong, help: "Everything below the prefix, not just one level.")
    var recursive = false

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let store = try cloud.objectStore(for: target)
        var listing: (objects: [ObjectInfo], prefixes: [String])
        if KeyPattern.hasWildcards(target.key) {
            listing = (try store.objects(matching: KeyPattern(target.key)), [])
            guard !listing.objects.isEmpty else {
                throw PhonePackError(.notFound, operation: "ls", path: url, message: "no object matches")
            }
        } else {
            listing = try store.list(prefix: target.key, delimiter: recursive ? nil : "/")
        }
        if outputOptions.json {
            print(JSONOutput.string(ObjectListing(objects: listing.objects, prefixes: listing.prefixes)))
            return
        }
        // Times are ISO 8601 UTC (20 columns); sizes in bytes, right-aligned; folders say DIR in the size column.
        for prefix in listing.prefixes { say("\("".padded(to: 20)) \("DIR".rightAligned(12)) \(prefix)") }
        for object in listing.objects {
            say("\((object.lastModified ?? "").padded(to: 20)) \(String(object.size).rightAligned(12)) \(object.key)")
        }
    }
}
