import PhonePackCore
import Testing

@Suite("Entry paths and the shared-app layout")
struct EntryPathTests {
    @Test(
        "normalize",
        arguments: [
            ("data/app/x-1/", "data/app/x-1", nil),
            ("./data//data/./x", "data/data/x", nil),
            ("/etc/passwd", "etc/passwd", EntryPath.Problem.absolute),
            ("data/../../x", "data/../../x", .parentReference),
            ("a/..", "a/..", .parentReference),
            ("./", "", .empty),
            ("a/b\nc", "a/b\nc", .controlCharacter),
            ("a//b", "a/b", nil),
            ("a/b//", "a/b", nil),
            (".hidden/...", ".hidden/...", nil),
            ("x/..", "x/..", .parentReference),
            ("..", "..", .parentReference),
            ("/", "", .absolute),
            ("", "", .empty),
        ] as [(String, String, EntryPath.Problem?)])
    func normalize(_ raw: String, _ path: String, _ problem: EntryPath.Problem?) {
        let result = EntryPath.normalize(raw)
        #expect(result.problem == problem)
        if problem == nil || problem == .absolute { #expect(result.path == path) }
    }

    /// The one-pass normaliser against the plain definition (split on `/`, drop empty and `.` components, join),
    /// on names built from the pieces that matter: slashes, dots, `..`, combining marks, a Latin-1 escape.
    @Test("normalize agrees with split-filter-join on 20,000 generated names, byte for byte")
    func normalizeMatchesDefinition() {
        let pieces = ["/", "/", ".", "..", "a", "bc", "é", "e\u{301}", "\u{10FFE9}", "./", "//", "..."]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let raw = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                pieces.randomElement(using: &generator)!
            }.joined()
            let components = raw.split(separator: "/", omittingEmptySubsequences: true).filter {
                !$0.utf8.elementsEqual(".".utf8)
            }
            let expectedPath = components.joined(separator: "/")
            let expectedProblem: EntryPath.Problem? =
                raw.hasPrefix("/")
                ? .absolute
                : components.contains(where: { $0.utf8.elementsEqual("..".utf8) })
                    ? .parentReference : components.isEmpty ? .empty : nil
            let result = EntryPath.normalize(raw)
            #expect(Array(result.path.utf8) == Array(expectedPath.utf8), "\(Array(raw.utf8))")
            #expect(result.problem == expectedProblem, "\(Array(raw.utf8))")
        }
    }

    @Test("limits on length, component length and depth")
    func limits() {
        #expect(EntryPath.normalize(String(repeating: "a", count: 256)).problem == .componentTooLong(limit: 255))
        #expect(EntryPath.normalize(String(repeating: "a/", count: 2100)).problem == .tooLong(limit: 4096))
        #expect(EntryPath.normalize(String(repeating: "a/", count: 130)).problem == .tooDeep(limit: 128))
    }

    @Test("link resolution from the archive root, which is the phone's /")
    func resolveLink() {
        #expect(EntryPath.resolveLink(at: "data/data/p/lib", target: "/data/app/p-1/lib/arm") == "data/app/p-1/lib/arm")
        #expect(EntryPath.resolveLink(at: "data/data/p/lib", target: "../../app/p-1/lib") == "data/app/p-1/lib")
        #expect(EntryPath.resolveLink(at: "data/data/p/x", target: "../../../../etc") == nil)
        #expect(EntryPath.resolveLink(at: "data/data/p/x", target: "./y/./z") == "data/data/p/y/z")
    }

    @Test("sort order puts a folder right before its contents")
    func order() {
        let sorted = ["a-c", "a/b", "a", "a/b/c", "B", "a.d"].sorted(by: EntryPath.precedes)
        #expect(sorted == ["B", "a", "a/b", "a/b/c", "a-c", "a.d"])
    }

    @Test("areas of a package")
    func areas() {
        let layout = SharedAppLayout(packageName: "com.x.y")
        #expect(layout.area(of: "data/app/com.x.y-1/base.apk") == .app)
        #expect(layout.area(of: "data/app/com.x.y-Ab3==") == .app)
        #expect(layout.area(of: "data/app/com.x.y") == nil)
        #expect(layout.area(of: "data/app/com.x.yz-1/base.apk") == nil)
        #expect(layout.area(of: "data/data/com.x.y") == .data)
        #expect(layout.area(of: "data/data/com.x.yz/f") == nil)
        #expect(layout.area(of: "data/media/0/Android/data/com.x.y/files/a") == .external)
        #expect(layout.area(of: "data/media/obb/com.x.y/main.obb") == .obb)
        #expect(layout.area(of: "data/system/packages.xml") == nil)
        #expect(layout.appDirectory(of: "data/app/com.x.y-2/lib/arm/a.so") == "data/app/com.x.y-2")
        #expect(SharedAppLayout.packageMentioned(in: "data/app/com.a.b-1/base.apk") == "com.a.b")
        #expect(SharedAppLayout.packageMentioned(in: "data/media/0/Android/data/com.c/x") == "com.c")
    }
}
