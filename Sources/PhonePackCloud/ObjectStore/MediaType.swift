/// The Content-Type of an object from its name's extension, the way web servers' mime.types tables assign them,
/// with Android's own (an APK is `application/vnd.android.package-archive`, which is what makes a browser or a
/// phone offer to install it). Unknown or no extension: `application/octet-stream`.
public enum MediaType {
    static let byExtension: [String: String] = [
        "apk": "application/vnd.android.package-archive", "apks": "application/zip", "aab": "application/zip",
        "obb": "application/octet-stream", "tar": "application/x-tar", "gz": "application/gzip",
        "tgz": "application/gzip", "bz2": "application/x-bzip2", "xz": "application/x-xz", "zst": "application/zstd",
        "zip": "application/zip", "7z": "application/x-7z-compressed", "jar": "application/java-archive",
        "json": "application/json", "xml": "application/xml", "yaml": "application/yaml",
        "yml": "application/yaml", "toml": "application/toml", "pdf": "application/pdf",
        "wasm": "application/wasm", "js": "text/javascript", "mjs": "text/javascript", "css": "text/css",
        "html": "text/html", "htm": "text/html", "txt": "text/plain", "log": "text/plain", "md": "text/markdown",
        "csv": "text/csv", "tsv": "text/tab-separated-values", "sha256": "text/plain", "sha1": "text/plain",
        "md5": "text/plain", "sh": "text/x-shellscript", "png": "image/png", "jpg": "image/jpeg",
        "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp", "svg": "image/svg+xml",
        "ico": "image/vnd.microsoft.icon", "bmp": "image/bmp", "avif": "image/avif", "heic": "image/heic",
        "mp4": "video/mp4", "webm": "video/webm", "mkv": "video/x-matroska", "mov": "video/quicktime",
        "mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav", "aac": "audio/aac", "flac": "audio/flac",
        "ttf": "font/ttf", "otf": "font/otf", "woff": "font/woff", "woff2": "font/woff2",
        "db": "application/vnd.sqlite3", "sqlite": "application/vnd.sqlite3", "so": "application/octet-stream",
        "dex": "application/octet-stream",
    ]

    /// The type for a file or key name: by the text after its last `.` (case-insensitive), in its last path level.
    public static func guess(for name: String) -> String {
        let last = name.split(separator: "/").last ?? ""
        guard let dot = last.lastIndex(of: "."), dot != last.startIndex else { return "application/octet-stream" }
        return byExtension[last[last.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }
}
