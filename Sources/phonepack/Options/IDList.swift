import ArgumentParser
import Foundation
import PhonePackCloud
import PhonePackCore

/// Server or phone ids from `a,b,c` or `@file` (one or more per line, commas or spaces between, `#` comments).
func parseIDList(_ text: String, flag: String) throws -> [String] {
    var source = text
    if text.hasPrefix("@") {
        let path = String(text.dropFirst())
        guard let bytes = try? OpenFile.forReading(path).readToEnd() else {
            throw ValidationError("\(flag) \(text): cannot read \(path)")
        }
        source = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            .map { $0.prefix { $0 != "#" } }.joined(separator: ",")
    }
    var seen = Set<String>()
    let ids = source.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" })
        .map(String.init).filter { seen.insert($0).inserted }
    guard !ids.isEmpty else { throw ValidationError("\(flag) lists no ids") }
    return ids
}
