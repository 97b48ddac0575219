/// The phones an APK is for: their Android API level, when known, and the ABIs their image runs.
public struct InstallTarget: Sendable, Equatable {
    public var apiLevel: Int?
    /// The ABIs the phones run; `nil` for the cloud phones' usual image: arm64-v8a, with 32-bit ABIs only where
    /// the image has 32-bit support (a warning, not a failure).
    public var abis: [String]?

    public init(apiLevel: Int? = nil, abis: [String]? = nil) {
        self.apiLevel = apiLevel
        self.abis = abis
    }

    static let thirtyTwoBitABIs: Set<String> = ["armeabi-v7a", "armeabi"]
}

/// What identifies an installed app for PackageManager: its package, versionCode, and signer (with the key's
/// rotation history). Release records keep it, so the next release can be checked against it.
public struct APKIdentity: Sendable, Codable, Equatable {
    public var packageName: String
    public var versionCode: Int64?
    /// The signer certificate's SHA-256, lowercase hex (apksigner's form).
    public var signerSHA256: String?
    /// With a rotated key: every certificate's SHA-256 from the first to the current.
    public var lineageSHA256: [String]?

    public init(packageName: String, versionCode: Int64?, signerSHA256: String?, lineageSHA256: [String]? = nil) {
        self.packageName = packageName
        self.versionCode = versionCode
        self.signerSHA256 = signerSHA256
        self.lineageSHA256 = lineageSHA256
    }

    enum CodingKeys: String, CodingKey { case packageName = "package", versionCode, signerSHA256, lineageSHA256 }

    /// Reads `package`, or `packageName` as release records written before the JSON vocabulary have it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        packageName = try APKInfo.packageName(c, .packageName, decoder)
        versionCode = try c.decodeIfPresent(Int64.self, forKey: .versionCode)
        signerSHA256 = try c.decodeIfPresent(String.self, forKey: .signerSHA256)
        lineageSHA256 = try c.decodeIfPresent([String].self, forKey: .lineageSHA256)
    }

    /// The identity of an APK, or of the base.apk of an app tar (`data/app/<package>-*/base.apk`), in `file`.
    public static func read(_ file: OpenFile) throws(PhonePackError) -> APKIdentity {
        if try FileKind.sniff(file) == .zip { return APKIdentity(try APKInfo.read(from: file, signatures: true)) }
        let reader = try TarReader(file: file)
        while let entry = try reader.next() {
            let path = EntryPath.normalize(entry.path).path
            guard entry.kind == .file, let package = SharedAppLayout.packageMentioned(in: path),
                SharedAppLayout(packageName: package).isBaseAPK(path)
            else { continue }
            return APKIdentity(
                try APKInfo.read(
                    from: file, offset: entry.dataOffset, length: entry.size, displayName: "\(file.path):\(entry.path)",
                    signatures: true))
        }
        throw PhonePackError(
            .invalidInput, operation: "read the installed version", path: file.path,
            message: "is neither an APK nor a tar with a data/app/<package>-*/base.apk")
    }

    public init(_ info: APKInfo) {
        self.init(
            packageName: info.packageName, versionCode: info.versionCode,
            signerSHA256: info.signature?.signers.first?.sha256,
            lineageSHA256: info.signature.flatMap { $0.lineage.isEmpty ? nil : $0.lineage.map(\.sha256) })
    }
}

/// Something PackageManager would refuse (or, as a warning, may refuse), with Android's own code and the fix.
public struct InstallProblem: Sendable, Codable, Equatable {
    /// `INSTALL_PARSE_FAILED_NO_CERTIFICATES`, `INSTALL_FAILED_NO_MATCHING_ABIS`, …
    public var code: String
    /// The APK (`app.tar:data/app/com.x-1/base.apk`), and the entry inside it when one is to blame.
    public var apk: String
    public var entry: String?
    public var message: String
    public var fix: String
    public var isWarning = false

