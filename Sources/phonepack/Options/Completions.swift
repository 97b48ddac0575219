import ArgumentParser
import Foundation
import PhonePackCloud

/// What the shells complete beyond verbs and flags: local files where a command takes one, and the names only
/// phonepack knows — release ids from the state folder, profiles and keys from the config file. Each is read when
/// the user presses TAB (`phonepack ---completion …`), never at start-up.
enum Completions {
    /// The ids of the release records, newest first.
    static let releaseIDs = CompletionKind.custom { _, _, prefix in
        let state = transferStateDirectory(environment: ProcessInfo.processInfo.environment)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: state + "/releases")) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
            .filter { $0.hasPrefix(prefix) }.sorted(by: >)
    }

    /// The profiles of the config file.
    static let profiles = CompletionKind.custom { _, _, prefix in
        let path = CloudConfig.defaultPath(environment: ProcessInfo.processInfo.environment)
        let names = (try? CloudConfig.load(path: path))?.profiles.keys.map { $0 } ?? []
        return Set(names + ["default"]).filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// The keys `config set`, `get` and `unset` take.
    static let configKeys = CompletionKind.list(CloudConfig.knownKeys.keys.sorted())
}
