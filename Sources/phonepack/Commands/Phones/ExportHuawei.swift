import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct ExportHuawei: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "huawei",
        abstract:
            "CPH BatchExportCloudPhoneData: each phone's --include paths as PREFIX/<phone>.tar in OBS, then wait.",
        discussion: """
            --include and --exclude take phone paths as the API does: absolute, under /data or /cache, a trailing
            * for any continuation (/data/app/com.x-*); exclude wins. They are checked before anything is sent.
            To bring the data home too, use phonepack pull.
            """)

    @Option(help: "Phone ids: id,id,… or @file.")
    var phones: String

    @Option(help: "Phone path to export (repeatable), e.g. /data/data/com.example.app.")
    var include: [String]

    @Option(help: "Phone path to leave out (repeatable).")
    var exclude: [String] = []

    @Option(help: "Where the tars go: obs://bucket/prefix/ (one PREFIX/<phone>.tar per phone).")
    var to: String

    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let target = try obsURL(to, flag: "--to")
        _ = try ExportPathFilter(includes: include, excludes: exclude)
        let ids = try parseIDList(phones, flag: "--phones")
        let base = target.key.isEmpty || target.key.hasSuffix("/") ? target.key : target.key + "/"
        let (include, exclude) = (self.include, self.exclude)
        let entry: @Sendable (String) -> CPHStorageInfo = { phone in
            CPHStorageInfo(
                phone_id: phone, include_files: include, exclude_files: exclude.isEmpty ? nil : exclude,
                bucket_name: target.bucket, object_path: base + phone + ".tar")
        }
        for phone in ids { try CPHRequestRules.export(entry(phone)) }
        let outcomes = try cloud.cphClient(endpointOverride: cloud.endpoint).fanOut(
            ids, limit: CPHRequestRules.maxServersPerShareCall, concurrency: wait.concurrency,
            waitTimeout: wait.noWait ? nil : wait.timeout, progress: ProgressLine.make(quiet: outputOptions.json)
        ) { (client, chunk) throws(PhonePackError) in
            try client.exportData(chunk.map(entry))
        }
        try reportOutcomes(outcomes, json: outputOptions.json, what: "export")
    }
}
