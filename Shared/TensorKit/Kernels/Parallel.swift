// Running a kernel on all cores. Work is always split the same way for the same sizes, and
// each output element is computed by exactly one task in a fixed order, so results are
// bit-for-bit identical whatever the number of threads.
//
// The threads are started once and kept: between jobs they spin for a while, then sleep.
// A training step runs hundreds of small kernels back to back, and handing each to a
// spinning thread costs well under a microsecond, where waking a sleeping one (as
// `DispatchQueue.concurrentPerform` does) costs tens.

import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Settings of the numeric kernels.
public enum TensorKitConfig {
    /// How many threads kernels may use: the environment variable TENSORKIT_THREADS if set,
    /// else the active processors. Any value gives the same results to the bit, only at a
    /// different speed (set it to 1 to check).
    nonisolated(unsafe) public static var threadCount: Int = {
        keepFreedMemory()
        if let text = ProcessInfo.processInfo.environment["TENSORKIT_THREADS"], let n = Int(text), n >= 1 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Whether GPT attention runs as one fused kernel (`Tensor.causalSelfAttention`) when it
    /// can; false takes the step-by-step path of separate ops (for tests and the benchmarks
    /// that measure what fusing gains).
    nonisolated(unsafe) public static var fusedAttention = true

    /// The most bytes of dead tensors' storage `BufferPool` keeps for reuse: the environment
    /// variable TENSORKIT_BUFFER_POOL_MB if set (0 turns the pool off, to measure what it
    /// gains), else 1 GB.
    nonisolated(unsafe) public static var bufferPoolLimit: Int = {
        if let text = ProcessInfo.processInfo.environment["TENSORKIT_BUFFER_POOL_MB"], let n = Int(text), n >= 0 { return n << 20 }
        return 1 << 30
    }()
}

/// Tells glibc's allocator to keep freed memory for reuse instead of returning it to the system.
/// A training step frees and allocates the same few-megabyte arrays again and again; by default
/// each one is a fresh `mmap`, and the kernel zeroes every page of it on first touch (page
/// faults were 10–15% of a training step). Kept in the heap they are reused as they are.
/// Memory use stays at the peak a program reaches, which is what it needs anyway.
/// Set `TENSORKIT_DEFAULT_MALLOC=1` to leave the allocator alone (to measure what this gains).
func keepFreedMemory() {
    #if os(Linux)
    if ProcessInfo.processInfo.environment["TENSORKIT_DEFAULT_MALLOC"] == "1" { return }
    // mallopt is declared in malloc.h, which the Glibc module does not export: look it up.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }   // RTLD_DEFAULT
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)     // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
    _ = mallopt(mmapThreshold, 32 << 20)      // blocks up to 32 MB come from the heap, not mmap
    _ = mallopt(trimThreshold, 1 << 30)       // and the heap keeps up to 1 GB of free space
    #endif
}

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

// MARK: - The worker pool

