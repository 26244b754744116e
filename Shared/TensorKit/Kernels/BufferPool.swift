// Reusing the memory of dead tensors. A training step makes the same activations and
// gradients, of the same sizes, every time: when a tensor's storage dies its memory goes into
// a pool keyed by element count, and the next storage of that size takes it back instead of
// asking the allocator for fresh memory (and, for kernels that write every element, instead
// of zeroing it first). From its third step on, a training step draws every buffer of
// `BufferPool.minimumCount` elements or more from the pool (the first step leaves one buffer
// of each size, the second reuses it and leaves them all).
//
// The pool hands out plain memory: `TensorStorage` (which owns it while a tensor lives) and
// kernels' scratch space (`withScratch`) take from it and give back to it. Everything about
// when to keep memory and when to let it go is decided here.

import Foundation
import Synchronization

/// The pool of float buffers that dead tensors and finished kernels leave behind, for the next
/// ones of the same size.
///
///     let out = TensorStorage(uninitialized: rows * columns)   // a dead tensor's memory if one fits
///     // … write every element …
///     let y = Tensor(shape: [rows, columns], storage: out)     // when y's storage dies, it comes back
///
/// What it keeps:
/// - **Training work only.** Memory given back while the autograd graph is being recorded or
///   `backward()` runs is kept; memory given back under `withNoGrad` (evaluation, generation)
///   goes back to the allocator, which can reuse it for buffers of any size — a long prompt's
///   activations, say, for the cache that grows after it.
/// - **One buffer of a new size.** Of a size the pool has not yet handed out again it keeps
///   one buffer only: a size may never come back (a long prompt's activations, or every size
///   when generating without a cache, where tensors grow by one position at every step), while
///   a training step's sizes are all reused from its second step on, after which the pool keeps
///   every buffer of them.
/// - **At most `TensorKitConfig.bufferPoolLimit` bytes**, beyond which it lets go of the sizes
///   it has gone longest without seeing.
/// - **Sizes still in use.** It lets go of sizes that nothing has given back while
///   `BufferPool.forgetAfter` buffers had to be allocated: once a program runs in a steady state
///   nothing is allocated and nothing is forgotten, while one whose shapes keep changing soon
///   stops holding the sizes it has left behind.
public final class BufferPool: Sendable {
    /// Buffers smaller than this many elements (4 KB) are left to the allocator's own caches.
    public static let minimumCount = 1024
    /// Sizes not given back while this many buffers were freshly allocated are let go.
    public static let forgetAfter: UInt64 = 256
    /// Buffers start on a 64-byte boundary: one cache line, one 16-float vector.
    static let alignment = 64

    /// What the pool has done since the program started (or `resetStatistics()`).
    public struct Statistics: Equatable, Sendable {
        /// Buffers handed out from the pool.
        public var reused = 0
        /// Buffers that had to be allocated because none of their size was free.
        public var fresh = 0
        /// Buffers given back and kept.
        public var returned = 0
        /// Buffers let go because the pool was full or their size was left behind.
        public var released = 0
    }

    /// The free buffers of one size. A class, so that the dictionary is only ever read
    /// (a dictionary's in-place `modify` allocates a small frame on every call).
    private final class Shelf {
        var buffers: [UnsafeMutablePointer<Float>] = []
        var reused = false                                // whether a buffer was ever taken from it
        var lastReturned: UInt64 = 0                      // `clock` when one was last given back
        var freshWhenReturned: UInt64 = 0                 // `freshClock` then
    }

    /// The shelves and the counts, behind the pool's lock. Every method returns the buffers it
    /// lets go of, to be freed by the caller outside the lock.
    private struct State {
        var shelves: [Int: Shelf] = [:]           // by element count
        var heldElements = 0
        var clock: UInt64 = 0                     // buffers given back so far
        var freshClock: UInt64 = 0                // buffers allocated so far
        var statistics = Statistics()

        /// Takes the last free buffer of `count` elements, booking the reuse; or, with none
        /// free, books a fresh allocation and returns nil.
        mutating func pop(_ count: Int) -> (UnsafeMutablePointer<Float>?, released: [UnsafeMutablePointer<Float>]) {
            guard let shelf = shelves[count], let buffer = shelf.buffers.popLast() else { return (nil, noteFresh()) }
            shelf.reused = true
            heldElements -= count
            statistics.reused += 1
            return (buffer, [])
        }

