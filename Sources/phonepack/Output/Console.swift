import ArgumentParser
import FoundationEssentials
import Glibc
import PhonePackCore

/// Prints one line of human output. Names, keys, ids, vendor messages and command output in it come from
/// archives and servers: control characters are escaped, so a line stays one line and cannot drive the terminal
/// (window titles, clearing the screen, fake lines). `--json` output is printed as is: JSON escapes them itself.
func say(_ line: String) {
    print(line.terminalSafe)
}

/// `say` for the stage lines of a long command (`release: built …`): written at once, so that a log read through
/// a pipe shows each stage when it happens, in order with the progress lines on standard error.
func sayNow(_ line: String) {
    say(line)
    fflush(nil)  // every output stream: naming `stdout` is not concurrency-safe in Swift 6
}

/// One error line. Messages carry names, keys and vendor text from archives and servers: control characters are
/// escaped, so the line stays one line and cannot drive the terminal.
/// `keepingNewlines` is for the argument parser's own multi-line usage text.
func printError(_ message: String, keepingNewlines: Bool = false) {
    var text = Substring(message)
    while text.hasSuffix("\n") { text = text.dropLast() }
    writeToStandardError(
        "phonepack: error: \(TerminalText.escape(String(text), keepingNewlines: keepingNewlines))\n")
}

/// A `-v` log entry or a notice on stderr; multi-line entries (the signing dumps) keep their lines, and any other
/// control character from a server is escaped.
func logLine(_ text: String) {
    writeToStandardError("phonepack: \(TerminalText.escape(text, keepingNewlines: true))\n")
}

func printWarning(_ message: String) {
    writeToStandardError("phonepack: warning: \(message.terminalSafe)\n")
}

func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
    }
}

extension String {
    /// Pads with spaces on the right to `width` characters (never truncates).
    func padded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// Colour for the words that matter (FAIL, WARN, PASS), only when standard output is a terminal and `NO_COLOR`
/// (no-color.org) is unset and TERM is not "dumb": a pipe, a log or a script never sees an escape sequence.
enum Colour: String {
    case red = "31"
    case yellow = "33"
    case green = "32"

    static let enabled: Bool = {
        let environment = ProcessInfo.processInfo.environment
        return isatty(1) != 0 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }()

    /// `word` (our own text, never a server's) in this colour, or as is.
    func paint(_ word: String) -> String { Colour.enabled ? "\u{1B}[\(rawValue)m\(word)\u{1B}[0m" : word }
}
