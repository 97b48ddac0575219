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
    public static let maxPathBytes = 4096
    /// Linux NAME_MAX.
    public static let maxComponentBytes = 255
    public static let maxDepth = 128

    /// Normalises an archive name: drops `.` and empty components and a trailing `/`. A leading `/` or a `..`
    /// anywhere is reported, never resolved: for an archive from a device we do not trust that is the attack.
    public static func normalize(_ raw: String) -> (path: String, problem: Problem?) {
        if raw.utf8.count > maxPathBytes { return (raw, .tooLong(limit: maxPathBytes)) }
        if raw.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) { return (raw, .controlCharacter) }
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
    public static func isWithin(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root + "/")
    }

    /// Compares normalised paths component by component, so a directory sorts directly before its contents
    /// (`a/b` before `a-c`), the order `tar --sort=name` produces.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        var left = a.utf8.makeIterator()
        var right = b.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case let (l?, r?):
                if l == r { continue }
                if l == UInt8(ascii: "/") { return true }
                if r == UInt8(ascii: "/") { return false }
                return l < r
            }
        }
    }
}
