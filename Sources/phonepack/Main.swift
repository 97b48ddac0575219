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
        do {
            var command = try PhonePack.parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Glibc.exit(exit.rawValue)
        } catch let error as PhonePackError {
            printError(error.description)
            Glibc.exit(ExitStatus.code(for: error))
        } catch {
            let code = PhonePack.exitCode(for: error)
            let message = PhonePack.fullMessage(for: error)
            if code == .success {
                print(message)
                Glibc.exit(0)
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
                printError("interrupted; partial output removed")
                _exit(ExitStatus.interrupted)
            }
            source.resume()
            SignalSources.keep(source)
        }
    }
}
