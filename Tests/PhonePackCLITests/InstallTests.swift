import Foundation
import PhonePackTestSupport
import Testing

@Suite(
    "Installed like the tools beside it: --version, User-Agent, install.sh, man pages, completions (issue 17)",
    .ownThread)
struct InstallTests {
    /// The C library versions as Debian's packages and OpenSSL's own tool name them: what --version must say.
    static func libraryLine() throws -> String {
        let archive = try Tool.check("pkg-config", ["--modversion", "libarchive"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let curl = try Tool.check("pkg-config", ["--modversion", "libcurl"]).trimmingCharacters(
            in: .whitespacesAndNewlines)
        let openssl = try Tool.check("openssl", ["version"]).split(separator: " ")[1]
        return "libarchive \(archive), libcurl \(curl), OpenSSL \(openssl)"
    }

    static let archiveNote =
        "note: libarchive 3.6.2 is older than 3.7.9, the release the tar spec asks for; phonepack reads only tar with it, fails on every parser warning and checks each entry itself"

    @Test("--version: version, build, and the libarchive, libcurl and OpenSSL it runs with; an old libarchive is named")
    func version() throws {
        let libraries = try Self.libraryLine()
        var expected = "phonepack 0.1.0 (development build)\n\(libraries)\n"
        if libraries.hasPrefix("libarchive 3.6.") { expected += Self.archiveNote + "\n" }
        try expectRun(["--version"], stdout: expected, stderr: "")
    }

    @Test("libcurl is loaded by the commands that go on the network and by no other; a missing one is exit 2")
    func lazyCurl() throws {
        let tmp = try TemporaryDirectory()
        #expect(!(try Tool.check("ldd", [CLI.binary])).contains("libcurl"))
        let app = try CLI.makeApp(in: tmp.file("app"))
        // LD_DEBUG=libs: the dynamic loader names every library it initialises, on stderr.
        let built = try CLI.run(["build", app, "-o", tmp.file("a.tar")], environment: ["LD_DEBUG": "libs"])
        #expect(built.status == 0 && !built.stderr.contains("libcurl"), "\(built.stderr.suffix(2000))")
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        env["LD_DEBUG"] = "libs"
        let listed = try CLI.run(["ls", "obs://b1/"], environment: env)
        #expect(listed.status == 0 && listed.stderr.contains("libcurl.so.4"), "\(listed.stderr.suffix(2000))")

        env["LD_DEBUG"] = nil
        env["PHONEPACK_LIBCURL"] = tmp.file("no-libcurl.so")
        let missing = try CLI.run(["ls", "obs://b1/"], environment: env)
        #expect(missing.status == Exit.usage.rawValue, "\(missing.output)")
        #expect(
            missing.stderr.hasPrefix(
                "phonepack: error: obs://b1/: \(tmp.file("no-libcurl.so")): ")
                && missing.stderr.hasSuffix("; install libcurl4 (scripts/setup.sh installs what phonepack needs)\n"),
            "\(missing.stderr)")
    }

    /// The example lines of a page as man shows it, continuation lines (ending in \\) joined.
    static func examples(inManPage text: String) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "Examples:" }) else {
            return []
        }
        let blank: (Substring) -> Bool = { $0.allSatisfy(\.isWhitespace) }
        return HelpTests.joined(lines[(start + 1)...].drop(while: blank).prefix { !blank($0) })
    }

    @Test("every request names phonepack and its version in User-Agent, on every service")
    func userAgent() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let env = server.environment(tmp)
        for arguments in [
            ["stat", "obs://b1/x.tar"], ["stat", "oss://b1/x.tar"], ["phones", "huawei"], ["phones", "alibaba"],
        ] {
            _ = try CLI.run(arguments, environment: env)
        }
        let requests = try server.requests()
        #expect(requests.count >= 4)
        #expect(requests.contains { $0["action"] is String }, "no eds-aic request was made")
        for request in requests {
            #expect(request["agent"] as? String == "phonepack/0.1.0", "\(request)")
        }
    }

    @Test(
        "scripts/package.sh: a .deb (through install.sh) whose binary runs with no Swift on PATH, a man page per verb, completions, the Debian libraries as Depends"
    )
    func install() throws {
        let tmp = try TemporaryDirectory()
        // A cold release build takes minutes, more on a machine busy with the other tests.
        let result = try Tool.run(CLI.repositoryRoot + "/scripts/package.sh", [tmp.file("dist")], limit: 1800)
        try #require(result.status == 0, "package.sh failed: \(result.stderr.suffix(3000))")
        let arch = try Tool.check("dpkg", ["--print-architecture"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let deb = tmp.file("dist/phonepack_0.1.0_\(arch).deb")
        let emulatorDeb = tmp.file("dist/phonepack-emulator_0.1.0_\(arch).deb")
        #expect(result.stdout == deb + "\n" + emulatorDeb + "\n")
        #expect(
            try Tool.check("dpkg-deb", ["-f", deb, "Package", "Version", "Architecture", "Depends"]) == """
                Package: phonepack
                Version: 0.1.0
                Architecture: \(arch)
                Depends: libc6, libgcc-s1, libstdc++6, libarchive13, libcurl4, libssl3, libexpat1

                """)
        #expect(
            try Tool.check("dpkg-deb", ["-f", emulatorDeb, "Package", "Depends"]) == """
                Package: phonepack-emulator
                Depends: libc6, libgcc-s1, libstdc++6, libarchive13, libssl3, libexpat1, apksigner

                """)
        // apt would install them here: every Depends resolves to a Debian package (simulated: nothing changes).
        let apt = try Tool.run("apt-get", ["install", "--simulate", deb, emulatorDeb])
        #expect(
            apt.status == 0 && apt.stdout.contains("Inst phonepack (0.1.0 ")
                && apt.stdout.contains("Inst phonepack-emulator (0.1.0 "), "\(apt.output)")
        // The emulator from its package starts and says where it listens, with no Swift runtime beside it.
        try Tool.check("dpkg-deb", ["-x", emulatorDeb, tmp.file("emulator-root")])
        let emulatorBinary = tmp.file("emulator-root/usr/bin/phonepack-emulator")
        #expect(!(try Tool.check("ldd", [emulatorBinary])).contains("libswift"))
        let emulator = try Tool.start(emulatorBinary, ["--data", tmp.file("emulator-data")], captureStdout: true)
        defer { Tool.stop(emulator) }
        #expect(emulator.readLine()?.hasPrefix("READY ") == true, "\(emulator.startFailure)")
        // Unpacked as dpkg would, then run from there.
        try Tool.check("dpkg-deb", ["-x", deb, tmp.file("root")])
        let prefix = tmp.file("root/usr")
        #expect(FileManager.default.fileExists(atPath: prefix + "/share/doc/phonepack/README.md"))
        let binary = prefix + "/bin/phonepack"
        // Every library either binary needs comes from a package its Depends names (libcurl4 is loaded by name).
        for (binary, package) in [(binary, deb), (emulatorBinary, emulatorDeb)] {
            let depends = try Tool.check("dpkg-deb", ["-f", package, "Depends"]).split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let needed = try Tool.check("readelf", ["-d", binary]).split(separator: "\n").compactMap { line in
                line.contains("(NEEDED)") ? line.split(separator: "[").last?.dropLast().description : nil
            }
            #expect(needed.count >= 5, "\(needed)")
            for library in needed where !library.hasPrefix("ld-linux") {
                // By name: with /usr merged, the loader's path and the one dpkg recorded differ.
                let owner = try Tool.check("dpkg", ["-S", "*/" + library]).split(separator: ":").first.map(String.init)
                #expect(
                    depends.contains(owner ?? ""), "\(binary) needs \(library) from \(owner ?? "?"), not in \(depends)")
            }
        }

        // No Swift toolchain or runtime on the way: a bare PATH, and no libswift* among the libraries it loads.
        let version = try Tool.run("/usr/bin/env", ["-i", "PATH=/usr/bin:/bin", binary, "--version"])
        #expect(version.status == 0, "\(version.stderr)")
        let lines = version.stdout.split(separator: "\n").map(String.init)
        let commit = try Tool.check("git", ["-C", CLI.repositoryRoot, "rev-parse", "--short=12", "HEAD"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // A tree with uncommitted changes builds as COMMIT-modified (install.sh says so rather than lie).
        let dirty = try Tool.run("git", ["-C", CLI.repositoryRoot, "diff", "--quiet", "HEAD"]).status != 0
        #expect(
            lines.first?.hasPrefix("phonepack 0.1.0 (commit \(commit)\(dirty ? "-modified" : ")")") == true, "\(lines)")
        #expect(lines.dropFirst().first == (try Self.libraryLine()))
        let libraries = try Tool.check("ldd", [binary])
        #expect(!libraries.contains("libswift"), "\(libraries)")

        // One man page per command, each rendered by man without a warning.
        let pages = try FileManager.default.contentsOfDirectory(atPath: prefix + "/share/man/man1").sorted()
        let verbs = try CLI.run(["--help"]).stdout.components(separatedBy: "SUBCOMMANDS:").last!
            .split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                    word.allSatisfy({ $0.isLowercase || $0 == "-" })
                else { return nil }
                return String(word)
            }
        #expect(verbs.count >= 20, "\(verbs)")
        for verb in verbs {
            #expect(pages.contains("phonepack.\(verb).1.gz"), "no man page for \(verb): \(pages)")
        }
        for page in pages {
            let shown = try Tool.run(
                "man", ["-l", prefix + "/share/man/man1/" + page], environment: ["MANWIDTH": "80"])
            #expect(shown.status == 0 && shown.stderr.isEmpty, "\(page): \(shown.stderr)")
            #expect(shown.stdout.contains("phonepack"), "\(page) is empty")
            // Its examples as --help prints them: each line whole, none filled or hyphenated into the next.
            let path = page.dropLast(".1.gz".count).split(separator: ".").dropFirst().map(String.init)
            guard path != ["help"] else { continue }
            #expect(
                Self.examples(inManPage: shown.stdout)
                    == HelpTests.examples(in: try HelpTests.help(path, columns: 200)), "\(page)")
        }

        // Completions for bash (syntax-checked), zsh and fish.
        let bash = prefix + "/share/bash-completion/completions/phonepack"
        #expect(try Tool.run("bash", ["-n", bash]).status == 0)
        for file in [
            bash, prefix + "/share/zsh/site-functions/_phonepack",
            prefix + "/share/fish/vendor_completions.d/phonepack.fish",
        ] {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            #expect(text.contains("release") && text.contains("sync"), "\(file) does not complete the verbs")
        }
    }
}
