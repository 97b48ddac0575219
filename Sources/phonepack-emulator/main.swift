import ArgumentParser
import Glibc
import PhonePackCloud
import PhonePackEmulator

/// `phonepack-emulator --data DIR`: local OBS and OSS stand-ins for tests and the offline demo.
@main
struct EmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phonepack-emulator",
        abstract: "Local stand-ins for Huawei OBS and Alibaba OSS that check signatures, digests and multipart rules.",
        discussion: """
            Prints one line when every service listens, e.g.
              READY cph=http://127.0.0.1:40125 eds-aic=… iam=… koophone=… obs=http://127.0.0.1:40123 oss=…
            (IAM, CPH, KooPhone and eds-aic share one port.)
            Point phonepack at it with PHONEPACK_<NAME>_ENDPOINT for each name on the READY line (OBS, OSS, CPH,
            IAM, KOOPHONE, EDS_AIC) and the emulator's key pair in the vendors' variables (OBS_ACCESS_KEY_ID /
            OBS_SECRET_ACCESS_KEY, OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET, …). CPH accepts any project id;
            KooPhone wants an IAM token, which IAM gives for --iam-user and its password.
            Every request is appended to DIR/requests.jsonl. Faults are drawn from a seeded generator, so a
            seed gives the same sequence of decisions on every run.
            """)

    @Option(help: "Folder for objects, uploads and the request log (created if missing; kept between runs).")
    var data: String

    @Option(help: "Address to listen on (loopback unless you mean otherwise).")
    var host = "127.0.0.1"

    @Option(help: "OBS port (0 = any free port).")
    var obsPort = 0

    @Option(help: "OSS port (0 = any free port).")
    var ossPort = 0

    @Option(help: "Port of the cloud-phone APIs: IAM, CPH, KooPhone and eds-aic (0 = any free port).")
    var apiPort = 0

    @Option(help: "Cloud-phone servers CPH knows: server0001, server0002, …")
    var servers = 3

    @Option(help: "Phones per CPH server: phone0001, phone0002, …")
    var phonesPerServer = 1

    @Option(help: "KooPhone instances (kp0001 …) and Alibaba instances (acp-0001 …).")
    var instances = 3

    @Option(help: "IAM user name whose password gets a token.")
    var iamUser = "phonepack"

    @Option(help: "That user's password (else PHONEPACK_EMULATOR_IAM_PASSWORD, else the built-in demo one).")
    var iamPassword: String?

    @Option(help: "Seconds each emulated CPH job runs before it ends.")
    var jobSeconds = 2.0

    @Option(help: "Access key id the stores accept.")
    var accessKey = "PHONEPACKEMULATORAK"

    @Option(help: "Secret key the stores accept (else PHONEPACK_EMULATOR_SECRET, else the built-in demo secret).")
    var secretKey: String?

    @Option(help: "Region OBS requires in V4 scopes (default: any).")
    var obsRegion: String?

    @Option(help: "Region OSS requires in V4 scopes (default: any).")
    var ossRegion: String?

    @Option(name: .customLong("bucket"), help: "Create this bucket in both stores at start (repeatable).")
    var buckets: [String] = []

    @Option(help: "Probability (0 to 1) that a request gets an injected fault instead of an answer.")
    var faultRate = 0.0

    @Option(help: "Comma-separated faults to draw from: 500, 503, 429, reset, slow.")
    var faultKinds = "500,503,429,reset,slow"

    @Option(help: "Seed of the fault generator.")
    var seed: UInt64 = 1

    @Option(help: "Server, phone or instance ids whose every job fails: id,id,… (to test halting rollouts).")
    var failTargets = ""

    @Option(help: "Smallest size of every part but the last, in bytes.")
    var minPartSize: Int64 = 100 * 1024

    @Option(help: "Android API level of the emulated phones (their package manager refuses a higher minSdkVersion).")
    var phoneApi = 30

    @Option(help: "ABIs the emulated phones run: abi,abi,… (an APK with native code for none of them is refused).")
    var phoneAbis = "arm64-v8a,armeabi-v7a,armeabi"

    @Option(
        help: ArgumentHelp(
            "Append every request as it arrived, with the verdict on its signature, to FILE (for Tests/Scripts/signature_oracle.py).",
            discussion: "It holds request bodies and security tokens: for tests only.", valueName: "FILE"))
    var wireLog: String?

    func run() async throws {
        var configuration = EmulatorConfiguration(dataDirectory: data)
        configuration.host = host
        configuration.obsPort = obsPort
        configuration.ossPort = ossPort
        configuration.apiPort = apiPort
        configuration.serverCount = servers
        configuration.phonesPerServer = phonesPerServer
        configuration.instanceCount = instances
        configuration.iamUser = iamUser
        if let password = iamPassword ?? ProcessInfoLite.environment("PHONEPACK_EMULATOR_IAM_PASSWORD") {
            configuration.iamPassword = password
        }
        configuration.jobSeconds = jobSeconds
        configuration.credentials.accessKey = accessKey
        if let secret = secretKey ?? ProcessInfoLite.environment("PHONEPACK_EMULATOR_SECRET") {
            configuration.credentials.secretKey = secret
        }
        configuration.obsRegion = obsRegion
        configuration.ossRegion = ossRegion
        configuration.buckets = buckets
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate takes 0 to 1") }
        configuration.faultRate = faultRate
        configuration.faultKinds = try faultKinds.split(separator: ",").map {
            guard let kind = FaultKind(rawValue: String($0)) else {
                throw ValidationError("--fault-kinds: '\($0)' is not one of 500, 503, 429, reset, slow")
            }
            return kind
        }
        configuration.seed = seed
        configuration.failTargets = Set(failTargets.split(separator: ",").map(String.init))
        configuration.minimumPartSize = minPartSize
        configuration.wireLogPath = wireLog
        configuration.phoneAPILevel = phoneApi
        configuration.phoneABIs = phoneAbis.split(separator: ",").map(String.init)
        try await Emulator.run(configuration) { services in
            let line = Array("READY \(services)\n".utf8)
            _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
        }
    }
}

enum ProcessInfoLite {
    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
