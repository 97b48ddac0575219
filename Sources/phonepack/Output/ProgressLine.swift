import ArgumentParser
import Glibc
import PhonePackCloud
import PhonePackCore

/// "jobs: 40/100 done" on stderr, rewritten in place when stderr is a terminal.
enum ProgressLine {
    static func make(quiet: Bool) -> (Int, Int) -> Void {
        guard !quiet else { return { _, _ in } }
        let terminal = isatty(2) != 0
        var last = -1
        return { done, total in
            guard done != last else { return }
            last = done
            writeToStandardError(terminal ? "\rjobs: \(done)/\(total) done   " : "jobs: \(done)/\(total) done\n")
            if terminal && done == total { writeToStandardError("\n") }
        }
    }
}
