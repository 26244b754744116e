// Reusing the storage of dead tensors. A training step makes the same activations and
// gradients, of the same sizes, every time: when a tensor dies its float array goes into
// a pool keyed by element count, and the next tensor of that size takes it back instead
// of asking the allocator for fresh memory (and, for kernels that write every element,
// instead of zeroing it first). From its third step on, a training step draws every tensor
// buffer of `BufferPool.minimumCount` elements or more from the pool (the first step leaves
// one buffer of each size, the second reuses it and leaves them all).
//
// Swift arrays are copy-on-write, so reuse can never let two tensors write one buffer: a
// buffer that something else still shares is copied on its first write, as any array is.
// The pool only tries not to take buffers that are still shared (see `Tensor.share`), and
// counts the ones it handed out that were (`Statistics.copied`).

import Foundation
import Synchronization

/// The pool of float arrays that dead tensors leave behind, for new tensors of the same size.
///
///     var out = BufferPool.uninitialized(rows * columns)   // a dead tensor's storage if one fits
///     // … write every element of out …
///     let y = Tensor(shape: [rows, columns], data: out)    // its deinit gives `out` back
///
/// The pool serves training: it keeps storage given back while the graph is being recorded
/// or `backward()` runs. Inference (under `withNoGrad`: evaluation, generation) leaves its
/// memory to the allocator, which can reuse it for tensors of any size — a long prompt's
/// activations, say, for the cache that grows after it.
///
/// Of a size the pool has not yet handed out again it keeps one buffer only: a size may never
/// come back (a long prompt's activations, or every size when generating without a cache,
/// where tensors grow by one position at every step), while a training step's sizes are all
/// reused from its second step on, after which the pool keeps every buffer of them. The pool
/// holds at most `TensorKitConfig.bufferPoolLimit` bytes, beyond which it lets go of the
/// sizes it has gone longest without seeing. And it lets go of sizes that no tensor has
/// given back while `BufferPool.forgetAfter` buffers had to be allocated: once a program
/// runs in a steady state nothing is allocated and nothing is forgotten, while one whose
/// shapes keep changing soon stops holding the sizes it has left behind.
public final class BufferPool: Sendable {
    /// Arrays smaller than this many elements (4 KB) are left to the allocator's own caches.
    public static let minimumCount = 1024
    /// Sizes not given back while this many buffers were freshly allocated are let go.
    public static let forgetAfter: UInt64 = 256

    /// What the pool has done since the program started (or `resetStatistics()`).
    public struct Statistics: Equatable, Sendable {
        /// Buffers handed out from the pool.
        public var reused = 0
        /// Buffers that had to be allocated because none of their size was free.
        public var fresh = 0
        /// Buffers handed out that were still shared, so the first write copied them.
        public var copied = 0
        /// Buffers given back by dead tensors.
        public var returned = 0
        /// Buffers let go because the pool was full or their size was left behind.
        public var released = 0
    }

    private struct Entry {
        var array: [Float]
        var address: UInt
    }

    /// The free buffers of one size. A class, so that the dictionary is only ever read
    /// (a dictionary's in-place `modify` allocates a small frame on every call).
    private final class Shelf {
        var arrays: [Entry] = []                          // tensors' storage
        var scratch: [UnsafeMutablePointer<Float>] = []   // kernels' working memory
        var reused = false                                // whether a buffer was ever taken from it
        var lastReturned: UInt64 = 0                      // `clock` when one was last given back
        var freshWhenReturned: UInt64 = 0                 // `freshClock` then
    }

    private struct State {
        var shelves: [Int: Shelf] = [:]           // by element count
        var addresses: Set<UInt> = []             // every array on a shelf, so none is held twice
        var heldElements = 0
        var clock: UInt64 = 0                     // buffers given back so far
        var freshClock: UInt64 = 0                // buffers allocated so far
        var statistics = Statistics()

        /// Counts a buffer that had to be allocated, and every 64 of them
        /// lets go of the sizes not given back during the last `forgetAfter`: returns the
        /// arrays let go (to be freed outside the lock).
        mutating func noteFresh() -> [Entry] {
            statistics.fresh += 1
            freshClock += 1
            guard freshClock > BufferPool.forgetAfter, freshClock % 64 == 0 else { return [] }
            let horizon = freshClock - BufferPool.forgetAfter
            return shelves.keys.sorted().filter { shelves[$0]!.freshWhenReturned < horizon }.flatMap { remove(size: $0) }
        }

