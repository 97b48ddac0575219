import ArgumentParser
import Glibc
import PhonePackCore

/// Prints one line of human output. Names, keys, ids, vendor messages and command output in it come from
/// archives and servers: control characters are escaped, so a line stays one line and cannot drive the terminal
/// (window titles, clearing the screen, fake lines). `--json` output is printed as is: JSON escapes them itself.
func say(_ line: String) {
    print(line.terminalSafe)
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
