/// Checks and normalises the names inside archives, shared by build, verify, inspect and extract so that every
/// command judges a name the same way.
public enum EntryPath {
    /// Why a name cannot be used as-is.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case empty
        case absolute
        case parentReference
        case controlCharacter
        case tooLong(limit: Int)
        case componentTooLong(limit: Int)
        case tooDeep(limit: Int)

        public var description: String {
            switch self {
            case .empty: "empty name"
            case .absolute: "absolute path"
            case .parentReference: "'..' component (path traversal)"
            case .controlCharacter: "control character in name"
            case .tooLong(let limit): "path longer than \(limit) bytes"
            case .componentTooLong(let limit): "name component longer than \(limit) bytes"
            case .tooDeep(let limit): "more than \(limit) directory levels"
            }
        }
    }

    /// Linux PATH_MAX, also the limit Huawei documents for share-file paths.
    static let maxPathBytes = 4096
    /// Linux NAME_MAX.
    static let maxComponentBytes = 255
    public static let maxDepth = 128

    /// Normalises an archive name: drops `.` and empty components and a trailing `/`. A leading `/` or a `..`
    /// anywhere is reported, never resolved: for an archive from a device we do not trust that is the attack.
    public static func normalize(_ raw: String) -> (path: String, problem: Problem?) {
        if raw.utf8.count > maxPathBytes { return (raw, .tooLong(limit: maxPathBytes)) }
        // One pass over the bytes: most names are already clean (`a/b/c` or `a/b/`), and then the answer is the
        // name itself. Only names with `.`, `..`, empty components or a leading `/` take the slow path below.
        var copy = raw
        let scan = copy.withUTF8 {
            bytes -> (control: Bool, clean: Bool, depth: Int, longest: Int, trailingSlash: Bool) in
            var control = false
            var clean = !bytes.isEmpty && bytes[0] != UInt8(ascii: "/")
            var depth = 0
            var longest = 0
            var start = 0
            for i in 0...bytes.count {
                if i < bytes.count {
                    let c = bytes[i]
                    if c < 0x20 || c == 0x7f { control = true }
                    if c != UInt8(ascii: "/") { continue }
                }
                let length = i - start
                if length == 0 {
                    // Only the end of a single trailing slash may be empty (`a/b/`); `a//b` and `/a` are not clean.
                    if i != bytes.count || i == 0 { clean = false }
                } else {
                    depth += 1
                    longest = max(longest, length)
                    if bytes[start] == UInt8(ascii: ".")
                        && (length == 1 || (length == 2 && bytes[start + 1] == UInt8(ascii: ".")))
                    {
                        clean = false
                    }
                }
                start = i + 1
            }
            return (control, clean, depth, longest, bytes.last == UInt8(ascii: "/"))
        }
        if scan.control { return (raw, .controlCharacter) }
        if scan.clean {
            let path = scan.trailingSlash ? String(raw.utf8.dropLast())! : raw
            if scan.longest > maxComponentBytes { return (path, .componentTooLong(limit: maxComponentBytes)) }
            if scan.depth > maxDepth { return (path, .tooDeep(limit: maxDepth)) }
            return (path, nil)
        }
        let components = raw.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        let path = components.joined(separator: "/")
        if raw.hasPrefix("/") { return (path, .absolute) }
        if components.contains("..") { return (path, .parentReference) }
        if components.isEmpty { return (path, .empty) }
        if components.contains(where: { $0.utf8.count > maxComponentBytes }) {
            return (path, .componentTooLong(limit: maxComponentBytes))
        }
        if components.count > maxDepth { return (path, .tooDeep(limit: maxDepth)) }
        return (path, nil)
    }

    /// Where a symlink at `entry` (normalised) pointing to `target` lands, relative to the archive root, which is
    /// the phone's `/`: absolute targets are taken from the root, relative ones from the link's directory.
    /// `nil` when the target climbs above the root.
    public static func resolveLink(at entry: String, target: String) -> String? {
        var stack: [Substring] = []
        if !target.hasPrefix("/") {
            stack = entry.split(separator: "/")
            _ = stack.popLast()
        }
        for component in target.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..":
                guard stack.popLast() != nil else { return nil }
            default: stack.append(component)
            }
        }
        return stack.joined(separator: "/")
    }

    /// True when `path` is `root` or lies beneath it (both normalised).
    static func isWithin(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root + "/")
    }

    /// Compares normalised paths component by component, so a directory sorts directly before its contents
    /// (`a/b` before `a-c`), the order `tar --sort=name` produces.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in
                let common = min(left.count, right.count)
                var i = 0
                while i < common && left[i] == right[i] { i += 1 }
                if i == common { return left.count < right.count }
                if left[i] == UInt8(ascii: "/") { return true }
                if right[i] == UInt8(ascii: "/") { return false }
                return left[i] < right[i]
            }
        }
    }
}
