/// `inspect --html`: one self-contained page for a tar (``HTMLPage``: no script, no network, every name escaped)
/// — a treemap of its file data by package and area (the tar's own headers and padding one line beside it), a
/// table of the apps, the largest files, and every entry `extract` would refuse, skip or change, highlighted.
public enum InspectPage {
    /// One rectangle of the treemap: a package's area, or other files.
    public struct Tile: Sendable, Equatable {
        public var label: String
        /// app, data, external, obb, other or tar.
        public var area: String
        public var bytes: Int64
    }

    /// The tiles, largest first, without empty ones: per app its APKs (app), data, external data and OBBs; the
    /// other files. Together exactly the file data; with ``overhead(_:)``, the archive's size.
    public static func tiles(_ report: InspectReport) -> [Tile] {
        var tiles: [Tile] = []
        for app in report.export?.apps ?? [] {
            for (area, bytes) in [
                ("app", app.appBytes), ("data", app.appDataBytes), ("external", app.externalDataBytes),
                ("obb", app.obbBytes),
            ] {
                tiles.append(Tile(label: app.packageName, area: area, bytes: bytes))
            }
        }
        let content = report.summary?.totalBytes ?? 0
        let inApps = tiles.reduce(0) { $0 + $1.bytes }
        tiles.append(Tile(label: "other files", area: "other", bytes: max(0, content - inApps)))
        return tiles.filter { $0.bytes > 0 }.sorted { $0.bytes > $1.bytes }
    }

    /// The tar's own bytes: headers, padding to 512-byte blocks, the end marker. On a small export they are most of
    /// the file, which as a tile would hide everything else.
    public static func overhead(_ report: InspectReport) -> Int64 {
        max(0, report.size - (report.summary?.totalBytes ?? 0))
    }

    struct Rect: Equatable {
        var x: Double
        var y: Double
        var width: Double
        var height: Double
    }

    /// Squarified treemap (Bruls, Huizing, van Wijk): `values` (largest first) laid out in `bounds`, rows along
    /// the shorter side, each row kept while it makes the worst aspect ratio no worse.
    static func layout(_ values: [Double], in bounds: Rect) -> [Rect] {
        let total = values.reduce(0, +)
        guard total > 0 else { return values.map { _ in Rect(x: bounds.x, y: bounds.y, width: 0, height: 0) } }
        let scale = bounds.width * bounds.height / total
        let areas = values.map { $0 * scale }
        var rects: [Rect] = []
        var free = bounds
        var index = 0
        func worst(_ row: ArraySlice<Double>, _ side: Double) -> Double {
            let sum = row.reduce(0, +)
            guard sum > 0, side > 0 else { return .infinity }
            return row.map { max(side * side * $0 / (sum * sum), sum * sum / (side * side * $0)) }.max() ?? .infinity
        }
        while index < areas.count {
            let side = min(free.width, free.height)
            var end = index + 1
            while end < areas.count, worst(areas[index...end], side) <= worst(areas[index..<end], side) { end += 1 }
            let row = areas[index..<end]
            let sum = row.reduce(0, +)
            let thickness = side > 0 ? sum / side : 0
            var offset = 0.0
            for area in row {
                let length = thickness > 0 ? area / thickness : 0
                if free.width >= free.height {
                    rects.append(Rect(x: free.x, y: free.y + offset, width: thickness, height: length))
                } else {
                    rects.append(Rect(x: free.x + offset, y: free.y, width: length, height: thickness))
                }
                offset += length
            }
            if free.width >= free.height {
                free.x += thickness
                free.width = max(0, free.width - thickness)
            } else {
                free.y += thickness
                free.height = max(0, free.height - thickness)
            }
            index = end
        }
        return rects
    }

    static let colours = [
        "app": "#4e79a7", "data": "#f28e2b", "external": "#59a14f", "obb": "#e15759", "other": "#9c8f87",
    ]

