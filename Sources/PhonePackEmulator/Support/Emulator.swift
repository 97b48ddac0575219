import Glibc
import Hummingbird
import Logging
import PhonePackCloud
import PhonePackCore
import Synchronization

/// How to run the emulator.
public struct EmulatorConfiguration: Sendable {
    /// Where objects, uploads and the request log live. Kept across runs.
    public var dataDirectory: String
    public var host = "127.0.0.1"
    /// 0 picks a free port; the READY line says which.
    public var obsPort = 0
    public var ossPort = 0
    /// The port of the cloud-phone APIs (IAM, CPH, KooPhone, eds-aic share it, told apart by path).
    public var apiPort = 0
    /// Cloud-phone servers CPH knows (`server0001` …), phones per server (`phone0001` …), KooPhone and
    /// Alibaba instances (`kp0001` …, `acp-0001` …), and how long each emulated job runs.
    public var serverCount = 3
    public var phonesPerServer = 1
    public var instanceCount = 3
    public var jobSeconds = 2.0
    /// Targets (server, phone or instance ids) whose every job fails, to test how a rollout halts.
    public var failTargets: Set<String> = []
    /// The IAM user whose password gets a token (for X-Auth-Token).
    public var iamUser = "phonepack"
    public var iamPassword = "phonepack-emulator-password"
    /// The one key pair every store accepts.
    public var credentials = Credentials(
        accessKey: "PHONEPACKEMULATORAK", secretKey: "phonepack-emulator-secret", source: "emulator")
    /// Regions the stores insist on in V4 scopes, or `nil` to accept any.
    public var obsRegion: String?
    public var ossRegion: String?
    /// Buckets created at start (in both stores).
    public var buckets: [String] = []
    public var faultRate = 0.0
    public var faultKinds = FaultKind.allCases
    public var seed: UInt64 = 1
    public var minimumPartSize: Int64 = 100 << 10
    /// What the phones' package manager checks APKs against.
    public var phoneAPILevel = 30
    public var phoneABIs = ["arm64-v8a", "armeabi-v7a", "armeabi"]
    /// Where to record every request as it arrived, for the signature oracle (nil: nowhere).
    public var wireLogPath: String?

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
}

/// Starts the emulated services and reports where they listen.
public enum Emulator {
    /// Runs until the process is stopped. `ready` gets `name=URL` pairs once every service listens.
    public static func run(_ configuration: EmulatorConfiguration, ready: @escaping @Sendable (String) -> Void)
        async throws
    {
        let root = configuration.dataDirectory
        for folder in [joinPath(root, "obs"), joinPath(root, "oss")] { try makeDirectories(folder, mode: 0o755) }
        let log = try RequestLog(path: joinPath(root, "requests.jsonl"), wirePath: configuration.wireLogPath)
        let faults = FaultInjector(
            rate: configuration.faultRate, kinds: configuration.faultKinds, seed: configuration.seed)
        var services: [(name: String, port: Int, responder: CallbackResponder<BasicRequestContext>)] = []
        // One storage per store, shared with the phones: an export they write is in the next listing (each storage
        // keeps its own listing index).
        let obs = ObjectStorage(root: joinPath(root, "obs"), flavor: .obs)
        let oss = ObjectStorage(root: joinPath(root, "oss"), flavor: .oss)
        for (storage, port, region) in [
            (obs, configuration.obsPort, configuration.obsRegion),
            (oss, configuration.ossPort, configuration.ossRegion),
        ] {
            let flavor = storage.flavor
            for bucket in configuration.buckets { try storage.createBucket(bucket) }
            let service = ObjectStoreService(
                storage: storage, credentials: configuration.credentials, region: region, faults: faults, log: log,
                minimumPartSize: configuration.minimumPartSize)
            services.append((flavor.rawValue, port, CallbackResponder(callback: service.respond)))
        }
        let api = CloudPhoneService(configuration: configuration, obs: obs, oss: oss, faults: faults, log: log)
        services.append(("api", configuration.apiPort, CallbackResponder(callback: api.respond)))
        let bound = Mutex<[String: Int]>([:])
        let expected = services.count
        var logger = Logger(label: "phonepack-emulator")
        logger.logLevel = .critical
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                let app = Application(
                    responder: service.responder,
                    server: .http1(configuration: .init(additionalChannelHandlers: [ContinueHandler()])),
                    configuration: ApplicationConfiguration(
                        address: .hostname(configuration.host, port: service.port), serverName: "phonepack-emulator"),
                    onServerRunning: { channel in
                        let port = channel.localAddress?.port ?? 0
                        let all = bound.withLock { ports -> [String: Int]? in
                            ports[service.name] = port
                            return ports.count == expected ? ports : nil
                        }
                        if var all {
                            // One port serves every cloud-phone API; name it once per API for the environment.
                            for name in ["cph", "iam", "koophone", "eds-aic"] { all[name] = all["api"] }
                            all["api"] = nil
                            ready(
                                all.sorted { $0.key < $1.key }.map {
                                    "\($0.key)=http://\(configuration.host):\($0.value)"
                                }.joined(separator: " "))
                        }
                    },
                    logger: logger)
                group.addTask { try await app.run() }
            }
            try await group.waitForAll()
        }
    }
}
