import Foundation
import PhonePackTestSupport
import Testing

/// Runs every archive of the hostile corpus (`attacks.py`) through `phonepack extract` and checks that nothing
/// outside the destination was created, changed or linked to.
@Suite("phonepack extract against the hostile corpus", .serialized, .ownThread)
struct ExtractAttackTests {
    struct AttackCase: Decodable {
        var name: String
        var archive: String
        var names: [String]
        var prepare: [[String: String]]
        var runs: Int
        var extra: [String]
        /// The run must exit non-zero (refused or unreadable), not only mention the names.
        var fails: Bool
    }

    /// What a sentinel tree looks like: every path with type, mode, size, times, link count and content hash.
    static func snapshot(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        func visit(_ path: String, _ relative: String) throws {
            var st = stat()
            guard lstat(path, &st) == 0 else { return }
            var line =
                "mode=\(String(st.st_mode, radix: 8)) uid=\(st.st_uid) size=\(st.st_size) nlink=\(st.st_nlink) mtime=\(st.st_mtim.tv_sec)"
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                line += " sha=\(try Tool.check("sha256sum", [path]).prefix(64))"
            case S_IFLNK:
                line += " -> \(try FileManager.default.destinationOfSymbolicLink(atPath: path))"
            case S_IFDIR:
                for child in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                    try visit(path + "/" + child, relative + "/" + child)
                }
            default:
                break
            }
            result[relative.isEmpty ? "." : relative] = line
        }
        try visit(root, "")
        return result
    }

    /// DIR's own mode, owner and modification time (its size and link count grow with what it holds).
    static func modeOwnerTime(_ path: String) throws -> String {
        var st = stat()
        #expect(lstat(path, &st) == 0)
        return "\(String(st.st_mode, radix: 8)) \(st.st_uid):\(st.st_gid) \(st.st_mtim.tv_sec)"
    }

    @Test("no archive of the corpus writes outside DIR, crashes, or goes unnamed")
    func corpus() throws {
        let tmp = try TemporaryDirectory()
        let outside = tmp.file("outside")
        try tmp.write("outside/target", "canary: must never change\n")
        try FileManager.default.createDirectory(atPath: outside + "/dir", withIntermediateDirectories: true)
        chmod(outside + "/dir", 0o700)
        let json = try Tool.check(
            "python3", [CLI.repositoryRoot + "/Tests/Scripts/attacks.py", tmp.file("corpus"), outside])
        let cases = try JSONDecoder().decode([AttackCase].self, from: Data(json.utf8))
        #expect(cases.count >= 40)
        let before = try Self.snapshot(outside)
        // x11's name, if it were taken as written, would land in / itself.
        let inRoot = "/\u{301}phonepack-attack-owned.txt"
        defer { unlink(inRoot) }

        for attack in cases {
            let dest = tmp.file("dest-\(attack.name)")
            try FileManager.default.createDirectory(atPath: dest, withIntermediateDirectories: true)
            chmod(dest, 0o750)
            try Tool.check("touch", ["-d", "2020-01-01", dest])
            for item in attack.prepare {
                if let file = item["file"] {
                    try item["content", default: ""].write(
                        toFile: dest + "/" + file, atomically: false, encoding: .utf8)
                }
                if let link = item["symlink"] {
                    try FileManager.default.createSymbolicLink(
                        atPath: dest + "/" + link, withDestinationPath: item["target"]!)
                }
            }
            let destBefore = try Self.modeOwnerTime(dest)
            var output = ""
            for _ in 0..<attack.runs {
                let result = try CLI.run(["extract", attack.archive, "-C", dest] + attack.extra)
                #expect(!result.crashed, "\(attack.name) crashed: \(result.stderr)")
                #expect([0, 1, 2].contains(result.status), "\(attack.name): exit \(result.status)")
                if attack.fails {
                    #expect(result.status != Exit.success.rawValue, "\(attack.name) was not reported: \(result.output)")
                }
                output += result.output
            }
            #expect(try Self.snapshot(outside) == before, "\(attack.name) changed something outside DIR")
            #expect(try Self.modeOwnerTime(dest) == destBefore, "\(attack.name) changed DIR's mode, owner or times")
            for name in attack.names {
                #expect(output.contains(name), "\(attack.name): the report does not name \(name):\n\(output)")
            }
            // Nothing but files, folders and symlinks is ever created.
            let special = try Self.snapshot(dest).filter { _, line in
                !(line.hasPrefix("mode=10") || line.hasPrefix("mode=40") || line.hasPrefix("mode=12"))
            }
            #expect(special.isEmpty, "\(attack.name) created special files: \(special)")
        }

        // Nothing was made beside the destinations either (x10 aimed at DIR/..), nor in /.
        let beside = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter {
            !$0.hasPrefix("dest-") && $0 != "outside" && $0 != "corpus"
        }
        #expect(beside.isEmpty, "written beside DIR: \(beside)")
        #expect(access(inRoot, F_OK) != 0, "x11 wrote \(inRoot)")

        // Case-specific outcomes.
        let modes = try Self.snapshot(tmp.file("dest-c11-modes"))
        #expect(modes["/suid"]?.hasPrefix("mode=100755") == true, "\(modes)")
        #expect(modes["/sgid"]?.hasPrefix("mode=40775") == true, "\(modes)")
        #expect(modes["/sticky"]?.hasPrefix("mode=40775") == true, "\(modes)")
        #expect(modes["/open"]?.hasPrefix("mode=100664") == true, "\(modes)")
        let existing = try String(contentsOfFile: tmp.file("dest-c12-existing/existing.txt"), encoding: .utf8)
        #expect(existing == "mine\n")
        #expect(try Self.snapshot(tmp.file("dest-c14-duplicate"))["/dup"]?.contains("sha=") == true)
        #expect(FileManager.default.fileExists(atPath: tmp.file("dest-c28-dot-entry/ok.txt")))
    }
}
