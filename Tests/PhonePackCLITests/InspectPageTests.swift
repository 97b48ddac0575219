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
                """, tar,
            ])
        return tar
    }

    /// Every `data-bytes="N"` of the treemap's tiles.
    static func tileBytes(_ html: String) -> [Int64] {
        html.components(separatedBy: "data-bytes=\"").dropFirst().compactMap { Int64($0.prefix { $0.isNumber }) }
    }

    @Test("the treemap's tiles add up to the archive's size; names are escaped; the refused entry is highlighted")
    func page() throws {
        let tmp = try TemporaryDirectory()
        let tar = try Self.makeExport(tmp)
        let page = tmp.file("export.html")
        try expectRun(["inspect", tar, "--html", page, "-q"], stdout: nil, stderr: "")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: tar)[.size] as? Int64)
        #expect(Self.tileBytes(html).reduce(0, +) == size)
        #expect(html.contains("data-total=\"\(size)\""))
        for area in ["app", "data", "obb", "tar"] { #expect(html.contains("data-area=\"\(area)\""), "\(area)") }
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
