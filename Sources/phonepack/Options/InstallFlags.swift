import ArgumentParser
import PhonePackCore

/// The phones an APK is for (`verify`, `release`): PackageManager's rules depend on their API level and ABIs.
struct InstallTargetFlags: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The phones' Android API level (30 = Android 11): an APK whose minSdkVersion is higher fails.",
            valueName: "level"))
    var phoneApi: Int?

    @Option(
        help: ArgumentHelp(
            "The ABIs the phones' image runs (default arm64-v8a; native code only for 32-bit ABIs warns).",
            valueName: "abi,abi"))
    var phoneAbis: String?

    func validate() throws {
        if let phoneApi, !(1...100).contains(phoneApi) { throw ValidationError("--phone-api must be 1 to 100") }
        if let phoneAbis, phoneAbis.split(separator: ",").isEmpty {
            throw ValidationError("--phone-abis needs at least one ABI, e.g. arm64-v8a,armeabi-v7a")
        }
    }

    var target: InstallTarget {
        InstallTarget(apiLevel: phoneApi, abis: phoneAbis.map { $0.split(separator: ",").map(String.init) })
    }
}

/// `release`'s overrides of the continuity check with the last release of the package.
struct ContinuityFlags: ParsableArguments {
    @Flag(
        help:
            "Send a lower versionCode than the last release on purpose (phones that have the app refuse it: INSTALL_FAILED_VERSION_DOWNGRADE)."
    )
    var allowDowngrade = false

    @Flag(
        help:
            "Send an APK signed by another key than the last release on purpose (phones that have the app refuse it: INSTALL_FAILED_UPDATE_INCOMPATIBLE)."
    )
    var allowSignerChange = false
}
