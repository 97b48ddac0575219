import ArgumentParser
import Dispatch
import Glibc
import PhonePackCloud
import PhonePackCore

/// Runs one transfer with notices and the progress bar on stderr.
struct TransferRunner {
    var flags: TransferFlags
    var json: Bool

    func run(
        _ store: ObjectStoreClient, _ settings: TransferSettings,
        _ body: (ObjectTransfer) throws -> TransferSummary
    ) throws -> TransferSummary {
        let transfer = ObjectTransfer(store: store, settings: settings)
        transfer.notice = logLine
        let showBar = flags.progress ?? (!json && isatty(2) != 0)
        let bar = showBar ? ProgressBar(progress: transfer.progress) : nil
        defer { bar?.stop() }
        return try body(transfer)
    }
}