    /// `INSTALL_…: message (fix: …)`.
    public var line: String { "\(code): \(message) (fix: \(fix))" }
    /// Where: the APK, and the entry inside it.
    public var location: String { entry.map { "\(apk)!\($0)" } ?? apk }
}

/// PackageManager's rules, as far as the APK's bytes and manifest tell: each one Android enforces at install,
/// with the INSTALL_* code the phone reports.
public enum InstallRules {
    static let noCertificates = "INSTALL_PARSE_FAILED_NO_CERTIFICATES"
    static let invalidAPK = "INSTALL_FAILED_INVALID_APK"

    /// What is wrong with one APK (base or split) for phones of `target`.
    public static func problems(of apk: APKInfo, named name: String, target: InstallTarget) -> [InstallProblem] {
        var problems: [InstallProblem] = []
        func add(_ code: String, _ entry: String? = nil, _ message: String, fix: String, warning: Bool = false) {
            problems.append(
                InstallProblem(code: code, apk: name, entry: entry, message: message, fix: fix, isWarning: warning))
        }
        if let signature = apk.signature, let failure = signature.failure {
            add(
                noCertificates, nil, failure.description,
                fix: failure.code == .schemeTooOld
                    ? "sign with APK Signature Scheme v2 or v3 (apksigner sign does by default)"
                    : "sign it with apksigner after the last change to the file (zipalign before, never after)")
        }
        if apk.spansDisks == true {
            add(
                "INSTALL_PARSE_FAILED_NOT_APK", nil,
                "its End of Central Directory says the ZIP spans several disks, which Android's zip reader refuses",
                fix: "rebuild the APK (zipalign, then sign) from the app's sources; the file was damaged after signing")
        }
        let targetSdk = apk.targetSdk ?? 0
        for entry in apk.placement ?? [] where entry.name == "resources.arsc" && targetSdk >= 30 {
            if !entry.stored || entry.dataOffset % 4 != 0 {
                add(
                    "INSTALL_PARSE_FAILED_RESOURCES_ARSC_COMPRESSED", entry.name,
                    "targetSdkVersion \(targetSdk) needs resources.arsc stored uncompressed at a 4-byte boundary; it is \(entry.stored ? "at offset \(entry.dataOffset)" : "compressed")",
                    fix: "build with resources.arsc stored (aapt -0 arsc, AGP does), then zipalign -p 4, then sign")
            }
        }
        if apk.extractNativeLibs == false {
            for entry in apk.placement ?? [] where entry.name.hasPrefix("lib/") {
                if !entry.stored || entry.dataOffset % 4096 != 0 {
                    add(
                        invalidAPK, entry.name,
                        "extractNativeLibs=\"false\" maps native libraries from the APK, so they must be stored and page-aligned; it is \(entry.stored ? "at offset \(entry.dataOffset)" : "compressed")",
                        fix:
                            "store .so files uncompressed and zipalign -p 4 before signing, or set extractNativeLibs=\"true\""
                    )
                }
            }
        }
        if !apk.abis.isEmpty {
            let runs = target.abis ?? ["arm64-v8a"]
            if apk.abis.contains(where: runs.contains) {
                // Fine.
            } else if target.abis == nil, apk.abis.contains(where: InstallTarget.thirtyTwoBitABIs.contains) {
                add(
                    "INSTALL_FAILED_NO_MATCHING_ABIS", nil,
                    "native code only for \(apk.abis.joined(separator: ", ")): runs only on images with 32-bit support",
                    fix:
                        "add lib/arm64-v8a/, or give --phone-abis arm64-v8a,armeabi-v7a if your image runs 32-bit code",
                    warning: true)
            } else {
                add(
                    "INSTALL_FAILED_NO_MATCHING_ABIS", nil,
                    "native code only for \(apk.abis.joined(separator: ", ")); the phones run \(runs.joined(separator: ", "))",
                    fix: "build the app's native code for arm64-v8a")
            }
        }
        if let level = target.apiLevel, let minSdk = apk.minSdk, minSdk > level {
            add(
                "INSTALL_FAILED_OLDER_SDK", nil, "minSdkVersion \(minSdk) is above the phones' API level \(level)",
                fix: "lower minSdkVersion to \(level) or use newer phone images")
        }
        if apk.testOnly == true {
            add(
                "INSTALL_FAILED_TEST_ONLY", nil, "android:testOnly=\"true\" (a debug build from Android Studio's Run)",
                fix: "build a release variant, or remove android:testOnly")
        }
        return problems
    }

