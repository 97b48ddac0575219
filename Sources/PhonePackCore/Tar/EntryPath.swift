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
    ///
    /// One pass over the bytes, cut only at `/` (ASCII), so the result holds the name's own bytes: never
    /// re-encoded or Unicode-normalised. A clean name (`a/b/c`, `a/b/`) is returned as it is; others, such as
    /// GNU tar's `./a/b`, are rebuilt from their kept components in one allocation.
    public static func normalize(_ raw: String) -> (path: String, problem: Problem?) {
        if raw.utf8.count > maxPathBytes { return (raw, .tooLong(limit: maxPathBytes)) }
        var copy = raw
        return copy.withUTF8 { bytes -> (path: String, problem: Problem?) in
            var control = false
            var parent = false
            var clean = true
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
                if length == 0 || (length == 1 && bytes[start] == UInt8(ascii: ".")) {
                    // Dropped: only the end after a single trailing slash (`a/b/`) keeps the name as it is.
                    if !(length == 0 && i == bytes.count && i > 0) { clean = false }
                } else {
                    depth += 1
                    longest = max(longest, length)
                    if length == 2 && bytes[start] == UInt8(ascii: ".") && bytes[start + 1] == UInt8(ascii: ".") {
                        parent = true
                    }
                }
                start = i + 1
            }
            if control { return (raw, .controlCharacter) }
            let path: String
            if clean {
                path = bytes.last == UInt8(ascii: "/") ? String(raw.utf8.dropLast())! : raw
            } else {
                path = String(unsafeUninitializedCapacity: bytes.count) { out in
                    var count = 0
                    var start = 0
                    for i in 0...bytes.count where i == bytes.count || bytes[i] == UInt8(ascii: "/") {
                        let length = i - start
                        if length > 0 && !(length == 1 && bytes[start] == UInt8(ascii: ".")) {
                            if count > 0 {
                                out[count] = UInt8(ascii: "/")
                                count += 1
                            }
                            for j in start..<i { out[count + j - start] = bytes[j] }
                            count += length
                        }
                        start = i + 1
                    }
                    return count
                }
            }
            if bytes.first == UInt8(ascii: "/") { return (path, .absolute) }
            if parent { return (path, .parentReference) }
            if depth == 0 { return (path, .empty) }
            if longest > maxComponentBytes { return (path, .componentTooLong(limit: maxComponentBytes)) }
            if depth > maxDepth { return (path, .tooDeep(limit: maxDepth)) }
            return (path, nil)
        }
    }

    /// Where a symlink at `entry` (normalised) pointing to `target` lands, relative to the archive root, which is
    /// the phone's `/`: absolute targets are taken from the root, relative ones from the link's directory.
    /// `nil` when the target climbs above the root.
    public static func resolveLink(at entry: String, target: String) -> String? {
        var stack: [Substring] = []
        if !target.hasPrefixBytes("/") {
            stack = pathComponents(entry)
            _ = stack.popLast()
        }
        for component in pathComponents(target) {
            if component.isBytes(".") { continue }
            if component.isBytes("..") {
                guard stack.popLast() != nil else { return nil }
            } else {
                stack.append(component)
            }
        }
        return stack.joined(separator: "/")
    }

    /// True when `path` is `root` or lies beneath it (both normalised).
    static func isWithin(_ path: String, _ root: String) -> Bool {
        path.isBytes(root) || path.hasPrefixBytes(root + "/")
    }

    /// Compares normalised paths component by component, so a directory sorts directly before its contents
    /// (`a/b` before `a-c`), the order `tar --sort=name` produces.
    /// ``precedes(_:_:)`` on names' bytes.
    static func precedesBytes<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        var left = a.makeIterator()
        var right = b.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return false
            case (nil, _): return true
            case (_, nil): return false
            case (let x?, let y?):
                if x == y { continue }
                if x == UInt8(ascii: "/") { return true }
                if y == UInt8(ascii: "/") { return false }
                return x < y
            }
        }
    }

    /// Whether `folder` is a folder above `path` (`a/b` above `a/b/c`), on bytes.
    static func isBytesPrefix(_ folder: [UInt8], of path: [UInt8]) -> Bool {
        path.count > folder.count && path[folder.count] == UInt8(ascii: "/") && path.starts(with: folder)
    }

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
