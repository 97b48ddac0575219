import Foundation
import PhonePackCore
import Synchronization

/// The emulated phones' PackageManager: it refuses what Android refuses at install, with Android's codes, and
/// remembers what each phone has (package, versionCode, signer). Signatures are judged by Debian's `apksigner`
/// — not by phonepack's verifier, which these phones exist to test — and cached by the APK's SHA-256.
final class PackageManager: Sendable {
    let apiLevel: Int
    let abis: [String]
    private let registryPath: String
    private let verdicts = Mutex<[String: Verdict]>([:])
    private let installed: Mutex<[String: [String: APKIdentity]]>

    /// apksigner's verdict on one APK.
    struct Verdict: Sendable {
        var verifies: Bool
        var message: String
        var signer: String?
        var lineage: [String]
    }

    /// An APK about to be installed: its manifest (phonepack's reader: parsing is not what is under test here)
    /// and apksigner's verdict.
    struct Candidate: Sendable {
        var info: APKInfo
        var verdict: Verdict

        var identity: APKIdentity {
            APKIdentity(
                packageName: info.packageName, versionCode: info.versionCode, signerSHA256: verdict.signer,
                lineageSHA256: verdict.lineage.isEmpty ? nil : verdict.lineage)
        }
    }

    init(root: String, apiLevel: Int, abis: [String]) {
        self.apiLevel = apiLevel
        self.abis = abis
        registryPath = root + "/packages.json"
        let saved = (try? Data(contentsOf: URL(fileURLWithPath: registryPath))).flatMap {
            try? JSONDecoder().decode([String: [String: APKIdentity]].self, from: $0)
        }
        installed = Mutex(saved ?? [:])
    }

    /// Reads the APK at `path` (its manifest, and apksigner's verdict).
    func candidate(_ path: String) throws -> Candidate {
        let info = try APKInfo.read(path: path)
        let key = try Digest.hash(.sha256, Data(contentsOf: URL(fileURLWithPath: path))).hexString
        if let cached = verdicts.withLock({ $0[key] }) { return Candidate(info: info, verdict: cached) }
        let verdict = try Self.apksigner(path)
        verdicts.withLock { $0[key] = verdict }
        return Candidate(info: info, verdict: verdict)
    }

    /// Why `phone` refuses `apk`, as `pm install` reports it, or `nil` when it installs.
    func refusal(_ apk: Candidate, on phone: String) -> EmulatedFailure? {
        func refuse(_ code: String, _ message: String) -> EmulatedFailure {
            EmulatedFailure(code: code, message: "Failure [\(code): \(message)]")
        }
        guard apk.verdict.verifies else {
            return refuse("INSTALL_PARSE_FAILED_NO_CERTIFICATES", "apksigner: \(apk.verdict.message)")
        }
        if let minSdk = apk.info.minSdk, minSdk > apiLevel {
            return refuse(
                "INSTALL_FAILED_OLDER_SDK", "Requires newer sdk version #\(minSdk) (current version is #\(apiLevel))")
        }
        if !apk.info.abis.isEmpty, !apk.info.abis.contains(where: abis.contains) {
            return refuse("INSTALL_FAILED_NO_MATCHING_ABIS", "Failed to extract native libraries, res=-113")
        }
        if apk.info.testOnly == true {
            return refuse("INSTALL_FAILED_TEST_ONLY", "installPackageLI")
        }
        guard let current = installed.withLock({ $0[phone]?[apk.info.packageName] }) else { return nil }
        if let old = current.signerSHA256, let new = apk.verdict.signer, old != new, !apk.verdict.lineage.contains(old)
        {
            return refuse(
                "INSTALL_FAILED_UPDATE_INCOMPATIBLE",
                "Package \(apk.info.packageName) signatures do not match previously installed version; ignoring!")
        }
        if let old = current.versionCode, let new = apk.info.versionCode, new < old {
            return refuse(
                "INSTALL_FAILED_VERSION_DOWNGRADE",
                "Downgrade detected: Update version code \(new) is older than current \(old)")
        }
        return nil
    }

    /// Records that `phone` now has `apk`.
    func record(_ apk: Candidate, on phone: String) {
        let snapshot = installed.withLock { table in
            table[phone, default: [:]][apk.info.packageName] = apk.identity
            return table
        }
        save(snapshot)
    }

    func remove(_ package: String, from phone: String) {
        save(
            installed.withLock { table in
                table[phone]?[package] = nil
                return table
            })
    }

    func identity(of package: String, on phone: String) -> APKIdentity? {
        installed.withLock { $0[phone]?[package] }
    }

    private func save(_ table: [String: [String: APKIdentity]]) {
        guard let data = try? JSONEncoder().encode(table) else { return }
        try? data.write(to: URL(fileURLWithPath: registryPath), options: .atomic)
    }

    /// `apksigner verify --print-certs`, then `apksigner lineage` for a rotated key's history.
    private static func apksigner(_ path: String) throws -> Verdict {
        let verify = try run(["verify", "--print-certs", path])
        let signer = verify.output.split(separator: "\n").first {
            $0.hasPrefix("Signer #1 certificate SHA-256 digest: ")
        }
        .map { String($0.split(separator: " ").last ?? "") }
        guard verify.status == 0 else {
            let reason = verify.output.split(separator: "\n").first {
                $0.hasPrefix("DOES NOT VERIFY") || $0.hasPrefix("ERROR")
            }
            return Verdict(verifies: false, message: String(reason ?? "does not verify"), signer: nil, lineage: [])
        }
        // `apksigner lineage` fails on an APK without one: no rotation, no lineage.
        let lineage = try run(["lineage", "--in", path, "--print-certs"])
        let digests =
            lineage.status == 0
            ? lineage.output.split(separator: "\n").filter { $0.contains("certificate SHA-256 digest: ") }.map {
                String($0.split(separator: " ").last ?? "")
            } : []
        return Verdict(verifies: true, message: "Verifies", signer: signer, lineage: digests)
    }

    private static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["apksigner"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw EmulatedFailure(
                code: "EMULATOR.NoApksigner",
                message: "the emulated package manager checks signatures with apksigner: install it (scripts/setup.sh)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 127 {
            throw EmulatedFailure(
                code: "EMULATOR.NoApksigner",
                message: "the emulated package manager checks signatures with apksigner: install it (scripts/setup.sh)")
        }
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
