// Running a kernel on all cores. Work is always split the same way for the same sizes, and
// each output element is computed by exactly one task in a fixed order, so results are
// bit-for-bit identical whatever the number of threads. The threads themselves are in
// WorkerPool.swift.

/// Runs `body(task)` for every task in 0..<tasks, on up to `TensorKitConfig.threadCount`
/// threads, and returns when all have finished. Tasks must write to disjoint memory. A call
/// made from inside a task (or while another thread uses the pool) runs serially.
///
///     parallelFor(rows.count) { r in normalise(row: r) }
@inline(__always)
func parallelFor(_ tasks: Int, _ body: (Int) -> Void) {
    if tasks <= 1 || TensorKitConfig.threadCount <= 1 {
        for t in 0..<tasks { body(t) }
        return
    }
    withoutActuallyEscaping(body) { WorkerPool.shared.run(tasks: tasks, $0) }
}

/// Splits 0..<count into about 2 × `TensorKitConfig.threadCount` contiguous chunks whose
/// boundaries are multiples of `granularity` (each at least `minimumPerChunk` long).
///
///     chunks(10_000, granularity: 4096)   // with 2 threads: [0..<4096, 4096..<8192, 8192..<10000]
func chunks(_ count: Int, granularity: Int = 1, minimumPerChunk: Int = 1) -> [Range<Int>] {
    let threads = max(1, TensorKitConfig.threadCount)
    let units = (count + granularity - 1) / granularity
    let maxChunks = max(1, min(threads * 2, units, count / max(minimumPerChunk, 1)))
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

/// The ranges to split `count` items into for `parallelFor`: `chunks(count, granularity:)` when
/// the work (`work` elements touched, `count` by default) reaches `threshold`, else one range —
/// below it, waking the other threads costs more than it saves.
///
///     let parts = splits(rows, work: rows * classes, threshold: 1 << 15)
///     parallelFor(parts.count) { part in for r in parts[part] { … } }
@inline(__always)
func splits(_ count: Int, work: Int? = nil, threshold: Int, granularity: Int = 1) -> [Range<Int>] {
    (work ?? count) >= threshold ? chunks(count, granularity: granularity) : [0..<count]
}
