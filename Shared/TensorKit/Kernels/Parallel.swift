// Running a kernel on all cores. Work is always split the same way for the same sizes, and
// each output element is computed by exactly one task in a fixed order, so results are
// bit-for-bit identical whatever the number of threads.

import Dispatch
import Foundation

/// Settings of the numeric kernels.
public enum TensorKitConfig {
    /// How many threads kernels may use (default: the active processors). Setting it to 1
    /// gives the same results, only slower.
    nonisolated(unsafe) public static var threadCount = ProcessInfo.processInfo.activeProcessorCount
}

/// Runs `body(task)` for task in 0..<tasks, on up to `TensorKitConfig.threadCount` threads.
@inline(__always)
func parallelFor(_ tasks: Int, _ body: (Int) -> Void) {
    if tasks <= 1 || TensorKitConfig.threadCount <= 1 {
        for t in 0..<tasks { body(t) }
        return
    }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: tasks, execute: body)
    }
}

/// Splits 0..<count into about `TensorKitConfig.threadCount` contiguous chunks whose
/// boundaries are multiples of `granularity`.
func chunks(_ count: Int, granularity: Int = 1, minimumPerChunk: Int = 1) -> [Range<Int>] {
    let threads = max(1, TensorKitConfig.threadCount)
    let units = (count + granularity - 1) / granularity
    let maxChunks = max(1, min(threads * 4, units, count / max(minimumPerChunk, 1)))
    let per = (units + maxChunks - 1) / maxChunks
    var out: [Range<Int>] = []
    var start = 0
    while start < count {
        let end = min(count, start + per * granularity)
        out.append(start..<end)
        start = end
    }
    return out
}
