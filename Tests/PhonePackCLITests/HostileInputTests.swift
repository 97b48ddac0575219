import Foundation
import PhonePackTestSupport
import Testing

@Suite("Hostile servers, archives and local users (issue 11)", .ownThread)
struct HostileInputTests {

    // MARK: 1. pull never builds a path from a server's id

    @Test(
        "pull: a CPH or eds-aic answer naming the phone ../../victim writes nothing outside -C",
        arguments: [
            "huawei", "alibaba",
        ])
    func pullTraversal(cloud: String) throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "pull-traversal", in: tmp)
        try tmp.write("home/victim/.bashrc", "the victim's own shell settings\n")
        try FileManager.default.createDirectory(atPath: tmp.file("home/work"), withIntermediateDirectories: true)
        let before = try tmp.listing()
        let arguments =
            cloud == "huawei"
            ? ["pull", "--phones", "phone0001", "--include", "/data/data/com.example", "--to", "obs://bkt1/exports/"]
            : [
                "pull", "--cloud", "alibaba", "--phones", "acp-0001", "--include", "/sdcard/Download", "--to",
                "oss://cloudphone-saved-bucket-x/exports/",
            ]
        let result = try CLI.run(
            arguments + ["-C", tmp.file("home/work/out"), "--timeout", "20"], environment: server.environment(tmp))
        #expect(result.status == Exit.checkFailed.rawValue, "\(result.output)")
        #expect(result.stdout.contains("../../victim"), "the stranger is named: \(result.output)")
        #expect(
            try String(contentsOfFile: tmp.file("home/victim/.bashrc"), encoding: .utf8)
                == "the victim's own shell settings\n")
        let written = try tmp.listing().filter { !before.contains($0) }
        #expect(
            written.allSatisfy { $0.hasPrefix("home/work/out") || $0.hasPrefix("state") || $0.hasPrefix("hostile") },
            "written outside -C: \(written)")
        // Nothing was downloaded for the stranger.
        let gets = try server.requests().filter {
            ($0["method"] as? String) == "GET" && ($0["path"] as? String ?? "").hasSuffix(".tar")
        }
        #expect(gets.isEmpty, "\(gets)")
    }

    @Test("pull: an id that cannot name a folder is refused before anything is sent")
    func pullRefusesPathIDs() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "pull-traversal", in: tmp)
        for id in ["../escape", ".", "a/b"] {
            let result = try CLI.run(
                [
                    "pull", "--phones", id, "--include", "/data/data/com.x", "--to", "obs://bkt1/e/", "-C",
                    tmp.file("out"),
                ],
                environment: server.environment(tmp))
            #expect(result.status == Exit.usage.rawValue, "\(id): \(result.output)")
            #expect(result.stderr.contains("nothing was sent"), "\(result.stderr)")
        }
        #expect(try server.requests().isEmpty)
    }

    // MARK: 2. extract --xattrs drops what grants privileges

    @Test(
        "extract --xattrs sets user.* only: file capabilities and trusted.* are dropped and counted",
        .requiresRoot)
    func xattrPrivileges() throws {
        let tmp = try TemporaryDirectory()
        let tar = tmp.file("caps.tar")
        // A 0755 program with cap_setuid=ep (VFS_CAP_REVISION_2), a trusted.* and a user.* attribute, archived by
        // GNU tar as it would archive a real system's files.
        try CLI.python(
            """
            import os, sys
            os.makedirs(sys.argv[1] + '/bin')
            path = sys.argv[1] + '/bin/tool'
            with open(path, 'w') as f: f.write('#!/bin/sh\\nid -u\\n')
            os.chmod(path, 0o755)
            os.setxattr(path, 'security.capability', bytes([1, 0, 0, 2, 0x80, 0, 0, 0] + [0] * 12))
            os.setxattr(path, 'trusted.evil', b'x')
            os.setxattr(path, 'user.note', b'kept')
            """, tmp.file("tree"))
        try Tool.check(
            "tar", ["--xattrs", "--xattrs-include=*", "--format=posix", "-cf", tar, "-C", tmp.file("tree"), "bin"])
        let read = { (path: String, name: String) throws -> String in
            try Tool.check(
                "python3",
                [
                    "-c",
                    "import os,sys\ntry: print(os.getxattr(sys.argv[1], sys.argv[2]).hex())\nexcept OSError: print('-')",
                    path, name,
                ]
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let plain = tmp.file("plain")
        let result = try CLI.run(["extract", tar, "-C", plain, "--xattrs", "--json"])
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(try CLI.parseJSON(result.stdout)["droppedXattrs"] as? Int == 2)
        #expect(try read(plain + "/bin/tool", "security.capability") == "-")
        #expect(try read(plain + "/bin/tool", "trusted.evil") == "-")
        #expect(try read(plain + "/bin/tool", "user.note") == "6b657074")
        let text = try CLI.run(["extract", tar, "-C", tmp.file("text"), "--xattrs"])
        #expect(text.stderr.contains("2 extended attributes were not set"), "\(text.stderr)")

        // Only the explicit flag applies them.
        let privileged = tmp.file("privileged")
        #expect(try CLI.run(["extract", tar, "-C", privileged, "--privileged-xattrs"]).status == Exit.success.rawValue)
        #expect(try read(privileged + "/bin/tool", "security.capability").hasPrefix("01000002800000"))
    }

    // MARK: 3. one plain-http rule, on the URL's real host

    @Test("plain http to anything but loopback is refused before any connection, on every service")
    func plainHTTP() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let port = server.port
        let hostile = [
            "http://127.evil.example:\(port)", "http://127.0.0.1@127.0.0.2:\(port)",
            "http://user:pw@127.0.0.1:\(port)", "http://localhost.evil.example:\(port)",
            "http://127.0.0.1.nip.io:\(port)", "http://[::ffff:127.0.0.1]:\(port)", "http://remote-host:\(port)",
        ]
        var env = server.environment(tmp)
        env["PHONEPACK_IAM_USER"] = "u"
        env["PHONEPACK_IAM_PASSWORD"] = "iam-password-must-not-travel"
        for url in hostile {
            let commands: [([String], String)] = [
                (["auth", "huawei", "--region", "cn-north-4", "--iam-endpoint", url], ""),
                (["ls", "obs://b1/"], "PHONEPACK_OBS_ENDPOINT"), (["ls", "oss://b1/"], "PHONEPACK_OSS_ENDPOINT"),
                (["images"], "PHONEPACK_CPH_ENDPOINT"), (["phones", "alibaba"], "PHONEPACK_EDS_AIC_ENDPOINT"),
                (["exec", "koophone", "--instances", "i1", "--", "ls"], "PHONEPACK_KOOPHONE_ENDPOINT"),
            ]
            for (arguments, variable) in commands {
                var environment = env
                if !variable.isEmpty { environment[variable] = url }
                let result = try CLI.run(arguments, environment: environment)
                #expect(result.status == Exit.usage.rawValue, "\(arguments) with \(url): \(result.output)")
                #expect(
                    result.stderr.contains("plain http") || result.stderr.contains("user name or password"),
                    "\(arguments) with \(url): \(result.stderr)")
            }
        }
        #expect(try server.requests().isEmpty, "a refused endpoint was connected to")
        // Loopback itself works, by name and by address.
        for url in ["http://127.0.0.1:\(port)", "http://localhost:\(port)"] {
            var environment = env
            environment["PHONEPACK_OBS_ENDPOINT"] = url
            let result = try CLI.run(["ls", "obs://b1/"], environment: environment)
            #expect(result.status == Exit.success.rawValue, "\(url): \(result.output)")
        }
    }

    // MARK: 4. endless answers are bounded

    @Test("a listing that repeats its marker, or pages without end, stops with an error (ls, images, phones, jobs)")
    func endlessListings() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "list-loop", in: tmp)
        let env = server.environment(tmp)
        for arguments in [["ls", "obs://b1/"], ["ls", "oss://b1/"], ["images"]] {
            let (result, seconds) = try timedRun(arguments, environment: env)
            #expect(result.status == Exit.service.rawValue, "\(arguments): \(result.output)")
            #expect(result.stderr.contains("continuation marker \"again\" twice"), "\(result.stderr)")
            #expect(seconds < 20)
        }
        for arguments in [
            ["phones", "huawei"], ["phones", "huawei-servers"], ["jobs", "wait", "req-1", "--timeout", "5"],
        ] {
            let (result, seconds) = try timedRun(arguments, environment: env)
            #expect(result.status == Exit.service.rawValue, "\(arguments): \(result.output)")
            #expect(result.stderr.contains("only entries it had already sent"), "\(result.stderr)")
            #expect(seconds < 60, "\(arguments) took \(seconds) s")
        }
        let (running, seconds) = try timedRun(
            ["jobs", "wait", "--job-ids", "job-1", "--timeout", "4"], environment: env)
        #expect(running.stdout.contains("still running after 4 s"), "\(running.output)")
        #expect(seconds < 15, "jobs wait --timeout 4 took \(seconds) s")
    }

    @Test("--timeout holds against a job answer that trickles at 2 B/s; a trickling download is cut off as stalled")
    func trickles() throws {
        let tmp = try TemporaryDirectory()
        let jobs = try HostileServer(mode: "jobs-trickle", in: tmp)
        for arguments in [
            ["jobs", "wait", "req-1", "--timeout", "4"], ["jobs", "wait", "--job-ids", "j1", "--timeout", "4"],
        ] {
            let (result, seconds) = try timedRun(arguments, environment: jobs.environment(tmp))
            #expect(result.status != Exit.success.rawValue, "\(result.output)")
            #expect(seconds < 15, "\(arguments) took \(seconds) s against a trickle")
        }
        let body = try HostileServer(mode: "trickle", in: tmp)
        var env = body.environment(tmp)
        env["PHONEPACK_STALL_TIMEOUT"] = "2"
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        let (result, seconds) = try timedRun(["download", "obs://b1/x.tar", tmp.file("out/x.tar")], environment: env)
        #expect(result.status == Exit.service.rawValue, "\(result.output)")
        #expect(seconds < 60, "a 2 B/s download ran \(seconds) s")
        #expect(!FileManager.default.fileExists(atPath: tmp.file("out/x.tar")))
    }

    // MARK: 5. nothing from an archive or server drives the terminal

    @Test("names, keys, vendor messages, image and phone names reach the terminal escaped")
    func terminalInjection() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "terminal", in: tmp)
        let env = server.environment(tmp)
        let tar = tmp.file("evil.tar")
        try CLI.python(
            """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:
                for name in ['a\\x1b]0;pwned\\x07.txt', 'b\\nphonepack: FAKE LINE', 'c\\x1b[2J']:
                    i = tarfile.TarInfo(name); i.size = 1; t.addfile(i, io.BytesIO(b'x'))
                l = tarfile.TarInfo('link'); l.type = tarfile.SYMTYPE; l.linkname = 'x\\x1b[31mred'; t.addfile(l)
            """, tar)
        let runs: [([String], [String: String])] = [
            (["ls", "obs://b1/"], env), (["download", "obs://b1/x.tar", tmp.file("dl.tar")], env), (["images"], env),
            (["phones", "huawei"], env), (["inspect", tar, "--long"], [:]), (["inspect", tar, "--tree"], [:]),
            (["inspect", tar, "--summary"], [:]), (["verify", tar, "--profile", "huawei-push-file"], [:]),
            (["extract", tar, "-C", tmp.file("x")], [:]), (["diff", tar, tmp.file("x")], [:]),
        ]
        for (arguments, environment) in runs {
            let result = try CLI.run(arguments, environment: environment)
            #expect(!result.output.utf8.contains(0x1B), "\(arguments) printed a raw ESC: \(result.output)")
            #expect(!result.output.utf8.contains(0x07), "\(arguments) printed a raw BEL")
            #expect(
                !result.output.split(separator: "\n").contains { $0.hasPrefix("phonepack: FAKE") },
                "\(arguments) printed a line the archive or server made: \(result.output)")
            // Either shown escaped, or (a listing with a raw ESC is not XML) refused whole.
            #expect(
                result.output.contains("\\x1b") || result.output.contains("\\n")
                    || result.output.contains("is not well-formed XML"), "\(arguments): \(result.output)")
        }
    }

    // MARK: 6–8. downloads: what is on disk is what is checked; partial files are our own

    @Test(
        "a resumed download re-reads its finished ranges: bytes changed on disk are fetched again",
        arguments: [
            "oss", "obs",
        ])
    func resumeReadsDisk(store: String) throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        let env = emulator.environment(stateDirectory: tmp.file("state"))
        let content = try writeRandomFile(tmp.file("src"), size: 1_500_000)
        // Multipart upload and no SHA-256: on OBS only per-range checks can tell.
        let url = "\(store)://b1/x.bin"
        #expect(
            try CLI.run(["upload", tmp.file("src"), url, "--part-size", "100K"], environment: env).status
                == Exit.success.rawValue)
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        let process = try CLI.start(
            ["download", url, tmp.file("out/x.bin"), "--part-size", "100K", "-j", "1", "--limit-rate", "300K"],
            environment: env)
        // Killed once two ranges are in the journal (after its header line): both are tampered with below.
        waitUntil { journalLines(in: tmp.file("state")) >= 3 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = tmp.file("out/.x.bin.phonepack-partial")
        // 14 bytes in the first (finished) range, and a run of zeros in the second, changed behind its back.
        let handle = try #require(FileHandle(forUpdatingAtPath: partial))
        try handle.seek(toOffset: 10)
        handle.write(Data("TAMPERED BYTES".utf8))
        try handle.seek(toOffset: 102_400)
        handle.write(Data(count: 100_000))
        try handle.close()

        let resumed = try CLI.run(
            ["download", url, tmp.file("out"), "--part-size", "100K", "--json"], environment: env)
        #expect(resumed.status == Exit.success.rawValue, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("changed on disk"), "\(resumed.stderr)")
        #expect(FileManager.default.contents(atPath: tmp.file("out/x.bin")) == content)
    }

    @Test("a server that ignores Range gets one whole-object stream: the typed cause, not a made-up vendor code")
    func rangeIgnored() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "no-range", in: tmp)
        let result = try CLI.run(
            ["download", "obs://b1/x.tar", tmp.file("x.tar"), "--part-size", "100K"],
            environment: server.environment(tmp))
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(result.stderr.contains("the server ignores Range requests; downloading in one stream"))
        let size = try FileManager.default.attributesOfItem(atPath: tmp.file("x.tar"))[.size] as? Int
        #expect(size == 10240 + 256 * 1200)
    }

    @Test("a 403 on KEY.sha256 means no sidecar: the MD5 ETag verifies and the download succeeds")
    func sidecarForbidden() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "sidecar-403", in: tmp)
        try FileManager.default.createDirectory(atPath: tmp.file("out"), withIntermediateDirectories: true)
        let result = try CLI.run(
            ["download", "obs://b1/x.tar", tmp.file("out/x.tar"), "--json"], environment: server.environment(tmp))
        #expect(result.status == Exit.success.rawValue, "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.file("out")) == ["x.tar"])
    }

    @Test(
        "a partial file another user planted in a shared folder is never written to",
        .requiresRoot, .requires(tools: "setpriv"))
    func plantedPartial() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        let shared = tmp.file("shared")
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        chmod(tmp.path, 0o755)
        chmod(shared, 0o1777)
        // The attacker (uid 65533) plants the partial file, writable by anyone, and keeps a link to it elsewhere.
        let planted = shared + "/.x.tar.phonepack-partial"
        _ = FileManager.default.createFile(atPath: planted, contents: Data("attacker".utf8))
        chmod(planted, 0o666)
        chown(planted, 65533, 65533)
        try FileManager.default.createDirectory(atPath: tmp.file("state"), withIntermediateDirectories: true)
        chown(tmp.file("state"), 65534, 65534)
        var env = server.environment(tmp)
        env["HOME"] = tmp.file("state")
        let result = try Tool.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary, "download", "obs://b1/x.tar",
                shared + "/x.tar",
            ],
            environment: env)
        #expect(result.status != Exit.success.rawValue, "\(result.output)")
        #expect(result.stderr.contains(".x.tar.phonepack-partial"), "\(result.stderr)")
        #expect(
            FileManager.default.contents(atPath: planted) == Data("attacker".utf8),
            "the victim's data went into the attacker's file")
        #expect(!FileManager.default.fileExists(atPath: shared + "/x.tar"))
    }

    // MARK: 9. secrets stay secret

    @Test("--debug-signing shows no security token; the process is not dumpable")
    func tokensAndDumps() throws {
        let tmp = try TemporaryDirectory()
        let emulator = try EmulatorProcess(data: tmp.file("data"))
        var env = emulator.environment(stateDirectory: tmp.file("state"))
        env["OBS_SECRET_ACCESS_KEY"] = "a-wrong-secret"
        env["OBS_SECURITY_TOKEN"] = "STS-TOKEN-MUST-NOT-SHOW-4711"
        env["OSS_ACCESS_KEY_SECRET"] = "a-wrong-secret"
        env["OSS_SESSION_TOKEN"] = "STS-TOKEN-MUST-NOT-SHOW-4711"
        for url in ["obs://b1/", "oss://b1/"] {
            let result = try CLI.run(["ls", url, "--debug-signing"], environment: env)
            #expect(result.status == Exit.service.rawValue, "\(result.output)")
            #expect(result.stderr.contains("our canonical request"), "\(url): \(result.stderr)")
            #expect(!result.output.contains("STS-TOKEN-MUST-NOT-SHOW-4711"), "\(url): \(result.output)")
        }
    }

    @Test(
        "a running phonepack is not dumpable (no core file, no /proc reads by the same user)",
        .requiresRoot, .requires(tools: "setpriv"))
    func notDumpable() throws {
        let tmp = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary, "config", "set", "huawei_password",
        ]
        process.environment = ["PHONEPACK_CONFIG": tmp.file("c.toml"), "PATH": "/usr/bin:/bin"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // A dumpable process's /proc files belong to its user; a non-dumpable one's to root. setpriv execs
        // phonepack, which makes itself non-dumpable first thing: wait for that rather than guess a time.
        var owner: Int?
        waitUntil(seconds: 10) {
            owner =
                (try? FileManager.default.attributesOfItem(atPath: "/proc/\(process.processIdentifier)/environ"))?[
                    .ownerAccountID] as? Int
            return owner == 0
        }
        #expect(owner == 0, "phonepack running as 65534 is dumpable (its /proc files are owned by \(owner ?? -1))")
    }

    @Test("config set reads a secret from a terminal without echoing it")
    func noEcho() throws {
        let tmp = try TemporaryDirectory()
        // A real terminal (a pty): what appears on it is what a shoulder-surfer or the scroll-back would see.
        // The prompt turns echo off with TCSAFLUSH, which drops anything typed before it (as getpass does): type
        // only once echo is off, or a slow start swallows the line and phonepack waits for ever.
        let result = try Tool.run(
            "python3",
            [
                CLI.script("on_terminal.py"), "--type", "typed-secret-4711", CLI.binary, "config", "set",
                "huawei_password",
            ],
            environment: ["PHONEPACK_CONFIG": tmp.file("c.toml")])
        #expect(result.stdout.contains("huawei_password:"), "\(result.stdout)")
        #expect(result.stdout.contains("set huawei_password"), "\(result.stdout)")
        #expect(!result.stdout.contains("typed-secret-4711"), "the secret was echoed: \(result.stdout)")
        #expect(try String(contentsOfFile: tmp.file("c.toml"), encoding: .utf8).contains("typed-secret-4711"))

        // Ctrl-C at the hidden prompt gives the terminal its echo back.
        let interrupted = try CLI.python(
            """
            import os, pty, sys, time, termios, signal
            pid, fd = pty.fork()
            if pid == 0:
                os.execv(sys.argv[1], [sys.argv[1], 'config', 'set', 'huawei_password'])
            deadline = time.time() + 30
            while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
                time.sleep(0.02)
            during = termios.tcgetattr(fd)[3] & termios.ECHO
            os.kill(pid, signal.SIGINT)
            os.waitpid(pid, 0)
            print('during', bool(during), 'after', bool(termios.tcgetattr(fd)[3] & termios.ECHO))
            """, CLI.binary)
        #expect(interrupted.trimmingCharacters(in: .whitespacesAndNewlines) == "during False after True")
    }

    // MARK: 10. keys go exactly as named

    @Test("a key with .. segments is requested and signed exactly as given")
    func pathAsIs() throws {
        let tmp = try TemporaryDirectory()
        let server = try HostileServer(mode: "plain", in: tmp)
        _ = try CLI.run(["stat", "obs://b1/../../x.tar"], environment: server.environment(tmp))
        let paths = try server.requests().compactMap { $0["path"] as? String }
        #expect(paths == ["/b1/../../x.tar"], "\(paths)")
    }
}
