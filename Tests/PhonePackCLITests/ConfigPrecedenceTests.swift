import Foundation
import PhonePackTestSupport
import Testing

@Suite(
    "Configuration: flag > chosen profile > environment > default profile; file defaults; proxies (issue 17)",
    .ownThread)
struct ConfigPrecedenceTests {
    /// A config file with a default and a staging profile, each with its own key pair, pointing at `endpoint`.
    static func configFile(_ tmp: TemporaryDirectory, endpoint: String, extra: String = "") throws -> String {
        let path = tmp.file("config.toml")
        try """
        [default]
        huawei_access_key = "DEFAULTPROFILEAK"
        huawei_secret_key = "default-profile-secret"
        obs_endpoint = "\(endpoint)"

        [staging]
        huawei_access_key = "STAGINGPROFILEAK"
        huawei_secret_key = "staging-profile-secret"
        obs_endpoint = "\(endpoint)"
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        // It holds secrets: phonepack refuses it unless only its owner can read it.
        chmod(path, 0o600)
        return path
    }

    /// The key source `-v` names for a `stat`.
    static func source(_ arguments: [String], _ environment: [String: String]) throws -> String {
        let result = try CLI.run(["stat", "obs://b1/x.tar", "-v"] + arguments, environment: environment)
        return result.stderr.split(separator: "\n").first { $0.contains("using access key") }
            .map { String($0.components(separatedBy: " from ").last!.split(separator: " for ").first!) }
            ?? result.stderr
    }

    @Test("credentials and endpoints: the default profile loses to the environment, a chosen profile beats it")
    func precedence() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let config = try Self.configFile(tmp, endpoint: server.url)
        let base = [
            "PHONEPACK_CONFIG": config, "PHONEPACK_STATE_DIR": tmp.file("state"), "XDG_CACHE_HOME": tmp.file("c"),
        ]
        let environmentKeys = base.merging([
            "OBS_ACCESS_KEY_ID": "ENVIRONMENTAK", "OBS_SECRET_ACCESS_KEY": "env-secret",
        ]) { $1 }

        #expect(try Self.source([], base) == "profile default")
        #expect(try Self.source([], environmentKeys) == "environment (OBS_ACCESS_KEY_ID)")
        #expect(try Self.source(["--profile", "staging"], environmentKeys) == "profile staging")
        #expect(
            try Self.source([], environmentKeys.merging(["PHONEPACK_PROFILE": "staging"]) { $1 }) == "profile staging")
        #expect(try Self.source(["--profile", "default"], environmentKeys) == "profile default")

        // An endpoint left in the environment points nowhere: it wins over the default profile (and fails, exit 3),
        // loses to a chosen profile and to --endpoint.
        let stale = base.merging(["PHONEPACK_OBS_ENDPOINT": "http://127.0.0.1:9"]) { $1 }
        #expect(try CLI.run(["stat", "obs://b1/x.tar"], environment: stale).status == Exit.service.rawValue)
        #expect(try CLI.run(["stat", "obs://b1/x.tar", "--profile", "staging"], environment: stale).status == 0)
        #expect(try CLI.run(["stat", "obs://b1/x.tar", "--endpoint", server.url], environment: stale).status == 0)
        let secrets = try server.requests().map { "\($0)" }.joined()
        #expect(!secrets.contains("secret"))

        try expectRun(
            ["config", "profiles"], environment: base.merging(["PHONEPACK_PROFILE": "staging"]) { $1 },
            stdout:
                "\(config)\n  default              3 keys\n  staging              3 keys  (used: PHONEPACK_PROFILE)\n")
    }

    @Test("the file's retries, jobs and limit_rate apply, a flag beats them, and a bad value names its key")
    func fileDefaults() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "error-500", in: tmp)
        let env = server.environment(tmp).merging(
            ["PHONEPACK_CONFIG": try Self.configFile(tmp, endpoint: server.url, extra: "retries = \"0\"\n")]) { $1 }
        // retries = 0 in the chosen profile: one request; the default profile has none: the built-in 3 retries.
        _ = try CLI.run(["stat", "obs://b1/x.tar", "--profile", "staging"], environment: env)
        #expect(try server.requests().count == 1)
        _ = try CLI.run(["stat", "obs://b1/x.tar"], environment: env)
        #expect(try server.requests().count == 1 + 4)

        for (key, value) in [("jobs", "99"), ("limit_rate", "fast"), ("retries", "-1"), ("proxy", "not a url")] {
            let bad = env.merging(
                ["PHONEPACK_CONFIG": try Self.configFile(tmp, endpoint: server.url, extra: "\(key) = \"\(value)\"\n")]
            ) { $1 }
            let result = try CLI.run(
                ["upload", CLI.script("craft.py"), "obs://b1/x", "--profile", "staging"], environment: bad)
            #expect(result.status == Exit.usage.rawValue, "\(key): \(result.stderr)")
            #expect(result.stderr.hasPrefix("phonepack: error: \(key): "), "\(result.stderr)")
            #expect(result.stderr.contains("'\(value)'") == (key != "proxy"), "\(result.stderr)")
        }
    }

    @Test("a proxy from the config file or http_proxy carries the requests; no_proxy and a chosen profile's own win")
    func proxy() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let proxy = try LocalServer(pythonScript: "http_proxy.py")
        let proxyURL = "http://127.0.0.1:\(proxy.port)"
        let env = server.environment(tmp).merging(
            ["PHONEPACK_CONFIG": try Self.configFile(tmp, endpoint: server.url, extra: "proxy = \"\(proxyURL)\"\n")]) {
                $1
            }
        func proxied(_ arguments: [String], _ extra: [String: String] = [:]) throws -> Bool {
            let before = try server.requests().count
            let result = try CLI.run(["stat", "obs://b1/x.tar"] + arguments, environment: env.merging(extra) { $1 })
            #expect(result.status == 0, "\(result.stderr)")
            let requests = try server.requests().dropFirst(before)
            #expect(!requests.isEmpty)
            return requests.allSatisfy { $0["proxied"] as? Bool == true }
        }
        #expect(try proxied(["--profile", "staging"]))
        #expect(try !proxied([]))  // the default profile names no proxy, nor does the environment…
        #expect(try proxied([], ["http_proxy": proxyURL]))  // … and the environment's applies
        #expect(try !proxied([], ["http_proxy": proxyURL, "no_proxy": "127.0.0.1"]))
    }
}
