import ArgumentParser
import Dispatch
import Glibc
import PhonePackCloud
import PhonePackCore
import Synchronization

/// A one-line bar on stderr, redrawn five times a second: percent, bytes, rate and time left.
final class ProgressBar: @unchecked Sendable {
    private let progress: TransferProgress
    private let timer: any DispatchSourceTimer
    private let started = CloudTime.monotonicSeconds()

    init(progress: TransferProgress) {
        self.progress = progress
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "phonepack.progress"))
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
        timer.setEventHandler { [weak self] in self?.draw(final: false) }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        draw(final: true)
    }

    private func draw(final: Bool) {
        let total = max(progress.total.load(ordering: .relaxed), 0)
        let done = min(max(progress.done.load(ordering: .relaxed), 0), total)
        let elapsed = max(CloudTime.monotonicSeconds() - started, 0.001)
        let rate = Double(done) / elapsed
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        var line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
        line += "\(Int(fraction * 100))% \(formatBytes(done))/\(formatBytes(total)) \(formatBytes(Int64(rate)))/s"
        if rate > 0 && done < total { line += " ETA \(Int(Double(total - done) / rate))s" }
        line += "   "
        writeToStandardError(final ? line + "\n" : line)
    }
}
