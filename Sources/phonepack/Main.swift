import ArgumentParser
import CLinuxExtras
import Dispatch
import Glibc
import PhonePackCore
import Synchronization

@main
enum Main {
    static func main() {
        // Secret keys, tokens and passwords pass through memory: no core dump may hold them, and no other
        // process of this user may read them through ptrace or /proc.
        _ = phonepack_set_not_dumpable()
        installInterruptHandler()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.isEmpty {
            print(PhonePack.shortUsage)
            Glibc.exit(0)
        }
        if let word = arguments.first, let suggestion = Suggestion.unknownVerb(word) {
            printError(suggestion)
            Glibc.exit(ExitStatus.usage)
        }
        // Under --json an error is a JSON object on stderr too, so a script reads both outcomes the same way.
        let wantsJSON = arguments.prefix { $0 != "--" }.contains("--json")
        // The command that was parsed: an error its run() throws is explained with that command's usage.
        var parsed: (any ParsableCommand.Type)?
        do {
            var command = try PhonePack.parseAsRoot(arguments)
            parsed = type(of: command)
            try command.run()
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch let error as PhonePackError {
            let status = ExitStatus.code(for: error)
            if wantsJSON {
                writeToStandardError(JSONOutput.line(ErrorReport(error, exitCode: status)) + "\n")
            } else {
                printError(error.description)
            }
            Glibc.exit(status)
        } catch {
            let code = PhonePack.exitCode(for: error)
            let message = Suggestion.message(for: error, parsed: parsed)
            if code == .success {
                print(message == PhonePack.configuration.version ? PhonePack.versionReport : message)
                Glibc.exit(0)
            }
            if wantsJSON {
                writeToStandardError(
                    JSONOutput.line(ErrorReport(usage: PhonePack.message(for: error), exitCode: ExitStatus.usage))
                        + "\n")
                Glibc.exit(ExitStatus.usage)
            }
            // ArgumentParser's usage errors: its message, then the exit code DESIGN.md gives them.
            printError(message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message, keepingNewlines: true)
            Glibc.exit(ExitStatus.usage)
        }
    }

    /// Ctrl-C or SIGTERM: delete the temporary outputs so nothing half-written survives, then exit 130.
    static func installInterruptHandler() {
        let queue = DispatchQueue(label: "phonepack.signals")
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                TerminalSettings.restore()
                TemporaryFiles.removeAll()
                printError(
                    "interrupted: files being written were removed; what transfers and releases had stored is kept, and running the same command again resumes from it"
                )
                _exit(ExitStatus.interrupted)
            }
            source.resume()
            SignalSources.keep(source)
        }
    }
}

/// "did you mean" for a mistyped verb: the first word is neither an option nor a verb, and a verb is within two
/// edits of it. Nothing is suggested for a word too far from every verb (the parser's own error stands).
enum Suggestion {
    static func unknownVerb(_ word: String) -> String? {
        guard !word.hasPrefix("-") else { return nil }
        let verbs =
            PhonePack.configuration.subcommands.compactMap { $0.configuration.commandName }
            + ["help"]
        guard !verbs.contains(word) else { return nil }
        let scored = verbs.map { ($0, distance(Array(word.utf8), Array($0.utf8))) }.filter { $0.1 <= 2 }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return
            "'\(word.terminalSafe)' is not a phonepack command; did you mean '\(best.0)'? (phonepack --help lists them)"
    }

    /// The error with the usage of the command that was running (the root's when parsing itself failed): a
    /// check in a verb's run() used to be followed by `Usage: phonepack <subcommand>`.
    static func message(for error: any Error, parsed: (any ParsableCommand.Type)?) -> String {
        // Help and --version end in a "clean" error too (HelpCommand's is not a CleanExit): no usage after them.
        guard let parsed, parsed != PhonePack.self, !(error is CleanExit), PhonePack.exitCode(for: error) != .success
        else {
            return PhonePack.fullMessage(for: error)
        }
        let usage = PhonePack.usageString(for: parsed)
        let path = usage.split(separator: " ").prefix { !$0.hasPrefix("[") && !$0.hasPrefix("<") && $0 != "--" }
            .joined(separator: " ")
        return PhonePack.message(for: error) + "\nUsage: \(usage)\n  See '\(path) --help' for more information."
    }

    /// Levenshtein distance over bytes.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
