import Glibc

/// A folder tree built from archive paths, with sizes summed up the tree, for `inspect --tree`.
public final class PathTree {
    public let name: String
    public private(set) var children: [NameKey: PathTree] = [:]
    public private(set) var size: Int64 = 0
    public var entry: EntryRecord?

    public init(name: String) { self.name = name }

    public static func build(_ entries: [EntryRecord]) -> PathTree {
        let root = PathTree(name: ".")
        for entry in entries {
            let (path, problem) = EntryPath.normalize(entry.path)
            var node = root
            node.size += entry.size
            // A name too long or too deep to be a real path (a hostile archive) is one leaf under the root, so the
            // tree stays as deep as a real one can be.
            let components =
                problem == .tooLong(limit: EntryPath.maxPathBytes) || problem == .tooDeep(limit: EntryPath.maxDepth)
                ? [path] : pathComponents(path).map(String.init)
            for component in components {
                let key = NameKey(component)
                let child = node.children[key] ?? PathTree(name: component)
                node.children[key] = child
                node = child
                node.size += entry.size
            }
            node.entry = entry
        }
        return root
    }

    /// Children in byte order of their names.
    public var sortedChildren: [PathTree] {
        children.sorted { $0.key < $1.key }.map(\.value)
    }
}
