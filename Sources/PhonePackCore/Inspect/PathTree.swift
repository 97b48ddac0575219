/// A folder tree built from archive paths, with sizes summed up the tree, for `inspect --tree`.
///
/// A chain of folders that each hold one thing is one node whose name has several levels (`a/b/c`), as a radix
/// tree keeps it: memory and output grow with the bytes of the names, never with their number times their depth
/// (20,000 entries 126 levels deep are 20,000 nodes and 20,000 lines, not 2.5 million of each).
public final class PathTree {
    /// One level, or several joined with `/`.
    public private(set) var name: String
    /// By the first level of each child's name.
    public private(set) var children: [NameKey: PathTree] = [:]
    public private(set) var size: Int64 = 0
    public var entry: EntryRecord?

    public init(name: String) { self.name = name }

    private init(name: String, children: [NameKey: PathTree], size: Int64, entry: EntryRecord?) {
        self.name = name
        self.children = children
        self.size = size
        self.entry = entry
    }

    public static func build(_ entries: [EntryRecord]) -> PathTree {
        let root = PathTree(name: ".")
        for entry in entries {
            let (path, problem) = EntryPath.normalize(entry.path)
            // A name too long or too deep to be a real path (a hostile archive) is one leaf under the root.
            let levels =
                problem == .tooLong(limit: EntryPath.maxPathBytes) || problem == .tooDeep(limit: EntryPath.maxDepth)
                ? [Substring(path)] : pathComponents(path)
            root.insert(levels[...], entry)
        }
        return root
    }

    /// Adds `entry` at `levels` below this node, its size to every node on the way, splitting a chain where the
    /// path leaves it.
    private func insert(_ levels: ArraySlice<Substring>, _ entry: EntryRecord) {
        size += entry.size
        guard let first = levels.first else {
            self.entry = entry
            return
        }
        let key = NameKey(first)
        guard let child = children[key] else {
            children[key] = PathTree(name: levels.joined(separator: "/"))
            children[key]!.size = entry.size
            children[key]!.entry = entry
            return
        }
        let own = pathComponents(child.name)
        var shared = 0
        while shared < own.count, shared < levels.count,
            own[shared].isBytes(String(levels[levels.startIndex + shared]))
        {
            shared += 1
        }
        if shared < own.count {
            // The path leaves the chain after `shared` levels: the rest of the chain becomes a child.
            let rest = PathTree(
                name: own[shared...].joined(separator: "/"), children: child.children, size: child.size,
                entry: child.entry)
            child.name = own[..<shared].joined(separator: "/")
            child.children = [NameKey(own[shared]): rest]
            child.entry = nil
        }
        child.insert(levels.dropFirst(shared), entry)
    }

    /// Children in byte order of their names.
    public var sortedChildren: [PathTree] {
        children.sorted { $0.key < $1.key }.map(\.value)
    }
}
