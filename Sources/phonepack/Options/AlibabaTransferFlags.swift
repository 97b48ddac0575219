import ArgumentParser
import PhonePackCloud
import PhonePackCore

/// Flags of the Alibaba file calls.
struct AlibabaTransferFlags: ParsableArguments {
    @Option(
        help:
            "OSS endpoint the phones use, e.g. oss-cn-shanghai-internal.aliyuncs.com (else the region's internal one).")
    var uploadEndpoint: String?

    func endpoint(cloud: CloudOptions) -> String {
        cloud.session().phoneSideOSSEndpoint(explicit: uploadEndpoint)
    }
}
