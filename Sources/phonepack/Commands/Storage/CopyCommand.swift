import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cp",
        abstract: "Copy an object within a store (server-side) or between stores (streamed, checked end to end).",
        discussion: """
            Within one store (the same service endpoint, any bucket) the store copies it: CopyObject, no byte \
            passes through here (up to 5 GiB). Between stores (OBS ↔ OSS ↔ S3) the bytes stream through memory in \
            --part-size ranges, --jobs parts in flight, no temporary file; the source's size and checksums are \
            checked before the upload is completed, and a mismatch aborts it so nothing is stored.

            Examples:
              phonepack cp obs://my-cph-bucket/apps/app.tar \\
                  obs://my-cph-bucket/archive/app.tar
              phonepack cp obs://my-cph-bucket/apps/app.tar \\
                  oss://cloudphone-saved-bucket-demo/apps/app.tar
            """)

    @Argument(help: "The object to copy: obs://, oss:// or s3://bucket/key.")
    var source: String

    @Argument(help: "Where it goes (a key ending in / takes the source's name).")
    var destination: String

    @OptionGroup var transfer: TransferFlags
    @OptionGroup var stored: ObjectPropertyFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let from = try ObjectURL(parsing: source)
        var to = try ObjectURL(parsing: destination)
        guard !from.key.isEmpty, !from.key.hasSuffix("/") else {
            throw ValidationError("give one object's key to copy, not a bucket or prefix: \(source)")
        }
        if to.key.isEmpty || to.key.hasSuffix("/") { to.key += lastPathComponent(from.key) }
        var settings = try transfer.settings(session: cloud.session())
        let reader = try cloud.objectStore(for: from)
        let writer = try cloud.objectStore(for: to)
        settings.properties = try writer.checked(stored.properties)
        let summary = try TransferRunner(flags: transfer, silent: outputOptions.silent, quiet: outputOptions.quiet).run(
            writer, settings
        ) { try $0.copy(from: reader, from.key, to: to.key) }
        guard let summary else { return }
        summary.print(json: outputOptions.json, from: from.description, to: to.description)
    }
}