/// A fixed set of worker threads. The caller posts a job (a task count and a body) and works
/// on it too; every thread claims task indices from one shared counter until none are left.
///
/// The counter also carries the job's number and task count (`Ticket`), so a worker that
/// wakes up late can never claim a task of a job that is over: its claim fails and it goes
/// back to waiting. So the caller only waits for tasks actually being run, never for a
/// sleeping thread to notice that there was nothing left to do.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(1, ProcessInfo.processInfo.activeProcessorCount) - 1)

    /// How long an idle worker keeps polling for the next job before it sleeps: long enough
    /// to bridge the gaps between the kernels of a training step, short enough not to hold
    /// a core while the program does something else.
    static let spinNanoseconds: UInt64 = 200_000

    private final class Worker: @unchecked Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    /// job number (bits 40…63) | task count (bits 20…39) | next task to claim (bits 0…19).
    private struct Ticket {
        var raw: UInt64
        var job: UInt64 { raw >> 40 }
        var count: Int { Int((raw >> 20) & 0xFFFFF) }
        var next: Int { Int(raw & 0xFFFFF) }
        init(raw: UInt64) { self.raw = raw }
        init(job: UInt64, count: Int) { raw = (job & 0xFF_FFFF) << 40 | UInt64(count) << 20 }
    }

    private let workers: [Worker]
    private let ticket = Atomic<UInt64>(0)
    private let finishedTasks = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    /// The current job's body, set before its ticket is published and read only by a thread
    /// that has claimed one of its tasks (so the caller is still waiting and it is alive).
    private var body: ((Int) -> Void)?
    /// Workers allowed to take part in the current job (TensorKitConfig.threadCount − 1 at most).
    private var activeWorkers = 0

    private init(workers count: Int) {
        workers = (0..<count).map { _ in Worker() }
        for (index, worker) in workers.enumerated() {
            let thread = Thread { [unowned self] in self.loop(worker, index: index) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func run(tasks: Int, _ job: @escaping (Int) -> Void) {
        // Nested or concurrent use, or more tasks than a ticket can count: run here, serially.
        guard !workers.isEmpty, tasks < 0xFFFFF,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for t in 0..<tasks { job(t) }
            return
        }
        body = job
        activeWorkers = min(workers.count, TensorKitConfig.threadCount - 1)
        finishedTasks.store(0, ordering: .relaxed)
        let number = Ticket(raw: ticket.load(ordering: .relaxed)).job &+ 1
        // Sequentially consistent, paired with the sleeping worker's store-then-load: one of
        // the two always sees the other's write.
        ticket.store(Ticket(job: number, count: tasks).raw, ordering: .sequentiallyConsistent)
        for worker in workers.prefix(activeWorkers) where worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
            worker.wake.signal()
        }
        work(job: number)
        var spins = 0
        while finishedTasks.load(ordering: .acquiring) < tasks {
            spins += 1
            if spins % 1024 == 0 { sched_yield() }   // a descheduled worker may need this core
        }
        body = nil
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs tasks of job `number` until none are left.
    private func work(job number: UInt64) {
        while true {
            var current = Ticket(raw: ticket.load(ordering: .acquiring))
            guard current.job == number & 0xFF_FFFF, current.next < current.count else { return }
            let claimed = current.next
            current.raw += 1
            guard ticket.compareExchange(expected: current.raw - 1, desired: current.raw, ordering: .acquiringAndReleasing).exchanged else { continue }
            runClaimed(claimed)
            finishedTasks.add(1, ordering: .releasing)
        }
    }

    /// Runs one claimed task. Not inlined, so the reference to `body` taken here is released
    /// before the task is counted as finished.
    @inline(never)
    private func runClaimed(_ task: Int) {
        body!(task)
    }

    private func loop(_ worker: Worker, index: Int) {
        var seen = Ticket(raw: ticket.load(ordering: .acquiring)).job
        while true {
            var spins = 0
            var deadline: UInt64 = 0
            while Ticket(raw: ticket.load(ordering: .acquiring)).job == seen {
                spins += 1
                if spins % 256 != 0 { continue }
                // Let a thread waiting for this core run (the caller, if the scheduler woke
                // this worker on the caller's core).
                sched_yield()
                let now = DispatchTime.now().uptimeNanoseconds
                if deadline == 0 { deadline = now + Self.spinNanoseconds }
                if now < deadline { continue }
                // Going to sleep: announce it, then look once more so a job posted in between is not missed.
                worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                if Ticket(raw: ticket.load(ordering: .sequentiallyConsistent)).job != seen {
                    // The poster may already have cleared the flag and signalled: consume that signal.
                    if !worker.sleeping.exchange(false, ordering: .sequentiallyConsistent) { worker.wake.wait() }
                    break
                }
                worker.wake.wait()
                spins = 0
                deadline = 0
            }
            seen = Ticket(raw: ticket.load(ordering: .acquiring)).job
            if index < activeWorkers { work(job: seen) }
        }
    }
}
