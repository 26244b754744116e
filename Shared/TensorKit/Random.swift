// A random generator that gives PyTorch's CPU numbers: after `manualSeed(123)`, `rand`,
// `randn`, `randint`, `randperm` and the default initialisation of `nn.Linear` and
// `nn.Embedding` produce the same values as PyTorch, bit for bit — which is what lets the
// chapters print the book's tensors.
//
// This file: the Mersenne Twister, raw bits, uniform numbers, integers, permutations,
// Bernoulli masks, saving and restoring the state, and the process-wide generator.
// Random+Init.swift: normal numbers (`randn`) and the default layer initialisations.

import Foundation

// MARK: - The generator

/// PyTorch's CPU random generator, reproduced number for number.
///
/// PyTorch's CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the
/// reference `init_genrand(seed)`. Every sampling function turns its 32-bit outputs into
/// numbers with a fixed recipe; `TorchGenerator` uses the same twister and the same recipes,
/// so the same seed and the same calls in the same order give the same values as PyTorch:
///
///     let g = TorchGenerator(seed: 123)      // torch.manual_seed(123)
///     g.rand([2]).data                       // [0.29611194, 0.5165623]   torch.rand(2)
///     g.randn([3]).data                      // the next torch.randn(3)
///
/// A generator is a reference type with mutable state: share one to continue one sequence,
/// and do not use the same generator from two threads at once.
public final class TorchGenerator {
    /// Words of Mersenne Twister state.
    static let stateSize = 624
    /// The seed of a generator made without one, as PyTorch's `torch.Generator()`
    /// (`default_rng_seed_val`).
    public static let defaultSeed: UInt64 = 67_280_421_310_721

    /// The twister's 624 words (allocated once: drawing never allocates).
    private let words = UnsafeMutablePointer<UInt32>.allocate(capacity: TorchGenerator.stateSize)
    /// The next word to hand out; `stateSize` means "twist before the next draw".
    private var position = TorchGenerator.stateSize
    /// The seed given to the last `manualSeed` (`torch.initial_seed()`).
    public private(set) var initialSeed: UInt64 = 0
    /// The second value of the last double-precision Box–Muller pair, returned by the next
    /// small `normal` call (PyTorch's `next_double_normal_sample`; part of the state).
    var cachedNormal: Double?

    /// A generator seeded with `seed`, as after `torch.manual_seed(seed)`; without a seed,
    /// the same sequence as a fresh `torch.Generator()`.
    public init(seed: UInt64 = TorchGenerator.defaultSeed) {
        manualSeed(seed)
    }

    deinit { words.deallocate() }

