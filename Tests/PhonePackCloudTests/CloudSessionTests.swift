import PhonePackCloud
import PhonePackCore
import PhonePackTestSupport
import Testing

/// Endpoint, region and config resolution, without a network: what every cloud verb reaches through
/// `CloudSession`.
@Suite("CloudSession: one precedence for seven services")
struct CloudSessionTests {
    func config(_ text: String) throws -> CloudConfig {
        let tmp = try TemporaryDirectory()
        try tmp.write("config.toml", text)
        return try CloudConfig.load(path: tmp.file("config.toml"))
    }

    @Test("flag, then environment, then profile, then the region's public endpoint")
    func precedence() throws {
        let profile = try config("[default]\nregion = \"cn-east-3\"\nobs_endpoint = \"https://obs.profile.example\"\n")
        var session = CloudSession(environment: ["PHONEPACK_OBS_ENDPOINT": "https://obs.env.example"])
        session.endpoints[.obs] = "https://obs.flag.example"
        #expect(try session.endpoint(.obs, config: profile).description == "https://obs.flag.example")
        session.endpoints = [:]
        #expect(try session.endpoint(.obs, config: profile).description == "https://obs.env.example")
        session.environment = [:]
        #expect(try session.endpoint(.obs, config: profile).description == "https://obs.profile.example")
        #expect(try session.endpoint(.oss, config: profile).description == "https://oss-cn-east-3.aliyuncs.com")
        #expect(try session.endpoint(.cph, config: profile).description == "https://cph.cn-east-3.myhuaweicloud.com")
        #expect(
            try session.endpoint(.edsAic, config: profile).description == "https://eds-aic.cn-east-3.aliyuncs.com")
        #expect(try session.endpoint(.koophone, config: profile).description == "https://koophone.myhuaweicloud.com")
        session.region = "ap-southeast-1"
        #expect(try session.endpoint(.s3, config: profile).description == "https://s3.ap-southeast-1.amazonaws.com")
        #expect(
            try session.endpoint(.iam, config: CloudConfig()).description
                == "https://iam.ap-southeast-1.myhuaweicloud.com")
    }

    @Test("every service names its variable and key the same way")
    func names() {
        #expect(
            CloudService.allCases.map(\.environmentVariable) == [
                "PHONEPACK_OBS_ENDPOINT", "PHONEPACK_OSS_ENDPOINT", "PHONEPACK_S3_ENDPOINT", "PHONEPACK_IAM_ENDPOINT",
                "PHONEPACK_CPH_ENDPOINT", "PHONEPACK_KOOPHONE_ENDPOINT", "PHONEPACK_EDS_AIC_ENDPOINT",
            ])
        #expect(CloudService.edsAic.configKey == "eds_aic_endpoint")
    }

    @Test("no region and no endpoint: a typed error naming the variable to set")
    func missingRegion() {
        let session = CloudSession(environment: [:])
        #expect {
            try session.endpoint(.cph, config: CloudConfig())
        } throws: { error in
            let error = error as? PhonePackError
            return error?.code == .invalidInput && error?.path == "CPH"
                && error?.message.contains("PHONEPACK_CPH_ENDPOINT") == true
        }
    }

    @Test("plain http only to this machine, whatever the source of the URL")
    func loopback() throws {
        var session = CloudSession(environment: ["PHONEPACK_OSS_ENDPOINT": "http://127.evil.com:9000"])
        #expect(throws: PhonePackError.self) { try session.endpoint(.oss, config: CloudConfig()) }
        session.allowInsecureHTTP = true
        #expect(try session.endpoint(.oss, config: CloudConfig()).description == "http://127.evil.com:9000")
        session.allowInsecureHTTP = false
        session.environment["PHONEPACK_OSS_ENDPOINT"] = "http://127.0.0.1:9000"
        #expect(try session.endpoint(.oss, config: CloudConfig()).description == "http://127.0.0.1:9000")
    }

    @Test("stores: path style for IP and localhost, virtual-hosted for DNS; each store's own signature")
    func storeAddressing() throws {
        let session = CloudSession(environment: [:])
        let local = ObjectStoreEndpoint(
            store: .oss,
            service: try ServiceURL(parsing: "http://localhost:9000", service: "OSS", allowInsecureHTTP: false),
            region: nil)
        #expect(local.pathStyle && local.signature == .oss4 && local.region == "us-east-1")
        var remote = session
        remote.region = "cn-north-4"
        let obs = ObjectStoreEndpoint(
            store: .obs, service: try remote.endpoint(.obs, config: CloudConfig()), region: "cn-north-4",
            signature: .v4)
        #expect(!obs.pathStyle && obs.signature == .v4 && obs.host == "obs.cn-north-4.myhuaweicloud.com")
    }

    @Test("the phones' own OSS endpoint: flag, then the host of PHONEPACK_OSS_ENDPOINT, then the internal one")
    func phoneSide() {
        var session = CloudSession(environment: ["PHONEPACK_OSS_ENDPOINT": "http://127.0.0.1:9000"])
        #expect(session.phoneSideOSSEndpoint(explicit: "oss-x-internal.aliyuncs.com") == "oss-x-internal.aliyuncs.com")
        #expect(session.phoneSideOSSEndpoint(explicit: nil) == "127.0.0.1:9000")
        session.environment = [:]
        session.region = "cn-hangzhou"
        #expect(session.phoneSideOSSEndpoint(explicit: nil) == "oss-cn-hangzhou-internal.aliyuncs.com")
    }

    @Test("config files: profiles, quoting, comments; a bad line is named")
    func configFile() throws {
        let parsed = try config(
            """
            # phonepack
            [default]
            region = "cn-north-4"   # trailing comment
            huawei_project_id = "p # not a comment"

            [staging]
            region = 'cn-east-3'
            """)
        #expect(parsed.value("region", profile: "default") == "cn-north-4")
        #expect(parsed.value("huawei_project_id", profile: "default") == "p # not a comment")
        #expect(parsed.value("region", profile: "staging") == "cn-east-3")
        #expect(parsed.value("region", profile: "missing") == nil)
        #expect {
            try config("[default]\nregion cn-north-4\n")
        } throws: { error in
            (error as? PhonePackError)?.code == .invalidInput && "\(error)".contains("config.toml:2:")
        }
        #expect(CloudConfig.isSecret("huawei_secret_key") && !CloudConfig.isSecret("region"))
    }
}
