import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct PushAlibaba: ParsableCommand {
    enum UploadType: String, CaseIterable, ExpressibleByArgument {
        case oss = "OSS", downloadURL = "DOWNLOAD_URL", ossBridged = "OSS_BRIDGED"
    }

    static let configuration = CommandConfiguration(
        commandName: "alibaba",
        abstract: "Alibaba SendFile: a file in a cloudphone-saved-bucket-* bucket onto every instance, then wait.",
        discussion: """
            UploadType OSS: the instances read oss://cloudphone-saved-bucket-…/KEY directly. With --install the \
            APK is installed once it is there (AutoInstall). Instance ids go 50 per call; each instance's task \
            is followed with DescribeTasks. Every call carries a ClientToken, so a retry never sends twice.

            Examples:
              phonepack push alibaba --file oss://cloudphone-saved-bucket-demo/app.apk \\
                  --instances @i.txt --install
              phonepack push alibaba --file oss://cloudphone-saved-bucket-demo/data.tar \\
                  --instances acp-0001 --to /sdcard/
            """)

    @Option(help: "The file in OSS: oss://cloudphone-saved-bucket-…/path/app.apk.")
    var file: String

    @Option(help: "Instance ids (acp-…): id,id,…, @file or @- (standard input).")
    var instances: IDList

    @Option(help: "Folder on the phone.")
    var to = "/sdcard/Download/"

    @Flag(help: "Install the APK after it arrives (AutoInstall).")
    var install = false

    @Option(
        help: """
            OSS (the instances read the object; bucket must be cloudphone-saved-bucket-*), DOWNLOAD_URL or \
            OSS_BRIDGED (phonepack presigns the object, from any bucket, for --url-expires seconds).
            """)
    var uploadType = UploadType.oss

    @Option(help: "Seconds a presigned URL stays valid (DOWNLOAD_URL, OSS_BRIDGED).")
    var urlExpires = 3600

    @OptionGroup var preflight: PreflightFlag

    @OptionGroup var dryRun: DryRunFlag
    @OptionGroup var transfer: AlibabaTransferFlags
    @OptionGroup var wait: WaitFlags
    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup var fleetOutput: FleetOutputFlags

    func validate() throws {
        guard (60...604_800).contains(urlExpires) else { throw ValidationError("--url-expires takes 60 to 604800") }
    }

    func run() throws {
        let url = try ObjectURL(parsing: file)
        guard url.scheme == .oss else { throw ValidationError("--file must be an oss:// URL") }
        let ids = instances.ids
        let presigned =
            uploadType == .oss ? nil : try cloud.objectStore(for: url).presign(url.key, expires: urlExpires)
        // A downloaded file needs its full path on the phone.
        let phonePath = uploadType == .downloadURL && to.hasSuffix("/") ? to + lastPathComponent(url.key) : to
        var probe = AlibabaFileCall(
            action: "SendFile", instanceIDs: Array(ids.prefix(AlibabaRules.maxInstancesPerCall)),
            sourceFilePath: phonePath, uploadType: uploadType.rawValue,
            uploadEndpoint: uploadType == .downloadURL ? "" : transfer.endpoint(cloud: cloud),
            uploadURL: presigned ?? url.description)
        probe.autoInstall = install
        try AlibabaRules.check(probe)
        let template = probe
        if dryRun.show(
            ids, perCall: AlibabaRules.maxInstancesPerCall, what: "instances",
            PlannedRequest(
                "POST", "/?Action=SendFile",
                body: [
                    "SourceFilePath": .string(phonePath), "UploadType": .string(uploadType.rawValue),
                    "UploadUrl": .string(url.description), "AutoInstall": .bool(install),
                ]),
            idsField: "AndroidInstanceIdList", json: outputOptions.json)
        {
            return
        }
        let session = cloud.session(endpointFor: [.edsAic])
        let phones = try session.alibabaClient()
        if preflight.enabled {
            try Fleet.alibaba(phones).checkTargets(ids)
            try session.requireObject(url)
        }
        let outcomes = try phones.fanOut(
            ids, concurrency: wait.concurrency, waitTimeout: wait.noWait ? nil : wait.timeout,
            progress: ProgressLine.make(quiet: outputOptions.silent)
        ) { (client, chunk) throws(PhonePackError) in
            var call = template
            call.instanceIDs = chunk
            call.clientToken = nil
            return try client.fileCall(call)
        }
        try reportOutcomes(
            outcomes, json: outputOptions.json, what: "push", onlyFailures: fleetOutput.onlyFailures,
            page: fleetOutput.html)
    }
}