    /// The page.
    public static func render(_ report: InspectReport) -> String {
        let tiles = tiles(report)
        let width = 960.0
        let height = 540.0
        let rects = layout(tiles.map { Double($0.bytes) }, in: Rect(x: 0, y: 0, width: width, height: height))
        var html = ""
        let summary = report.summary
        html += "<h1>\(HTMLPage.escape(report.file))</h1>\n"
        html +=
            "<div class=\"facts\">\(HTMLPage.escape(report.kind)), \(formatBytes(report.size)) (\(report.size) bytes)"
            + (summary.map { ", \($0.entries) entries, \($0.files) files, \(formatBytes($0.totalBytes)) of file data" }
                ?? "")
            + (report.export.map { ", \($0.apps.count) apps, \($0.suspiciousCount) suspicious" } ?? "") + "</div>\n"
        let overhead = overhead(report)
        let share = report.size > 0 ? Double(overhead) * 100 / Double(report.size) : 0
        html +=
            "<div class=\"facts\" id=\"overhead\" data-bytes=\"\(overhead)\">tar headers and padding: "
            + "\(formatBytes(overhead)) (\(overhead) bytes, \(Int(share.rounded())) % of the file), not in the map</div>\n"
        html += "<div class=\"map\" id=\"treemap\" data-total=\"\(tiles.reduce(0) { $0 + $1.bytes })\">\n"
        for (tile, rect) in zip(tiles, rects) {
            let title = "\(tile.label) — \(tile.area): \(formatBytes(tile.bytes)) (\(tile.bytes) bytes)"
            html +=
                "<div class=\"tile\" data-area=\"\(tile.area)\" data-tile=\"\(tile.bytes)\" title=\"\(HTMLPage.escape(title))\" "
                + "style=\"left:\(pixels(rect.x));top:\(pixels(rect.y));width:\(pixels(rect.width));"
                + "height:\(pixels(rect.height));background:\(colours[tile.area] ?? "#777")\">"
                + "\(HTMLPage.escape(tile.label))<br>\(tile.area) \(formatBytes(tile.bytes))</div>\n"
        }
        html += "</div>\n"
        html += HTMLPage.legend(
            ["app", "data", "external", "obb", "other"].map { ($0, colours[$0]!) })
        if let apps = report.export?.apps, !apps.isEmpty {
            html +=
                "<h2>Apps</h2>\n<table id=\"apps\"><tr><th>package</th><th>version</th><th>uid</th><th>SELinux label</th>"
                + "<th>app</th><th>data</th><th>external</th><th>obb</th></tr>\n"
            for app in apps {
                let version = app.versionName.map { name in app.versionCode.map { "\(name) (\($0))" } ?? name } ?? "—"
                html += "<tr><td>\(HTMLPage.escape(app.packageName))</td><td>\(HTMLPage.escape(version))</td>"
                html += "<td class=\"n\">\(app.ownerUID.map(String.init) ?? "—")</td>"
                html += "<td>\(HTMLPage.escape(app.selinuxLabel ?? "—"))</td>"
                for bytes in [app.appBytes, app.appDataBytes, app.externalDataBytes, app.obbBytes] {
                    html += "<td class=\"n\">\(formatBytes(bytes))</td>"
                }
                html += "</tr>\n"
            }
            html += "</table>\n"
        }
        if let summary, !summary.largestFiles.isEmpty {
            html += "<h2>Largest files</h2>\n<table id=\"largest\"><tr><th>size</th><th>path</th></tr>\n"
            for file in summary.largestFiles {
                html +=
                    "<tr><td class=\"n\">\(formatBytes(file.size))</td><td>\(HTMLPage.escape(file.path))</td></tr>\n"
            }
            html += "</table>\n"
        }
        if let export = report.export {
            html +=
                "<h2>Suspicious entries: \(export.suspiciousCount)</h2>\n<table id=\"suspicious\"><tr><th>entry</th><th>why: what extract does with it, or where it points</th></tr>\n"
            for note in export.suspicious {
                html +=
                    "<tr class=\"bad\"><td>\(HTMLPage.escape(note.entry))</td><td>\(HTMLPage.escape(note.reason))</td></tr>\n"
            }
            if export.suspiciousCount > export.suspicious.count {
                html +=
                    "<tr class=\"bad\"><td colspan=\"2\">… and \(export.suspiciousCount - export.suspicious.count) more</td></tr>\n"
            }
            html += "</table>\n"
        }
        return HTMLPage.document(
            title: "phonepack inspect: \(report.file)",
            style: """
                .map{position:relative;width:\(Int(width))px;height:\(Int(height))px;border:1px solid #888;overflow:hidden}
                .tile{position:absolute;box-sizing:border-box;border:1px solid #fff;overflow:hidden;color:#fff;
                font-size:12px;padding:2px 4px;line-height:1.3}
                """, body: html)
    }

    static func pixels(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return "\(rounded)px"
    }
}