        /// Takes the last free buffer of `count` elements from `list` (a shelf's arrays or its
        /// scratch), booking the reuse; or, with none free, books a fresh allocation and returns
        /// nil with the arrays that lets go of.
        mutating func pop<Item>(_ count: Int, from list: ReferenceWritableKeyPath<Shelf, [Item]>) -> (Item?, [Entry]) {
            guard let shelf = shelves[count], let item = shelf[keyPath: list].popLast() else { return (nil, noteFresh()) }
            shelf.reused = true
            heldElements -= count
            statistics.reused += 1
            return (item, [])
        }

        /// Whether to keep another buffer of `count` elements: any number once one of that size
        /// has been reused, else only a first one.
        func keeps(_ count: Int) -> Bool {
            guard let shelf = shelves[count] else { return true }
            return shelf.reused || (shelf.arrays.isEmpty && shelf.scratch.isEmpty)
        }

        mutating func shelf(_ count: Int) -> Shelf {
            if let shelf = shelves[count] { return shelf }
            let shelf = Shelf()
            shelves[count] = shelf
            return shelf
        }

        /// Books a buffer of `count` elements just put on its shelf, then makes room: returns
        /// the arrays let go (to be freed outside the lock).
        mutating func noteReturn(of count: Int, limit: Int) -> [Entry] {
            clock += 1
            shelves[count]!.lastReturned = clock
            shelves[count]!.freshWhenReturned = freshClock
            heldElements += count
            statistics.returned += 1
            var released: [Entry] = []
            while heldElements > limit {
                // The size given back longest ago (clock values are unique, so no ties).
                guard let oldest = shelves.min(by: { $0.value.lastReturned < $1.value.lastReturned })?.key else { break }
                released += remove(size: oldest)
            }
            return released
        }

        /// Takes the shelf of `size` away, freeing its scratch memory; returns its arrays.
        mutating func remove(size: Int) -> [Entry] {
            guard let shelf = shelves.removeValue(forKey: size) else { return [] }
            for entry in shelf.arrays { addresses.remove(entry.address) }
            for pointer in shelf.scratch { pointer.deallocate() }
            let count = shelf.arrays.count + shelf.scratch.count
            heldElements -= size * count
            statistics.released += count
            return shelf.arrays
        }
    }

    static let shared = BufferPool()
    private let state = Mutex(State())

    // MARK: - Taking and giving back

    /// `count` zeros, in a dead tensor's storage when one of that size is free.
    public static func zeros(_ count: Int) -> [Float] {
        shared.take(count, zeroed: true)
    }

    /// `count` floats whose values are unspecified, for a kernel that writes every one of
    /// them; a dead tensor's storage when one of that size is free.
    public static func uninitialized(_ count: Int) -> [Float] {
        shared.take(count, zeroed: false)
    }

    /// What the pool has done so far.
    public static var statistics: Statistics { shared.state.withLock { $0.statistics } }

    /// Starts the counts of `statistics` again from zero.
    public static func resetStatistics() { shared.state.withLock { $0.statistics = Statistics() } }

    /// Lets go of every buffer the pool holds, and forgets which sizes recur.
    public static func removeAll() {
        let dropped = shared.state.withLock { state -> [Entry] in
            return state.shelves.keys.sorted().flatMap { state.remove(size: $0) }
        }
        _ = dropped   // freed here, outside the lock
    }

