import ArgumentParser
import Dispatch
import Glibc
import PhonePackCloud
import PhonePackCore
import Synchronization

/// Progress on stderr: percent, bytes, rate and time left. On a terminal, a bar redrawn in place five times a
/// second; elsewhere (a pipe, a log file, CI) a plain line every five seconds with no `\r`, as rclone's --stats
/// does, and a last line only when one was printed before (a short transfer adds nothing to a log).
final class ProgressBar: @unchecked Sendable {
    private let progress: TransferProgress
    private let timer: any DispatchSourceTimer
    private let started = CloudTime.monotonicSeconds()
    private let terminal: Bool
    private let drawn = Atomic<Bool>(false)

    init(progress: TransferProgress, terminal: Bool) {
        self.progress = progress
        self.terminal = terminal
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "phonepack.progress"))
        let interval: DispatchTimeInterval = terminal ? .milliseconds(200) : .seconds(5)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.draw(final: false) }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        if terminal || drawn.load(ordering: .relaxed) { draw(final: true) }
    }

    private func draw(final: Bool) {
        let total = max(progress.total.load(ordering: .relaxed), 0)
        let done = min(max(progress.done.load(ordering: .relaxed), 0), total)
        let elapsed = max(CloudTime.monotonicSeconds() - started, 0.001)
        let rate = Double(done) / elapsed
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        var figures = "\(Int(fraction * 100))% \(formatBytes(done))/\(formatBytes(total)) \(formatBytes(Int64(rate)))/s"
        if rate > 0 && done < total { figures += " ETA \(Int(Double(total - done) / rate))s" }
        drawn.store(true, ordering: .relaxed)
        guard terminal else { return writeToStandardError("phonepack: progress: \(figures)\n") }
        let width = 24
        let filled = Int(fraction * Double(width))
        let line =
            "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            + figures + "   "
        writeToStandardError(final ? line + "\n" : line)
    }
}