    /// Restarts the sequence from `seed` (`torch.manual_seed`): fills the twister with the
    /// reference `init_genrand` recurrence (only the low 32 bits of the seed matter to it)
    /// and forgets any cached normal.
    public func manualSeed(_ seed: UInt64) {
        initialSeed = seed
        words[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<Self.stateSize {
            let previous = words[i - 1]
            words[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        position = Self.stateSize
        cachedNormal = nil
    }

    // MARK: - Raw bits

    /// The next 32 random bits (one Mersenne Twister output).
    @inline(__always)
    public func nextUInt32() -> UInt32 {
        if position == Self.stateSize { twist() }
        defer { position += 1 }
        return Self.temper(words[position])
    }

    /// 64 random bits from two draws, the first one in the high half (PyTorch's `random64`).
    @inline(__always)
    public func nextUInt64() -> UInt64 {
        let high = UInt64(nextUInt32())
        return high << 32 | UInt64(nextUInt32())
    }

    /// MT19937's output scrambling of one state word.
    @inline(__always)
    static func temper(_ word: UInt32) -> UInt32 {
        var y = word
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Regenerates all 624 words at once (the twist), in three runs so no index wraps.
    private func twist() {
        let n = Self.stateSize, m = 397
        @inline(__always) func mixed(_ i: Int, _ next: UInt32) -> UInt32 {
            let y = (words[i] & 0x8000_0000) | (next & 0x7FFF_FFFF)
            return (y >> 1) ^ (next & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        for i in 0..<(n - m) { words[i] = words[i + m] ^ mixed(i, words[i + 1]) }
        for i in (n - m)..<(n - 1) { words[i] = words[i + m - n] ^ mixed(i, words[i + 1]) }
        words[n - 1] = words[m - 1] ^ mixed(n - 1, words[0])
        position = 0
    }

    /// Writes `count` values into `out`, each made from one 32-bit draw by `transform` —
    /// the fast path behind every tensor-filling method: whole runs of state words are
    /// tempered in one tight loop, with no per-element bookkeeping.
    @inline(__always)
    func fill<T>(_ out: UnsafeMutablePointer<T>, count: Int, _ transform: (UInt32) -> T) {
        var done = 0
        while done < count {
            if position == Self.stateSize { twist() }
            let run = Swift.min(count - done, Self.stateSize - position)
            let source = words + position, target = out + done
            for i in 0..<run { target[i] = transform(Self.temper(source[i])) }
            position += run
            done += run
        }
    }

    // MARK: - Uniform numbers

    /// 2⁻²⁴: a float in [0, 1) is a 24-bit integer times this.
    static let floatStep: Float = 1.0 / 16_777_216
    /// 2⁻⁵³: a double in [0, 1) is a 53-bit integer times this.
    static let doubleStep: Double = 1.0 / 9_007_199_254_740_992

    /// A float uniform in [0, 1): the low 24 bits of one draw times 2⁻²⁴ (every float of
    /// that form is exact, so this is PyTorch's value bit for bit).
    @inline(__always)
    public func uniformFloat() -> Float {
        Float(nextUInt32() & 0xFF_FFFF) * Self.floatStep
    }

    /// A double uniform in [0, 1): the low 53 bits of `nextUInt64()` times 2⁻⁵³
    /// (PyTorch's `uniform_real_distribution<double>`).
    @inline(__always)
    public func uniformDouble() -> Double {
        Double(nextUInt64() & ((1 << 53) - 1)) * Self.doubleStep
    }

    /// Uniform in [0, 1), one draw per element (`torch.rand`).
    ///
    ///     TorchGenerator(seed: 123).rand([3, 2])   // torch.manual_seed(123); torch.rand(3, 2)
    public func rand(_ shape: [Int]) -> Tensor {
        uniform(shape, low: 0, high: 1)
    }

    /// Uniform in [low, high) (`tensor.uniform_(low, high)`), one draw per element.
    ///
    /// PyTorch computes `u · (high − low) + low` in float with u from `uniformFloat()`; its
    /// compiler turned the multiply and add into one fused multiply–add (rounded once), and so
    /// does this. If rounding lands exactly on `high`, the value becomes `low`, keeping the
    /// interval half-open, as current PyTorch does.
    public func uniform(_ shape: [Int], low: Float, high: Float) -> Tensor {
        precondition(low <= high, "uniform: low \(low) must not exceed high \(high)")
        let count = shape.product, width = high - low, step = Self.floatStep
        let out = TensorStorage(uninitialized: count)                // fill writes every element
        fill(out.floats, count: count) { bits in
            let value = low.addingProduct(Float(bits & 0xFF_FFFF) * step, width)
            return value == high ? low : value
        }
        return Tensor(shape: shape, storage: out)
    }

    // MARK: - Integers and permutations

    /// Integers uniform in `low..<high` (`torch.randint(low, high, shape)`), one draw each:
    /// `draw % (high − low) + low`, with a 32-bit draw when the range is below 2³² and a
    /// 64-bit draw (`nextUInt64`) otherwise — PyTorch's `random_from_to`.
    ///
    ///     TorchGenerator(seed: 123).randint(0, 10, [5])   // torch.randint(0, 10, (5,))
    public func randint(_ low: Int, _ high: Int, _ shape: [Int]) -> [Int] {
        precondition(high > low, "randint: empty range \(low)..<\(high) for shape \(shape)")
        let range = UInt64(high - low)
        var out = [Int](repeating: 0, count: shape.product)
        if range < 1 << 32 {
            out.withUnsafeMutableBufferPointer { out in
                guard let base = out.baseAddress else { return }
                fill(base, count: out.count) { Int(UInt64($0) % range) + low }
            }
        } else {
            for i in out.indices { out[i] = Int(nextUInt64() % range) + low }
        }
        return out
    }

    /// A random permutation of `0..<n`, the same one as `torch.randperm(n)` on the CPU.
    ///
    /// PyTorch starts from 0, 1, …, n − 1 and, for each position i from the front, swaps in
    /// the element at i + (draw % (n − i)) — one 32-bit draw per position but the last.
    ///
    ///     TorchGenerator(seed: 123).randperm(5)     // torch.manual_seed(123); torch.randperm(5)
    public func randperm(_ n: Int) -> [Int] {
        precondition(n >= 0, "randperm: n must not be negative, got \(n)")
        // From n ≈ 2.1 · 10⁸ on PyTorch switches to another algorithm, not reproduced here.
        precondition(n < Int(UInt32.max / 20), "randperm: n = \(n) is beyond the range reproduced here")
        var p = Array(0..<n)
        for i in 0..<Swift.max(n - 1, 0) {
            let j = i + Int(UInt64(nextUInt32()) % UInt64(n - i))
            p.swapAt(i, j)
        }
        return p
    }

    /// A random permutation of `0..<n` by a Fisher–Yates shuffle from the back (the course's
    /// own, deterministic for a seed; `randperm` gives PyTorch's permutation instead).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(UInt64(nextUInt32()) % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    // MARK: - Bernoulli masks

    /// 1 with probability `p`, else 0, elementwise (`torch.empty(shape).bernoulli_(p)`, the
    /// mask behind `nn.Dropout`): an element is 1 when `uniformDouble() < p`, two draws each.
    ///
    /// This is PyTorch's own CPU kernel, used on AMD and ARM processors (Apple silicon too),
    /// so with seed 123 `Dropout(0.5)` zeroes the same cells as the book. On Intel x86
    /// processors PyTorch hands `bernoulli_` with a scalar `p` to Intel MKL's generator
    /// instead, whose masks are different; nothing here reproduces those.
    public func bernoulli(_ shape: [Int], p: Double) -> Tensor {
        precondition((0...1).contains(p), "bernoulli: p must be in [0, 1], got \(p) for shape \(shape)")
        let out = TensorStorage(zeros: shape.product)
        let mask = out.floats
        for i in 0..<out.count {
            if uniformDouble() < p { mask[i] = 1 }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// `bernoulli(shape, p:)` with a float probability, widened exactly to a double.
    public func bernoulli(_ shape: [Int], p: Float) -> Tensor {
        bernoulli(shape, p: Double(p))
    }

    // MARK: - Saving and restoring

    /// A snapshot of the generator, so a training checkpoint can resume the same sequence.
    public var state: GeneratorState {
        GeneratorState(seed: initialSeed, words: Array(UnsafeBufferPointer(start: words, count: Self.stateSize)),
                       position: position, cachedNormal: cachedNormal)
    }

    /// Continues exactly where the generator that made `state` was.
    ///
    ///     let saved = g.state
    ///     let a = g.randn([4])
    ///     g.restore(saved)
    ///     let b = g.randn([4])      // the same numbers as a
    public func restore(_ state: GeneratorState) {
        precondition(state.isValid,
                     "TorchGenerator.restore: a state needs \(Self.stateSize) words and a position in 0...\(Self.stateSize), "
                     + "got \(state.words.count) words and position \(state.position)")
        for (i, word) in state.words.enumerated() { words[i] = word }
        position = state.position
        initialSeed = state.seed
        cachedNormal = state.cachedNormal
    }
}

/// Everything a `TorchGenerator` remembers; `Codable`, so it can be saved with a checkpoint.
public struct GeneratorState: Codable, Equatable, Sendable {
    /// The seed of the last `manualSeed` (informational: `words` and `position` are the state).
    public var seed: UInt64
    /// The Mersenne Twister's 624 words.
    public var words: [UInt32]
    /// How many of `words` have been handed out since the last twist (624: twist next).
    public var position: Int
    /// The normal value cached by the last small `normal` call, if any.
    public var cachedNormal: Double?

    public init(seed: UInt64, words: [UInt32], position: Int, cachedNormal: Double?) {
        self.seed = seed
        self.words = words
        self.position = position
        self.cachedNormal = cachedNormal
    }

    /// Whether `TorchGenerator.restore` can take this state: 624 words and a position in
    /// 0...624. Check it first when the state comes from a file.
    ///
    ///     guard state.isValid else { throw InputError(path: "training.json", problem: "…") }
    public var isValid: Bool {
        words.count == TorchGenerator.stateSize && (0...TorchGenerator.stateSize).contains(position)
    }
}

// MARK: - The process-wide generator

extension TorchGenerator {
    /// The process-wide generator, like PyTorch's default CPU generator: re-seeded by
    /// `Tensor.manualSeed`, and the default `generator:` of every layer. PyTorch seeds its own
    /// from the operating system at start-up; this one starts from `defaultSeed`, so a program
    /// that never seeds still prints the same numbers every run. (Not guarded against use
    /// from several threads at once.)
    nonisolated(unsafe) public static var global = TorchGenerator()
}

extension Tensor {
    /// Seeds the process-wide generator (`torch.manual_seed`).
    ///
    ///     Tensor.manualSeed(123)
    ///     let w = Tensor.rand([3, 2])   // torch.rand(3, 2): [[0.2961, 0.5166], …]
    public static func manualSeed(_ seed: UInt64) { TorchGenerator.global.manualSeed(seed) }

    /// Uniform in [0, 1) from the process-wide generator (`torch.rand`).
    public static func rand(_ shape: [Int]) -> Tensor { TorchGenerator.global.rand(shape) }

    /// Standard normal from the process-wide generator (`torch.randn`).
    public static func randn(_ shape: [Int]) -> Tensor { TorchGenerator.global.randn(shape) }

    /// Integers uniform in `low..<high` from the process-wide generator (`torch.randint`).
    public static func randint(_ low: Int, _ high: Int, _ shape: [Int]) -> [Int] {
        TorchGenerator.global.randint(low, high, shape)
    }

    /// A random permutation of `0..<n` from the process-wide generator (`torch.randperm`).
    public static func randperm(_ n: Int) -> [Int] { TorchGenerator.global.randperm(n) }
}
