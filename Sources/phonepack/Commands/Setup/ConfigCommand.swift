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
            from standard input. Environment variables (OBS_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_ID, …) \
            take precedence over the file.

            Examples:
              phonepack config set region cn-north-4
              phonepack config set huawei_secret_key < sk.txt   # secrets from stdin only
              phonepack config list --profile staging
            """,
        subcommands: [List.self, Get.self, Set.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every key of a profile (secrets masked).",
            discussion: """
                Examples:
                  phonepack config list
                  phonepack config list --profile staging
                """)
        @Option(help: "Profile name.") var profile = "default"

        func run() throws {
            let path = CloudConfig.defaultPath(environment: ProcessInfo.processInfo.environment)
            let config = try CloudConfig.load(path: path)
            say("\(path) [\(profile)]")
            let values = config.profiles[profile] ?? [:]
            for key in Swift.Set(values.keys).union(CloudConfig.knownKeys.keys).sorted() {
                let shown = values[key].map { CloudConfig.isSecret(key) ? "(set, hidden)" : $0 } ?? "-"
                say("  \(key.padded(to: 26)) \(shown)")
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One key's value (secrets masked).",
            discussion: """
                Examples:
                  phonepack config get region
                  phonepack config get huawei_secret_key   # masked
                """)
        @Argument(help: "The key, e.g. region.") var key: String
        @Option(help: "Profile name.") var profile = "default"

        func run() throws {
            let config = try CloudConfig.load(
                path: CloudConfig.defaultPath(environment: ProcessInfo.processInfo.environment))
            guard let value = config.value(key, profile: profile) else {
                throw PhonePackError(
                    .notFound, operation: "config get", path: key, message: "is not set in profile \(profile)")
            }
            say(CloudConfig.isSecret(key) ? "(set, hidden)" : value)
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a key; a secret is read from standard input, never from the command line.",
            discussion: """
                Examples:
                  phonepack config set region cn-north-4 --profile staging
                  phonepack config set huawei_secret_key < sk.txt  # never as an argument
                """)
        @Argument(help: "The key, e.g. region or huawei_secret_key.") var key: String
        @Argument(help: "The value (not for secrets).") var value: String?
        @Option(help: "Profile name.") var profile = "default"

        func run() throws {
            guard CloudConfig.knownKeys[key] != nil else {
                throw ValidationError(
                    "unknown key \(key); known: \(CloudConfig.knownKeys.keys.sorted().joined(separator: ", "))")
            }
            var newValue: String
            if CloudConfig.isSecret(key) {
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
            say("set \(key) in profile \(profile) (\(path))")
        }
    }
}
