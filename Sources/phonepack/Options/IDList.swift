import ArgumentParser
import Glibc
import PhonePackCore

/// Server, phone or instance ids (or paths): `a,b,c`, `@file` (one or more per line, commas or spaces between,
/// `#` comments) or `@-` (the same from standard input). Duplicates are dropped, order kept; an empty list is
/// refused by the parser.
struct IDList: ExpressibleByArgument, Sendable {
    var ids: [String]

    init?(argument: String) {
        var source = argument
        if argument.hasPrefix("@") {
            let path = String(argument.dropFirst())
            let file =
                path == "-"
                ? OpenFile.standardInput() : try? OpenFile.forReading(path)
            guard let bytes = try? file?.readToEnd(limit: 64 << 20) else { return nil }
            source = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                .map { $0.prefix { $0 != "#" } }.joined(separator: ",")
        }
        var seen = Set<String>()
        ids = source.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\r" })
            .map(String.init).filter { seen.insert($0).inserted }
        guard !ids.isEmpty else { return nil }
    }
}
