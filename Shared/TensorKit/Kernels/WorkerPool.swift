// The threads behind `parallelFor`: started once and kept. Between jobs they spin for a
// while, then sleep. A training step runs hundreds of small kernels back to back, and handing
// each to a spinning thread costs well under a microsecond, where waking a sleeping one (as
// `DispatchQueue.concurrentPerform` does) costs tens.

import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

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
