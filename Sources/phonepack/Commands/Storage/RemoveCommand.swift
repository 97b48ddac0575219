import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete one object, every object matching a wildcard, or a prefix (-r).",
        discussion: """
            Wildcards: * within one level, ** across levels, ? one character (quote them from the shell). \
            Many keys go in batch deletes of 1,000 (DeleteObjects, DeleteMultipleObjects). A wildcard or prefix \
            that matches nothing exits 2.

            Examples:
              phonepack rm obs://my-cph-bucket/apps/old.tar
              phonepack rm 'obs://my-cph-bucket/exports/*.tar' --dry-run
              phonepack rm -r obs://my-cph-bucket/tmp/
            """)

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key; a key may hold * ** ?; with -r a prefix.")
    var url: String

    @Flag(name: .shortAndLong, help: "Delete every object under the prefix.")
    var recursive = false

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let pattern: KeyPattern? =
            recursive
            ? KeyPattern(target.key + "**") : KeyPattern.hasWildcards(target.key) ? KeyPattern(target.key) : nil
        guard let pattern else {
            guard !target.key.isEmpty, !target.key.hasSuffix("/") else {
                throw ValidationError("give one object's key, a wildcard, or -r for a prefix: \(url)")
            }
            if outputOptions.json, dryRun.dryRun {
                return print(JSONOutput.string(RemoveReport(dryRun: true, deleted: [target.description])))
            }
            if dryRun.show(
                [PlannedRequest("DELETE", target.description)], summary: "1 object", json: outputOptions.json)
            {
                return
            }
            try cloud.objectStore(for: target).delete(target.key)
            if outputOptions.json {
                return print(JSONOutput.string(RemoveReport(dryRun: false, deleted: [target.description])))
            }
            return say("deleted \(url)")
        }
        let store = try cloud.objectStore(for: target)
        let keys = try store.objects(matching: pattern).map(\.key)
        guard !keys.isEmpty else {
            throw PhonePackError(.notFound, operation: "rm", path: url, message: "no object matches; nothing deleted")
        }
        let root = "\(target.scheme)://\(target.bucket)/"
        if outputOptions.json, dryRun.dryRun {
            return print(JSONOutput.string(RemoveReport(dryRun: true, deleted: keys.map { root + $0 })))
        }
        if dryRun.show(
            keys.map { PlannedRequest("DELETE", root + $0) }, summary: "\(keys.count) objects", json: outputOptions.json
        ) {
            return
        }
        let failures = try store.delete(keys: keys)
        if outputOptions.json {
            let refused = Set(failures.map(\.key))
            print(
                JSONOutput.string(
                    RemoveReport(
                        dryRun: false, deleted: keys.filter { !refused.contains($0) }.map { root + $0 },
                        failed: failures.map { (root + $0.key, $0.code) })))
            if !failures.isEmpty { throw ExitCode(ExitStatus.checkFailed) }
            return
        }
        say("deleted \(keys.count - failures.count) of \(keys.count) objects matching \(url)")
        if !failures.isEmpty {
            let list = failures.prefix(5).map { "\($0.key.terminalSafe) (\($0.code))" }.joined(separator: ", ")
            printError("\(failures.count) could not be deleted: \(list)\(failures.count > 5 ? ", …" : "")")
            throw ExitCode(ExitStatus.checkFailed)
        }
    }
}