    /// Runs `body` with `count` floats of working memory (values unspecified), taken from
    /// and given back to the pool: the packing buffers of `gemm`, the per-head blocks of
    /// fused attention.
    ///
    ///     BufferPool.withScratch(kc * nr) { buffer in packBPanel(…, into: buffer) }
    @inline(__always)
    public static func withScratch<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> R) rethrows -> R {
        let pointer = shared.takeScratch(count)
        defer { shared.giveBackScratch(pointer, count: count) }
        return try body(pointer)
    }

    /// The number of bytes of storage the pool holds.
    public static var heldBytes: Int { shared.state.withLock { $0.heldElements } * MemoryLayout<Float>.stride }

    private var limitElements: Int { TensorKitConfig.bufferPoolLimit / MemoryLayout<Float>.stride }

    func take(_ count: Int, zeroed: Bool) -> [Float] {
        guard count >= Self.minimumCount, limitElements > 0 else { return Self.allocate(count, zeroed: zeroed) }
        // (Arrays let go meanwhile are freed as `_`, outside the lock.)
        let (pooled, _) = state.withLock { state -> (Entry?, [Entry]) in
            let (entry, released) = state.pop(count, from: \.arrays)
            if let entry { state.addresses.remove(entry.address) }
            return (entry, released)
        }
        guard var pooled else { return Self.allocate(count, zeroed: zeroed) }
        var array: [Float] = []
        swap(&array, &pooled.array)      // so that `array` is its only reference here
        // Making it writable copies it if another array still shares it.
        let moved = array.withUnsafeMutableBufferPointer { buffer in
            if zeroed { buffer.update(repeating: 0) }
            return UInt(bitPattern: buffer.baseAddress) != pooled.address
        }
        if moved { state.withLock { $0.statistics.copied += 1 } }
        return array
    }

    func takeScratch(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumCount, limitElements > 0 {
            let (pooled, _) = state.withLock { $0.pop(count, from: \.scratch) }
            if let pooled { return pooled }
        }
        let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: count)   // a defined value; the pool's kernels overwrite it
        return pointer
    }

    func giveBackScratch(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        guard count >= Self.minimumCount, limitElements >= count, GradMode.isTraining else { pointer.deallocate(); return }
        let limit = limitElements
        let released = state.withLock { state -> [Entry]? in
            guard state.keeps(count) else { return nil }
            state.shelf(count).scratch.append(pointer)
            return state.noteReturn(of: count, limit: limit)
        }
        if released == nil { pointer.deallocate() }   // (the arrays released are freed here, outside the lock)
    }

    /// Takes `array` (a dying tensor's storage) to hand out again.
    func giveBack(_ array: [Float]) {
        let count = array.count
        guard count >= Self.minimumCount else { return }
        let limit = limitElements
        guard limit >= count, GradMode.isTraining else { return }
        let address = array.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let released = state.withLock { state -> [Entry] in
            guard state.keeps(count), state.addresses.insert(address).inserted else { return [] }
            state.shelf(count).arrays.append(Entry(array: array, address: address))
            return state.noteReturn(of: count, limit: limit)
        }
        _ = released   // freed here, outside the lock
    }

    private static func allocate(_ count: Int, zeroed: Bool) -> [Float] {
        if zeroed { return [Float](repeating: 0, count: count) }
        return [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}

/// Marks tensors that share one float array (a reshape and its source, a gradient and the
/// tensor it was taken from): the storage goes back to the pool only when the last of them
/// dies, found by this box being uniquely referenced.
final class SharedStorage {}

extension Tensor {
    /// A tensor of `shape` over the same storage as `source` (same element count), which
    /// gives the storage back to the pool only when both have died.
    convenience init(sharing source: Tensor, shape: [Int]) {
        self.init(shape: shape, data: source.data)
        joinShare(of: source)
    }

    /// Makes `source`'s storage this tensor's too (same element count), as loading does.
    func setData(sharedWith source: Tensor) {
        precondition(source.count == count, "setData: \(source.count) values for tensor of shape \(shape)")
        data = source.data
        joinShare(of: source)
    }

    /// Marks this tensor and `source`, whose storage it now holds, as sharing it.
    private func joinShare(of source: Tensor) {
        if source.share == nil { source.share = SharedStorage() }
        share = source.share
    }

    /// Called from `deinit`: gives the storage to the pool unless another tensor shares it.
    func giveStorageBack() {
        guard data.count >= BufferPool.minimumCount else { return }
        if share != nil {
            guard isKnownUniquelyReferenced(&share) else {
                // Let go of the box now, not after `inputs`: a tensor sharing this storage may
                // be among them and die first, and it must then find itself the last holder.
                share = nil
                return
            }
        }
        BufferPool.shared.giveBack(data)
    }
}


