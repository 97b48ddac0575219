import CLibCrypto

/// The `sha256sum` line phonepack writes beside a tar (`app.tar.sha256`, or the object `KEY.sha256`) and reads back.
public enum ChecksumLine {
    /// `HEX  NAME\n`.
    public static func make(sha256: String, name: String) -> [UInt8] { Array("\(sha256)  \(name)\n".utf8) }

    /// The SHA-256 at the start of such a line, lowercased; `nil` unless it is 64 hex digits ending the line or
    /// followed by a space.
    public static func sha256(in bytes: [UInt8]) -> String? {
        let hex = String(decoding: bytes.prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        return isSHA256(hex) ? hex.lowercased() : nil
    }

    /// Whether `text` is a SHA-256 in hex (64 digits, either case).
    public static func isSHA256(_ text: String) -> Bool { text.utf8.count == 64 && [UInt8](hexString: text) != nil }

    /// The SHA-256 in `FILE.sha256` (as `phonepack build` and `sha256sum` write it), if that file is not older
    /// than FILE; `nil` otherwise.
    public static func sidecarSHA256(of path: String) -> String? {
        guard let sidecar = try? OpenFile.forReading(path + ".sha256"), let text = try? sidecar.readToEnd(limit: 4096),
            let sidecarTime = try? sidecar.status().modified,
            let fileTime = try? FileStatus.of(path).modified, sidecarTime >= fileTime
        else { return nil }
        return sha256(in: text)
    }
}
