/// The frame every HTML report shares: one self-contained document with no script and no network (its
/// Content-Security-Policy allows only the inline style), and one escape for every string that came from an
/// archive or a server.
public enum HTMLPage {
    /// A whole document: `title` (escaped here), the shared style plus `style`, and `body` (already markup).
    public static func document(title: String, style: String = "", body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <title>\(escape(title))</title>
        <style>
        body{font:14px system-ui,sans-serif;margin:24px;color:#222}
        h1{font-size:20px;margin:0 0 4px}
        .facts{color:#555;margin-bottom:16px}
        .legend span{display:inline-block;margin:8px 12px 0 0}
        .legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
        table{border-collapse:collapse;margin-top:8px}
        td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #ddd}
        td.n{text-align:right;font-variant-numeric:tabular-nums}
        tr.bad td{background:#fde2e1;color:#8a1010}
        \(style)
        </style></head><body>
        \(body)</body></html>

        """
    }

    /// A colour key: one swatch per (name, colour).
    public static func legend(_ entries: [(name: String, colour: String)]) -> String {
        "<div class=\"legend\">"
            + entries.map { "<span><i style=\"background:\($0.colour)\"></i>\(escape($0.name))</span>" }.joined()
            + "</div>\n"
    }

    /// Text safe inside elements and quoted attributes; a control character becomes its picture (␛, ␀).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out.unicodeScalars.append(Unicode.Scalar(scalar.value == 0x7F ? 0x2421 : 0x2400 + scalar.value)!)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
