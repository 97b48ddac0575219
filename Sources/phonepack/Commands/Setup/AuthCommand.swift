import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Check cloud identities.", subcommands: [Huawei.self])

    struct Huawei: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the CPH project id of a region and, with an IAM user configured, get a token.",
            discussion: """
                The project id comes from huawei_project_id, else it is looked up with your AK/SK
                (GET /v3/projects?name=REGION). A token (for X-Auth-Token) needs huawei_user, huawei_domain and
                huawei_password in the profile; it is cached in ~/.cache/phonepack until 5 minutes before it
                expires. The token itself is never printed.
                """)

        @Option(help: "Profile in ~/.config/phonepack/config.toml.") var profile = "default"
        @Option(help: "Region, e.g. cn-north-4.") var region: String?
        @Option(help: "IAM endpoint (else PHONEPACK_IAM_ENDPOINT, the profile's iam_endpoint, or the region's).")
        var iamEndpoint: String?
        @Flag(help: "Allow plain http:// to an IAM endpoint that is not on this machine.")
        var allowInsecureHttp = false
        @Flag(name: .shortAndLong, help: "Log each request.") var verbose = false

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let config = try CloudConfig.load(path: CloudConfig.defaultPath(environment: environment))
            guard let region = region ?? config.value("region", profile: profile) else {
                throw ValidationError("give --region (e.g. cn-north-4) or set region in the profile")
            }
            let endpoint = try ServiceURL(
                parsing: iamEndpoint ?? environment["PHONEPACK_IAM_ENDPOINT"]
                    ?? config.value("iam_endpoint", profile: profile) ?? "https://iam.\(region).myhuaweicloud.com",
                service: "IAM", allowInsecureHTTP: allowInsecureHttp)
            let client = CloudClient(options: HTTPOptions(environment: environment))
            if verbose { client.log = logLine }
            let identity = HuaweiIdentity(
                endpoint: endpoint, client: client,
                cacheDirectory: HuaweiIdentity.defaultCacheDirectory(environment: environment))
            if let id = config.value("huawei_project_id", profile: profile) {
                say("project \(region): \(id) (from profile \(profile))")
            } else {
                let credentials = try CredentialResolver.resolve(
                    for: .obs, environment: environment, config: config, profile: profile)
                say(
                    "project \(region): \(try identity.projectID(region: region, credentials: credentials)) (looked up)"
                )
            }
            guard let user = config.value("huawei_user", profile: profile),
                let domain = config.value("huawei_domain", profile: profile),
                let password = config.value("huawei_password", profile: profile)
            else {
                say(
                    "token: no huawei_user/huawei_domain/huawei_password in profile \(profile); requests are signed with AK/SK"
                )
                return
            }
            let token = try identity.token(user: user, password: password, domain: domain, project: region)
            say("token: \(token)")
        }
    }
}
