import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete one object.")

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var cloud: CloudOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
            throw ValidationError("give one object's key, not a bucket or prefix: \(url)")
        }
        if dryRun.show(["DELETE \(target)"], summary: "1 object") { return }
        try cloud.objectStore(for: target).delete(target.key)
        say("deleted \(url)")
    }
}
