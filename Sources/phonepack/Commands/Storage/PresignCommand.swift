import ArgumentParser
import PhonePackCloud
import PhonePackCore

struct PresignCommand: ParsableCommand {
    enum Method: String, CaseIterable, ExpressibleByArgument {
        case get = "GET", put = "PUT"

        init?(argument: String) { self.init(rawValue: argument.uppercased()) }
    }

    static let configuration = CommandConfiguration(
        commandName: "presign",
        abstract: "Print a URL that grants GET (or PUT) on one object for a while, without credentials.",
        discussion: """
            Useful as Alibaba SendFile's DOWNLOAD_URL or to hand a download to someone. Signed offline with the \
            store's scheme (--signature obs|v4|oss4|oss1). The URL is a credential until it expires: share it \
            as you would a password.

            Examples:
              phonepack presign obs://my-cph-bucket/apps/app.tar --expires 3600
              phonepack presign oss://cloudphone-saved-bucket-demo/in/data.tar --method PUT
            """)

    @Argument(help: "obs://bucket/key, oss://bucket/key or s3://bucket/key.")
    var url: String

    @Option(help: "What the URL allows.")
    var method = Method.get

    @Option(help: "Seconds the URL stays valid (1 to 604800).")
    var expires = 3600

    @OptionGroup var cloud: CloudOptions
    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard (1...604_800).contains(expires) else { throw ValidationError("--expires must be 1 to 604800 seconds") }
    }

    func run() throws {
        let target = try ObjectURL(parsing: url)
        let signed = try cloud.objectStore(for: target).presign(target.key, method: method.rawValue, expires: expires)
        guard outputOptions.json else { return print(signed) }
        let until = CloudTime.iso8601(CloudTime.now() + Int64(expires))
        print(
            JSONOutput.string(PresignReport(url: signed, method: method.rawValue, expiresIn: expires, expiresAt: until))
        )
    }
}
