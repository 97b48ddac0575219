import ArgumentParser
import FoundationEssentials
import PhonePackCloud
import PhonePackCore
import Synchronization

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show and change ~/.config/phonepack/config.toml (profiles of region, endpoints, credentials).",
        discussion: """
            Secrets are never printed: list and get show only whether they are set. A secret is never \
            taken from the command line (it would show in ps and shell history): 'config set KEY' reads it \
            from standard input.

            Where each setting comes from, first found wins: a flag (--region, --endpoint); the profile you \
            chose with --profile or PHONEPACK_PROFILE; the environment (OBS_ACCESS_KEY_ID, \
            ALIBABA_CLOUD_ACCESS_KEY_ID, PHONEPACK_REGION, PHONEPACK_<SERVICE>_ENDPOINT, …); the default profile; \
            the region's public endpoint. A profile named on purpose is never overridden by variables left in \
            the environment; the default profile is. 'phonepack -v' names where the credentials came from.

            The file also holds defaults for every command: jobs, limit_rate (e.g. 20M), retries, \
            stall_timeout (seconds) and proxy (a URL for every request; else libcurl's https_proxy, \
            http_proxy and no_proxy from the environment apply, as in curl).

            Examples:
              phonepack config set region cn-north-4
              phonepack config set huawei_secret_key < sk.txt   # secrets from stdin only
              phonepack config list --profile staging
            """,
        subcommands: [List.self, Get.self, Set.self, Profiles.self])

    struct Profiles: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "profiles",
            abstract: "The file's profiles, and which one a command would use.",
            discussion: """
                Examples:
                  phonepack config profiles
                  PHONEPACK_PROFILE=staging phonepack config profiles
                """)

        @OptionGroup var outputOptions: OutputOptions

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let path = CloudConfig.defaultPath(environment: environment)
            let report = ProfilesReport(
                path: path, config: try CloudConfig.load(path: path),
                chosen: CloudSession.chosenProfile(flag: nil, environment: environment))
            if outputOptions.json { return print(JSONOutput.string(report)) }
            say(path)
            for profile in report.profiles {
                let mark =
                    profile.name == report.used
                    ? (report.usedBecause == "default" ? "  (used: the default)" : "  (used: PHONEPACK_PROFILE)") : ""
                say(
                    "  \(profile.name.terminalSafe.padded(to: 20)) \(profile.keys) key\(profile.keys == 1 ? "" : "s")\(mark)"
                )
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Every key of a profile (secrets masked).",
            discussion: """
                Examples:
                  phonepack config list
                  phonepack config list --profile staging
                """)
        @Option(
            name: .customLong("profile"), help: "Profile name (else PHONEPACK_PROFILE, else default).",
            completion: Completions.profiles)
        var flagProfile: String?
        var profile: String {
            CloudSession.chosenProfile(flag: flagProfile, environment: ProcessInfo.processInfo.environment) ?? "default"
        }

        @OptionGroup var outputOptions: OutputOptions

        func run() throws {
            let path = CloudConfig.defaultPath(environment: ProcessInfo.processInfo.environment)
            let config = try CloudConfig.load(path: path)
            let values = config.profiles[profile] ?? [:]
            if outputOptions.json {
                return print(JSONOutput.string(ProfileReport(path: path, profile: profile, values: values)))
            }
            say("\(path) [\(profile)]")
            for key in Swift.Set(values.keys).union(CloudConfig.knownKeys.keys).sorted() {
                let shown = values[key].map { CloudConfig.shown(key, $0) } ?? "-"
                say("  \(key.padded(to: 26)) \(shown)")
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "One key's value (secrets masked).",
            discussion: """
                Examples:
                  phonepack config get region
                  phonepack config get huawei_secret_key   # masked
                """)
        @Argument(help: "The key, e.g. region.", completion: Completions.configKeys) var key: String
        @Option(
            name: .customLong("profile"), help: "Profile name (else PHONEPACK_PROFILE, else default).",
            completion: Completions.profiles)
        var flagProfile: String?
        var profile: String {
            CloudSession.chosenProfile(flag: flagProfile, environment: ProcessInfo.processInfo.environment) ?? "default"
        }

        @OptionGroup var outputOptions: OutputOptions

        func run() throws {
            let path = CloudConfig.defaultPath(environment: ProcessInfo.processInfo.environment)
            let config = try CloudConfig.load(path: path)
            guard let value = config.value(key, profile: profile) else {
                throw PhonePackError(
                    .notFound, operation: "config get", path: key, message: "is not set in profile \(profile)")
            }
            guard outputOptions.json else { return say(CloudConfig.shown(key, value)) }
            print(JSONOutput.string(ProfileReport(path: path, profile: profile, values: [key: value])))
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Set a key; a secret is read from standard input, never from the command line.",
            discussion: """
                Examples:
                  phonepack config set region cn-north-4 --profile staging
                  phonepack config set huawei_secret_key < sk.txt  # never as an argument
                  phonepack config set proxy < proxy-url.txt      # a proxy URL with a password
                """)
        @Argument(help: "The key, e.g. region or huawei_secret_key.", completion: Completions.configKeys)
        var key: String
        @Argument(help: "The value (not for secrets).") var value: String?
        @Option(
            name: .customLong("profile"), help: "Profile name (else PHONEPACK_PROFILE, else default).",
            completion: Completions.profiles)
        var flagProfile: String?
        var profile: String {
            CloudSession.chosenProfile(flag: flagProfile, environment: ProcessInfo.processInfo.environment) ?? "default"
        }

        @OptionGroup var outputOptions: OutputOptions

        func run() throws {
            guard CloudConfig.knownKeys[key] != nil else {
                throw ValidationError(
                    "unknown key \(key); known: \(CloudConfig.knownKeys.keys.sorted().joined(separator: ", "))")
            }
            var newValue: String
            if key == "proxy", let value, CloudConfig.hasPassword(value) {
                throw ValidationError(
                    "a proxy URL with a password is a secret: leave it off the command line and type or pipe it on standard input (phonepack config set proxy)"
                )
            }
            if CloudConfig.isSecret(key) || (key == "proxy" && value == nil) {
                guard value == nil else {
                    throw ValidationError(
                        "\(key) is a secret: leave it off the command line and type or pipe it on standard input")
                }
                newValue = String(
                    readSecretLine(prompt: "\(key): ").drop(while: \.isWhitespace).reversed()
                        .drop(while: \.isWhitespace).reversed())
            } else {
                guard let value else { throw ValidationError("give the value: phonepack config set \(key) VALUE") }
                newValue = value
            }
            guard !newValue.isEmpty else { throw ValidationError("empty value for \(key)") }
            let path = CloudConfig.defaultPath(environment: ProcessInfo.processInfo.environment)
            var config = try CloudConfig.load(path: path)
            config.profiles[profile, default: [:]][key] = newValue
            try config.save(path: path)
            if outputOptions.json {
                return print(JSONOutput.string(ProfileReport(path: path, profile: profile, values: [key: newValue])))
            }
            say("set \(key) in profile \(profile) (\(path))")
        }
    }
}
