// Running a kernel on all cores. Work is always split the same way for the same sizes, and
// each output element is computed by exactly one task in a fixed order, so results are
// bit-for-bit identical whatever the number of threads.
//
// The threads are started once and kept: between jobs they spin briefly, then sleep. A
// training step runs hundreds of small kernels back to back, and handing each to a
// spinning thread costs well under a microsecond, where waking a sleeping one (as
// `DispatchQueue.concurrentPerform` does) costs tens.

import Dispatch
import Foundation
import Synchronization

/// Settings of the numeric kernels.
public enum TensorKitConfig {
    /// How many threads kernels may use: the environment variable TENSORKIT_THREADS if set,
    /// else the active processors. Setting it to 1 gives the same results, only slower.
    nonisolated(unsafe) public static var threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["TENSORKIT_THREADS"], let n = Int(text), n >= 1 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()
}

/// Runs `body(task)` for task in 0..<tasks, on up to `TensorKitConfig.threadCount` threads.
/// Returns when every task has finished. A call from inside a task runs serially.
@inline(__always)
func parallelFor(_ tasks: Int, _ body: (Int) -> Void) {
    if tasks <= 1 || TensorKitConfig.threadCount <= 1 {
        for t in 0..<tasks { body(t) }
        return
    }
    withoutActuallyEscaping(body) { WorkerPool.shared.run(tasks: tasks, $0) }
}

/// A fixed set of worker threads that take task indices from a shared counter.
///
/// Each call publishes a `Job`; whoever is awake takes tasks from it until none are left. The
/// caller works too and returns as soon as every task has *finished* — it never waits for a
/// worker that is asleep or not scheduled (a loaded machine must not stall the kernels). A
/// worker that arrives late finds no task left and goes back to waiting; it holds its own
/// reference to the job, so nothing it touches has gone away.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(1, ProcessInfo.processInfo.activeProcessorCount) - 1)

    final class Job: @unchecked Sendable {
        /// Cleared as soon as every task has finished: a late worker may still hold the job,
        /// but never the caller's closure (which must not outlive the call).
        var body: ((Int) -> Void)?
        let count: Int
        let participants: Int
        let nextTask = Atomic<Int>(0)
        let finishedTasks = Atomic<Int>(0)

        init(body: @escaping (Int) -> Void, count: Int, participants: Int) {
            self.body = body
            self.count = count
            self.participants = participants
        }

        /// Takes tasks until none are left.
        func work() {
            while true {
                let task = nextTask.add(1, ordering: .relaxed).oldValue
                if task >= count { return }
                body!(task)                      // set: a task is still unfinished, so the caller is waiting
                finishedTasks.add(1, ordering: .releasing)
            }
        }
    }

    private final class Worker: @unchecked Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    private let workers: [Worker]
    /// Bumped for every job; workers watch it.
    private let generation = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let lock = NSLock()
    private var current: Job?

    private init(workers count: Int) {
        workers = (0..<count).map { _ in Worker() }
        for (index, worker) in workers.enumerated() {
            let thread = Thread { [unowned self] in self.loop(worker, index: index) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func run(tasks: Int, _ body: @escaping (Int) -> Void) {
        // Nested or concurrent use: run here, serially.
        guard !workers.isEmpty, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for t in 0..<tasks { body(t) }
            return
        }
        let job = Job(body: body, count: tasks, participants: min(workers.count, TensorKitConfig.threadCount - 1))
        lock.lock()
        current = job
        lock.unlock()
        // Sequentially consistent, with the worker's store-then-load below: one of the two
        // always sees the other (a store followed by a load may otherwise be reordered).
        generation.add(1, ordering: .sequentiallyConsistent)
        for worker in workers.prefix(job.participants) where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            worker.wake.signal()
        }
        job.work()
        while job.finishedTasks.load(ordering: .acquiring) < tasks {}
        lock.lock()
        current = nil
        job.body = nil
        lock.unlock()
        busy.store(false, ordering: .releasing)
    }

    private func loop(_ worker: Worker, index: Int) {
        var seen = 0
        while true {
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spins += 1
                if spins < 20_000 { continue }
                // Going to sleep: announce it, then look once more so a job posted in between is not missed.
                worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                if generation.load(ordering: .sequentiallyConsistent) != seen {
                    // The poster may already have cleared the flag and signalled: consume that signal.
                    if !worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) { worker.wake.wait() }
                    break
                }
                worker.wake.wait()
                spins = 0
            }
            seen = generation.load(ordering: .acquiring)
            lock.lock()
            let job = current
            lock.unlock()
            if let job, index < job.participants { job.work() }
        }
    }
}

/// Splits 0..<count into about `TensorKitConfig.threadCount` contiguous chunks whose
/// boundaries are multiples of `granularity`.
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
