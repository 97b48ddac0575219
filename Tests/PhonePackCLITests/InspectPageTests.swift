import Foundation
import PhonePackTestSupport
import Testing

@Suite("HTML reports: inspect --html, checked in a real browser (issue 17)", .ownThread)
struct InspectPageTests {
    /// An export-like tar: a built app, then app data, an OBB, a name that is HTML and one that escapes the folder,
    /// appended by Python's tarfile.
    static func makeExport(_ tmp: TemporaryDirectory) throws -> String {
        let app = try CLI.makeApp(in: tmp.file("app"))
        let tar = tmp.file("export.tar")
        #expect(try CLI.run(["build", app, "-o", tar]).status == 0)
        try Tool.check(
            "python3",
            [
                "-c",
                """
                import io, sys, tarfile
                with tarfile.open(sys.argv[1], "a", format=tarfile.PAX_FORMAT) as t:
                    for name, size in [("data/data/com.example.app/files/big.bin", 300000),
                                       ("data/media/obb/com.example.app/main.1.com.example.app.obb", 120000),
                                       ("data/data/com.example.app/<script>alert(1)</script>", 10),
                                       ("../escape.txt", 5)]:
                        info = tarfile.TarInfo(name)
                        info.size = size
                        t.addfile(info, io.BytesIO(b"x" * size))
                    # What extract would leave out or change, and links out of the export.
                    for name, kind, target, mode in [
                            ("data/local/tmp/passwd", tarfile.SYMTYPE, "/etc/passwd", 0o777),
                            ("data/data/com.example.app/files/up", tarfile.SYMTYPE, "../../../../../etc", 0o777),
                            ("data/data/com.example.app/files/ok", tarfile.SYMTYPE, "../shared_prefs", 0o777),
                            ("data/local/tmp/su", tarfile.REGTYPE, "", 0o4755),
                            ("data/local/tmp/null", tarfile.CHRTYPE, "", 0o666),
                            ("data/local/tmp/fifo", tarfile.FIFOTYPE, "", 0o644)]:
                        info = tarfile.TarInfo(name)
                        info.type, info.linkname, info.mode = kind, target, mode
                        t.addfile(info)
                """, tar,
            ])
        return tar
    }

    /// Every `data-tile="N"` of the treemap's tiles.
    static func tileBytes(_ html: String) -> [Int64] {
        html.components(separatedBy: "data-tile=\"").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }

    @Test(
        "the treemap's tiles add up to the file data, the tar's overhead one line beside; names are escaped; every entry extract would refuse, skip or change is listed with why"
    )
    func page() throws {
        let tmp = try TemporaryDirectory()
        let tar = try Self.makeExport(tmp)
        let page = tmp.file("export.html")
        try expectRun(["inspect", tar, "--html", page, "-q"], stdout: nil, stderr: "")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: tar)[.size] as? Int64)
        let summary = try CLI.parseJSON(try expectRun(["inspect", tar, "--json"]).stdout)["summary"] as? [String: Any]
        let data = try #require(summary?["fileBytes"] as? Int64)
        #expect(Self.tileBytes(html).reduce(0, +) == data)
        #expect(html.contains("data-total=\"\(data)\""))
        #expect(
            html.contains(
                "<div class=\"facts\" id=\"overhead\" data-bytes=\"\(size - data)\">tar headers and padding: "))
        for area in ["app", "data", "obb"] { #expect(html.contains("data-area=\"\(area)\""), "\(area)") }
        #expect(!html.contains("data-area=\"tar\""))
        #expect(
            html.contains("<table id=\"apps\">")
                && html.contains("<td>com.example.phonepack.demo</td><td>1.4.2 (42)</td><td class=\"n\">10000</td>"))
        for (entry, why) in [
            ("data/local/tmp/passwd", "symlink to an absolute path (/etc/passwd), outside the export"),
            ("data/data/com.example.app/files/up", "symlink to ../../../../../etc, above the export&#39;s root"),
            ("data/local/tmp/su", "setuid (mode 4755): extract clears it unless --preserve-permissions"),
            ("data/local/tmp/null", "left out by extract: char-device not created"),
            ("data/local/tmp/fifo", "left out by extract: fifo not created"),
        ] {
            #expect(html.contains("<tr class=\"bad\"><td>\(entry)</td><td>\(why)</td></tr>"), "\(entry)")
        }
        #expect(!html.contains("files/ok</td>"), "a symlink inside the export is not suspicious")
        #expect(html.contains("default-src 'none'"))
        #expect(!html.contains("<script"), "an entry name became markup")
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<tr class=\"bad\"><td>../escape.txt</td>"))
        #expect(!html.contains("http://") && !html.contains("https://"), "the page must not reach the network")
    }

    @Test("headless chromium loads the page with no console error, lays out every tile, and takes a screenshot")
    func browser() throws {
        let tmp = try TemporaryDirectory()
        guard let browser = try Browser(tmp) else { return }
        let tar = try Self.makeExport(tmp)
        let page = tmp.file("export.html")
        #expect(try CLI.run(["inspect", tar, "--html", page]).status == 0)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let (dom, complaints) = try browser.load(page)
        #expect(Self.tileBytes(dom) == Self.tileBytes(html), "the browser's DOM lost tiles")
        #expect(complaints.isEmpty, "\(complaints)")
        let png = try browser.screenshot(page, to: tmp.file("shot.png"))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(png.count) bytes")
        try Browser.keep(png, as: "inspect-html.png")
    }
}
