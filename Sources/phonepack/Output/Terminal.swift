import ArgumentParser
import Dispatch
import Glibc
import PhonePackCore
import Synchronization

/// The terminal's settings while a secret is read with echo off, so an interrupt can put them back.
enum TerminalSettings {
    static let saved = Mutex<termios?>(nil)

    static func restore() {
        saved.withLock { settings in
            if var settings { tcsetattr(0, TCSAFLUSH, &settings) }
            settings = nil
        }
    }
}

/// Keeps the signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}

/// A line from standard input; on a terminal, after `prompt` and with echo off (as `passwd` does), so the
/// secret never shows on screen or in a terminal's scroll-back.
func readSecretLine(prompt: String) -> String {
    guard isatty(0) != 0 else { return readLine(strippingNewline: true) ?? "" }
    writeToStandardError(prompt)
    var saved = termios()
    let haveSettings = tcgetattr(0, &saved) == 0
    if haveSettings {
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        // Ctrl-C at the prompt exits through the interrupt handler: it puts echo back too.
        TerminalSettings.saved.withLock { $0 = saved }
        tcsetattr(0, TCSAFLUSH, &quiet)
    }
    defer {
        if haveSettings {
            tcsetattr(0, TCSAFLUSH, &saved)
            TerminalSettings.saved.withLock { $0 = nil }
        }
    }
    return readLine(strippingNewline: true) ?? ""
}
