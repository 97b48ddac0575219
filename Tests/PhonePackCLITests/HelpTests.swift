import ArgumentParser
import Foundation
import PhonePackTestSupport
import Testing

@testable import phonepack

@Suite(
    "Help that teaches: examples that parse, text that reflows, snapshots at 80 and 120 columns (issue 17)", .ownThread)
struct HelpTests {
    /// Every command path below the root: ["build"], ["release", "start"], …
    static func commandPaths(_ command: any ParsableCommand.Type = PhonePack.self, _ path: [String] = []) -> [[String]]
    {
        command.configuration.subcommands.flatMap { sub -> [[String]] in
            let name = sub.configuration.commandName ?? sub._commandName
            return [path + [name]] + commandPaths(sub, path + [name])
        }
    }

    static func help(_ path: [String], columns: Int) throws -> String {
        let result = try CLI.run(path + ["--help"], environment: ["COLUMNS": String(columns)])
        #expect(result.status == 0 && result.stderr.isEmpty, "\(path) --help: \(result.stderr)")
        return result.stdout
    }

    /// The lines of the Examples block, continuation lines (ending in \) joined.
    static func examples(in help: String) -> [String] {
        guard let block = help.components(separatedBy: "\nExamples:\n").dropFirst().first else { return [] }
        return joined(block.split(separator: "\n", omittingEmptySubsequences: false).prefix { $0.hasPrefix("  ") })
    }

    /// Example lines as commands: each trimmed, a line ending in \\ continued by the next.
    static func joined(_ lines: some Sequence<Substring>) -> [String] {
        var commands: [String] = []
        var pending = ""
        for line in lines {
            pending += line.trimmingCharacters(in: .whitespaces)
            if pending.hasSuffix("\\") {
                pending = String(pending.dropLast()) + " "
                continue
            }
            commands.append(pending)
            pending = ""
        }
        return commands
    }

    /// A shell word split of one example, the phonepack part only: no comment, pipe or redirection.
    static func arguments(_ example: String) -> [String]? {
        var words: [String] = []
        var word = ""
        var quote: Character?
        var started = false
        for character in example {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                started = true
            case " ":
                if started || !word.isEmpty { words.append(word) }
                word = ""
                started = false
            default: word.append(character)
            }
        }
        if started || !word.isEmpty { words.append(word) }
        guard let start = words.firstIndex(of: "phonepack") else { return nil }
        let end = words[start...].firstIndex { ["|", "<", ">", "#"].contains($0) } ?? words.endIndex
        return Array(words[(start + 1)..<end])
    }

    @Test("every command names itself: a type's name through String(describing:) costs start-up time")
    func explicitNames() {
        func unnamed(_ command: any ParsableCommand.Type) -> [String] {
            command.configuration.subcommands.flatMap { sub in
                (sub.configuration.commandName == nil ? ["\(sub)"] : []) + unnamed(sub)
            }
        }
        #expect(unnamed(PhonePack.self) == [])
        #expect(PhonePack.configuration.commandName == "phonepack")
    }

    @Test("every command's help ends in examples, and every example parses as the command it shows")
    func examplesParse() throws {
        let tmp = try TemporaryDirectory()
        let paths = Self.commandPaths()
        #expect(paths.count >= 45)
        for path in [[]] + paths where path != ["help"] {
            let examples = Self.examples(in: try Self.help(path, columns: 120))
            #expect(!examples.isEmpty, "phonepack \(path.joined(separator: " ")) --help has no examples")
            for example in examples {
                guard let arguments = Self.arguments(example) else {
                    Issue.record("not a phonepack command: \(example)")
                    continue
                }
                #expect(
                    arguments.starts(with: path) || path.count > 1 && arguments.starts(with: path.dropLast()),
                    "an example of \(path) runs another command: \(example)")
                // An id list from @file (or @-) is read while parsing: each example's file is made, holding one id.
                let files = try arguments.map { argument -> String in
                    guard argument.hasPrefix("@") else { return argument }
                    let file = tmp.file(argument == "@-" ? "stdin.txt" : String(argument.dropFirst()))
                    try "id-0001\n".write(toFile: file, atomically: true, encoding: .utf8)
                    return "@" + file
                }
                do {
                    _ = try PhonePack.parseAsRoot(files)
                } catch {
                    Issue.record("\(example): \(PhonePack.message(for: error))")
                }
            }
        }
    }

    @Test("help reflows to the width: no line past it but the usage line, examples never broken", arguments: [80, 120])
    func reflows(columns: Int) throws {
        for path in [[]] + Self.commandPaths() where path != ["help"] {
            let text = try Self.help(path, columns: columns)
            for line in text.split(separator: "\n") where line.count > columns && !line.hasPrefix("USAGE:") {
                Issue.record("phonepack \(path.joined(separator: " ")) at \(columns) columns: \(line)")
            }
            #expect(Self.examples(in: text) == Self.examples(in: try Self.help(path, columns: 200)))
        }
    }

    /// The whole help of every command at one width, as one text.
    static func allHelp(columns: Int) throws -> String {
        try ([[]] + commandPaths()).filter { $0 != ["help"] }.map { path in
            "==== phonepack \(path.joined(separator: " "))\n" + (try help(path, columns: columns))
        }.joined(separator: "\n")
    }

    @Test(
        "help snapshots at 80 and 120 columns (PHONEPACK_UPDATE_SNAPSHOTS=1 rewrites them, and fails)",
        arguments: [80, 120])
    func snapshot(columns: Int) throws {
        try Snapshot.check(try Self.allHelp(columns: columns), "help-\(columns).txt")
    }
}
