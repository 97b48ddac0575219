import PhonePackCore

extension CloudSession {
    /// Largest installed version fetched for `--upgrade-from`: an app tar holds the data too, but not terabytes.
    static let upgradeBaselineLimit: Int64 = 16 << 30

    /// The identity (package, versionCode, signer, lineage) of what an update must follow, from an APK or an app
    /// tar: a local file, or an `obs://` / `oss://` object read into an unnamed temporary file (nothing is left
    /// behind, nothing is written where the user did not ask).
    public func upgradeBaseline(_ source: String) throws(PhonePackError) -> APKIdentity {
        guard ObjectURL.looksLikeURL(source) else { return try APKIdentity.read(OpenFile.forReading(source)) }
        let url = try ObjectURL(parsing: source)
        let store = try objectStore(for: url)
        let size = try store.head(url.key).size
        guard size <= Self.upgradeBaselineLimit else {
            throw PhonePackError(
                .invalidInput, operation: "read the installed version", path: source,
                message: "is \(formatBytes(size)); give the installed base.apk instead of a tar this large")
        }
        let copy = try OpenFile.unnamedTemporary(name: source)
        try store.get(url.key, to: copy)
        return try APKIdentity.read(copy)
    }
}
