import ArgumentParser
import FoundationEssentials
import PhonePackCloud
import PhonePackCore

struct AuthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth", abstract: "Check cloud identities.",
        discussion: """
            Examples:
              phonepack auth huawei
              phonepack auth huawei --profile staging --region cn-east-3
            """, subcommands: [Huawei.self])

    struct Huawei: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "huawei",
            abstract: "Show the CPH project id of a region and, with an IAM user configured, get a token.",
            discussion: """
                The project id comes from huawei_project_id, else it is looked up with your AK/SK \
                (GET /v3/projects?name=REGION). A token (for X-Auth-Token) needs huawei_user, huawei_domain and \
                huawei_password in the profile; it is cached in ~/.cache/phonepack until 5 minutes before it \
                expires. The token itself is never printed.

                Examples:
                  phonepack auth huawei
                  phonepack auth huawei --profile staging --region cn-east-3
                """)

        @Option(help: "Config-file profile (else PHONEPACK_PROFILE, else default).", completion: Completions.profiles)
        var profile: String?
        @Option(help: "Region, e.g. cn-north-4.") var region: String?
        @Option(help: "IAM endpoint (else PHONEPACK_IAM_ENDPOINT, the profile's iam_endpoint, or the region's).")
        var iamEndpoint: String?
        @Flag(help: "Allow plain http:// to an IAM endpoint that is not on this machine.")
        var allowInsecureHttp = false
        @Flag(name: .shortAndLong, help: "Log each request.") var verbose = false
        @OptionGroup var outputOptions: OutputOptions

        func run() throws {
            var session = CloudSession(environment: ProcessInfo.processInfo.environment, profile: profile)
            session.region = region
            session.endpoints[.iam] = iamEndpoint
            session.allowInsecureHTTP = allowInsecureHttp
            if verbose { session.log = logLine }
            let check = try session.checkHuaweiAuth()
            if outputOptions.json { return print(JSONOutput.string(check)) }
            say(
                "project \(check.region): \(check.projectID) \(check.projectConfigured ? "(from \(check.projectSource))" : "(looked up)")"
            )
            if let token = check.token {
                say("token: \(token)")
            } else {
                say(
                    "token: no huawei_user/huawei_password in profile \(session.profile); requests are signed with AK/SK"
                )
            }
        }
    }
}
