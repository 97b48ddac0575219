import ArgumentParser
import CLinuxExtras
import Dispatch
import Glibc
import PhonePackCore
import Synchronization

/// The root command. Parsing and exit codes follow DESIGN.md: 0 success, 1 a check failed, 2 usage or input
/// error, 3 network or service error, 130 interrupted.
struct PhonePack: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phonepack",
        abstract: "Build, verify, ship and pull back app tarballs for Huawei CPH / KooPhone and Alibaba Cloud Phone.",
        discussion: """
            Typical flow:
              phonepack build myapp/ -o app.tar          # shared-app tar + app.tar.sha256
              phonepack verify app.tar --to obs://my-bucket/apps/app.tar
              phonepack release myapp/ --to obs://my-bucket/apps/app.tar --servers @servers.txt
              phonepack pull --phones ID --include /data/data/com.x --to obs://my-bucket/exports/ -C out/
            Exit codes: 0 success, 1 a check or a phone failed, 2 usage or input error, 3 network or service
            error, 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [
            BuildCommand.self, VerifyCommand.self, InspectCommand.self, ExtractCommand.self, CatCommand.self,
            DiffCommand.self, UploadCommand.self, DownloadCommand.self, ListCommand.self, StatCommand.self,
            RemoveCommand.self, PresignCommand.self, UploadsCommand.self, PushCommand.self, JobsCommand.self,
            ReleaseCommand.self, PullCommand.self, ExportCommand.self, RestoreCommand.self, ExecCommand.self,
            ImagesCommand.self, PhonesCommand.self,
            ConfigCommand.self, AuthCommand.self,
        ]
    )
}

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

enum ExitStatus {
    static let checkFailed: Int32 = 1
    static let usage: Int32 = 2
    static let network: Int32 = 3
    static let interrupted: Int32 = 130

    static func code(for error: PhonePackError) -> Int32 {
        switch error.code {
        case .checkFailed: checkFailed
        case .interrupted: interrupted
        case .network, .service, .timedOut: network
        default: usage
        }
    }
}

/// One error line. Messages carry names, keys and vendor text from archives and servers: control characters are
/// escaped, so the line stays one line and cannot drive the terminal.
/// Prints one line of human output. Names, keys, ids, vendor messages and command output in it come from
/// archives and servers: control characters are escaped, so a line stays one line and cannot drive the terminal
/// (window titles, clearing the screen, fake lines). `--json` output is printed as is: JSON escapes them itself.
func say(_ line: String) {
    print(line.terminalSafe)
}

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

/// Flags every command that prints a result has.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON document on stdout instead of text.")
    var json = false
}
