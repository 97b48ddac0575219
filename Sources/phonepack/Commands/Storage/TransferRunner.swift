import ArgumentParser
import Dispatch
import Glibc
import PhonePackCloud
import PhonePackCore

/// Runs one transfer with notices and the progress bar on stderr.
struct TransferRunner {
    var flags: TransferFlags
    /// -q or --json: no progress unless --progress asks for it.
    var silent: Bool
    /// -q: no notices either ("resuming upload …"); --json keeps them on stderr.
    var quiet = false

    /// The transfer's summary, or nil when `--no-clobber` found the object already there and left it (said on
    /// stderr; exit 0, as `cp -n` does).
    func run(
        _ store: ObjectStoreClient, _ settings: TransferSettings,
        _ body: (ObjectTransfer) throws -> TransferSummary
    ) throws -> TransferSummary? {
        let transfer = ObjectTransfer(store: store, settings: settings)
        if !quiet { transfer.notice = logLine }
        // On a terminal a bar redrawn in place; otherwise (a log, CI) one plain line every few seconds.
        let bar = flags.progress ?? !silent ? ProgressBar(progress: transfer.progress, terminal: isatty(2) != 0) : nil
        defer { bar?.stop() }
        do {
            return try body(transfer)
        } catch let error as PhonePackError where error.isAlreadyExists {
            bar?.stop()
            if !quiet { logLine("left as it is: \(error.path ?? "the object") already exists (--no-clobber)") }
            return nil
        }
    }
}
