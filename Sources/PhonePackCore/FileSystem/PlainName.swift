/// The one definition of a name phonepack moves between a folder and a store, in either direction (`sync`,
/// `upload -r`, `download -r`): a relative path whose every level is a real name, and whose text is the same
/// string as a key and the same bytes as a file name, so that no two keys can ever write one file and no file can
/// be uploaded under a key that does not name it.
///
/// ``ArchiveName`` carries a raw byte of a file name (a Latin-1 `r\xe9sum\xe9`) as a scalar of U+10FF80–U+10FFFF
/// and turns it back into that byte at every system call. A key that really holds such scalars would therefore be
/// written to another name (`caf\u{10FFC3}\u{10FFA9}` to `café`), and a file with raw bytes would be uploaded
/// under a key made of those scalars, which downloads as something else: both are refused, with the reason.
public enum PlainName {
    /// Why `relative` is not a plain name, or `nil` when it is.
    public static func problem(_ relative: String) -> String? {
        if relative.isEmpty { return "is empty" }
        if relative.hasPrefixBytes("/") { return "is absolute" }
        for level in pathComponents(relative, omittingEmpty: false) {
            if level.isEmpty { return "has an empty level (//)" }
            if level.isBytes(".") || level.isBytes("..") { return "has a \(level) level" }
            if level.utf8.count > 255 { return "has a level longer than 255 bytes" }
        }
        for scalar in relative.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) {
                return "holds a control character"
            }
            if ArchiveName.escapedByte(scalar) != nil {
                return
                    "is not UTF-8 (as a file name), or holds U+10FF80–U+10FFFF (as a key): it would not be the same name on both sides"
            }
        }
        return nil
    }

    public static func isPlain(_ relative: String) -> Bool { problem(relative) == nil }
}