        /// Counts a buffer that had to be allocated, and every 64 of them lets go of the sizes
        /// not given back during the last `forgetAfter`.
        mutating func noteFresh() -> [UnsafeMutablePointer<Float>] {
            statistics.fresh += 1
            freshClock += 1
            guard freshClock > BufferPool.forgetAfter, freshClock % 64 == 0 else { return [] }
            let horizon = freshClock - BufferPool.forgetAfter
            return shelves.keys.sorted().filter { shelves[$0]!.freshWhenReturned < horizon }.flatMap { remove(size: $0) }
        }

        /// Puts a buffer of `count` elements on its shelf if the pool keeps it — any number once
        /// one of that size has been reused, else only a first one — then makes room under
        /// `limit`. Returns whether it was kept, and what was let go.
        mutating func keep(_ buffer: UnsafeMutablePointer<Float>, count: Int, limit: Int)
            -> (kept: Bool, released: [UnsafeMutablePointer<Float>]) {
            let shelf: Shelf
            if let existing = shelves[count] {
                guard existing.reused || existing.buffers.isEmpty else { return (false, []) }
                shelf = existing
            } else {
                shelf = Shelf()
                shelves[count] = shelf
            }
            shelf.buffers.append(buffer)
            clock += 1
            shelf.lastReturned = clock
            shelf.freshWhenReturned = freshClock
            heldElements += count
            statistics.returned += 1
            var released: [UnsafeMutablePointer<Float>] = []
            while heldElements > limit {
                // The size given back longest ago (clock values are unique, so no ties).
                guard let oldest = shelves.min(by: { $0.value.lastReturned < $1.value.lastReturned })?.key else { break }
                released += remove(size: oldest)
            }
            return (true, released)
        }

        /// Takes the shelf of `size` away; returns its buffers.
        mutating func remove(size: Int) -> [UnsafeMutablePointer<Float>] {
            guard let shelf = shelves.removeValue(forKey: size) else { return [] }
            heldElements -= size * shelf.buffers.count
            statistics.released += shelf.buffers.count
            return shelf.buffers
        }
    }

    static let shared = BufferPool()
    private let state = Mutex(State())

    // MARK: - Taking and giving back

    /// `count` floats (values unspecified): a free buffer of that size, or a fresh one.
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumCount, limitElements > 0 {
            let (pooled, released) = state.withLock { $0.pop(count) }
            Self.free(released)
            if let pooled { return pooled }
        }
        return Self.allocate(count)
    }

    /// Takes back a buffer that `take` handed out, to keep or to free (see the type's rules).
    func giveBack(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        let limit = limitElements
        guard count >= Self.minimumCount, limit >= count, Self.isTrainingWork else { buffer.deallocate(); return }
        let (kept, released) = state.withLock { $0.keep(buffer, count: count, limit: limit) }
        if !kept { buffer.deallocate() }
        Self.free(released)
    }

    /// Whether buffers given back now are kept: while the graph is being recorded or
    /// `backward()` runs, the work of a training step, whose sizes come back every step.
    private static var isTrainingWork: Bool { GradMode.current != .notRecording }

    private var limitElements: Int { TensorKitConfig.bufferPoolLimit / MemoryLayout<Float>.stride }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: alignment)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    private static func free(_ buffers: [UnsafeMutablePointer<Float>]) {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Runs `body` with `count` floats of working memory (values unspecified), taken from and
    /// given back to the pool: the packing buffers of `gemm`, the per-head blocks of fused
    /// attention.
    ///
    ///     BufferPool.withScratch(kc * nr) { buffer in packBPanel(…, into: buffer) }
    @inline(__always)
    public static func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let buffer = shared.take(count)
        defer { shared.giveBack(buffer, count: count) }
        return try body(buffer)
    }

    // MARK: - Looking in

    /// What the pool has done so far.
    public static var statistics: Statistics { shared.state.withLock { $0.statistics } }

    /// Starts the counts of `statistics` again from zero.
    public static func resetStatistics() { shared.state.withLock { $0.statistics = Statistics() } }

    /// Lets go of every buffer the pool holds, and forgets which sizes recur.
    public static func removeAll() {
        free(shared.state.withLock { state in state.shelves.keys.sorted().flatMap { state.remove(size: $0) } })
    }

    /// The number of bytes the pool holds.
    public static var heldBytes: Int { shared.state.withLock { $0.heldElements } * MemoryLayout<Float>.stride }
}
