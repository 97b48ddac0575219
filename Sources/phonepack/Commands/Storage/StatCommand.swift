import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct StatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stat", abstract: "Show an object's size, ETag, time, type and metadata.",
        discussion: """
            Examples:
              phonepack stat obs://my-cph-bucket/apps/app.tar
              phonepack stat oss://cloudphone-saved-bucket-demo/apps/app.apk --json
            """)

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
        if let etag = ETagCoding.encode(info.etag) { say("  etag          \(etag)") }
        if let modified = info.lastModified { say("  last modified \(modified)") }
        if let type = info.contentType { say("  content type  \(type)") }
        for (name, value) in info.metadata.sorted(by: { $0.key < $1.key }) { say("  meta \(name) = \(value)") }
    }
}