    /// A base APK and its splits: one package, one versionCode, one signer, unique split names, a base.
    public static func problems(base: (name: String, info: APKInfo)?, splits: [(name: String, info: APKInfo)])
        -> [InstallProblem]
    {
        var problems: [InstallProblem] = []
        guard let base else {
            for split in splits {
                problems.append(
                    InstallProblem(
                        code: invalidAPK, apk: split.name, message: "a split with no base APK beside it",
                        fix: "add the base.apk of the same build"))
            }
            return problems
        }
        var seen: Set<String> = []
        for split in splits {
            func add(_ message: String, fix: String) {
                problems.append(InstallProblem(code: invalidAPK, apk: split.name, message: message, fix: fix))
            }
            let splitName = split.info.splitName ?? ""
            if !seen.insert(splitName).inserted {
                add("split name \"\(splitName)\" appears twice", fix: "keep one APK per split name")
            }
            if split.info.packageName != base.info.packageName {
                add(
                    "the split is package \(split.info.packageName), the base \(base.info.packageName)",
                    fix: "ship the splits built with this base")
            }
            if split.info.versionCode != base.info.versionCode {
                add(
                    "the split has versionCode \(split.info.versionCode.map(String.init) ?? "none"), the base \(base.info.versionCode.map(String.init) ?? "none")",
                    fix: "ship the splits built with this base")
            }
            let splitSigner = split.info.signature?.signers.first?.sha256
            let baseSigner = base.info.signature?.signers.first?.sha256
            if let splitSigner, let baseSigner, splitSigner != baseSigner {
                add(
                    "the split is signed by \(splitSigner.prefix(16))…, the base by \(baseSigner.prefix(16))…",
                    fix: "sign every APK of the app with the same key")
            }
        }
        return problems
    }

    /// An update over `installed`: the same signer (or a v3 lineage naming it) and a versionCode no lower.
    public static func upgradeProblems(
        _ apk: APKIdentity, named name: String, over installed: APKIdentity, allowDowngrade: Bool = false,
        allowSignerChange: Bool = false
    ) -> [InstallProblem] {
        var problems: [InstallProblem] = []
        guard apk.packageName == installed.packageName else { return [] }
        if let old = installed.signerSHA256, let new = apk.signerSHA256, new != old,
            !(apk.lineageSHA256 ?? []).contains(old)
        {
            problems.append(
                InstallProblem(
                    code: "INSTALL_FAILED_UPDATE_INCOMPATIBLE", apk: name,
                    message: "signed by \(new), but the installed app by \(old), and no v3 lineage names it",
                    fix:
                        "sign with the installed app's key, or rotate keys (apksigner rotate, then sign with --lineage); --allow-signer-change only where the phones uninstall the app first",
                    isWarning: allowSignerChange))
        }
        if let old = installed.versionCode, let new = apk.versionCode, new < old {
            problems.append(
                InstallProblem(
                    code: "INSTALL_FAILED_VERSION_DOWNGRADE", apk: name,
                    message: "versionCode \(new) is lower than the installed \(old)",
                    fix:
                        "raise versionCode above \(old); --allow-downgrade only where the phones uninstall the app first",
                    isWarning: allowDowngrade))
        }
        return problems
    }
}
