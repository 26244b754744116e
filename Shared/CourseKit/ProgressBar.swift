// A one-line progress bar for long loops, redrawn in place with a carriage return:
//
//     step  120/400 [█████████░░░░░░░░░░░░░░░░░░░░] loss 4.812 · 1,930 tok/s · ETA 1m12s
//
// or, for a download,
//
//     [█████████░░░░░░░░░░░░░░░░░░░░] 301.4 MB / 988.1 MB · 23.5 MB/s · ETA 29s
//
// It draws only on a terminal (a log file or a test gets no bar), at most ten times a second.

import Foundation
import TensorKit

public final class ProgressBar {
    public let total: Int
    public let enabled: Bool
    private let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private var firstStep: Int?

    /// A bar for `total` steps; `enabled: false` makes every call do nothing.
    public init(total: Int, enabled: Bool) {
        self.total = max(total, 1)
        self.enabled = enabled
    }

    /// Redraws the bar for `step` of `total`, with the latest loss and the tokens processed
    /// since the bar was made (for tokens/s and the time left).
    public func update(step: Int, loss: Float, tokens: Int) {
        guard enabled, let elapsed = due(final: step == total) else { return }
        let rate = Double(tokens) / elapsed
        if firstStep == nil { firstStep = step - 1 }       // a resumed run starts part-way
        let done = Double(step - firstStep!), left = Double(total - step)
        let eta = done > 0 ? elapsed * left / done : 0
        let digits = String(total).count
        draw("step \(String(repeating: " ", count: max(0, digits - String(step).count)))\(step)/\(total) [\(bar(step))] "
            + "loss \(String(format: "%.3f", loss)) · \(grouped(Int(rate))) tok/s · ETA \(duration(eta))")
    }

    /// Redraws the bar for `bytes` of `total` bytes (a download): the sizes, the speed since
    /// the first call (a resumed download starts part-way) and the time left.
    ///
    ///     let bar = ProgressBar(total: 988_097_824, enabled: isatty(STDOUT_FILENO) != 0)
    ///     bar.update(bytes: 301_400_000)
    public func update(bytes: Int) {
        guard enabled, let elapsed = due(final: bytes == total) else { return }
        if firstStep == nil { firstStep = bytes }
        let rate = Double(bytes - firstStep!) / elapsed
        let eta = rate > 0 ? Double(total - bytes) / rate : 0
        draw("[\(bar(bytes))] \(formatByteCount(bytes)) / \(formatByteCount(total)) · \(formatByteCount(Int(rate)))/s · ETA \(duration(eta))")
    }

    /// The seconds since the bar was made, if it is time to draw again (or the last step).
    private func due(final: Bool) -> Double? {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || final else { return nil }
        lastDraw = now
        return max(now.timeIntervalSince(started), 1e-9)
    }

    /// 30 blocks, filled in proportion to `done` of `total`.
    private func bar(_ done: Int) -> String {
        let width = 30
        let filled = max(0, min(width, Int(Double(done) * Double(width) / Double(total))))
        return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    }

    private func draw(_ line: String) {
        FileHandle.standardOutput.write(Data(("\r" + line).utf8))
        drawn = true
    }

    /// Erases the bar so that a normal line can be printed in its place.
    public func clear() {
        guard enabled, drawn else { return }
        FileHandle.standardOutput.write(Data(("\r" + String(repeating: " ", count: 100) + "\r").utf8))
        drawn = false
    }
}

/// "42s", "3m05s" or "1h02m".
public func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
}
