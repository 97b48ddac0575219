import ArgumentParser
import PhonePackCloud
import PhonePackCore

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
