// A random generator that gives PyTorch's CPU numbers: after `manualSeed(123)`, `rand`,
// `randn` and the default initialisation of `nn.Linear` and `nn.Embedding` produce the
// same floats as PyTorch — which is what lets the chapters print the book's tensors.

import Foundation

/// PyTorch's CPU generator: a 32-bit Mersenne Twister (MT19937) seeded with
/// `init_genrand(seed)`, and PyTorch's recipes for turning its output into floats.
///
///     let g = TorchGenerator(seed: 123)
///     g.rand([2])     // tensor([0.2961, 0.5166]), as torch.rand(2) after torch.manual_seed(123)
public final class TorchGenerator {
    private var mt = [UInt32](repeating: 0, count: 624)
    private var index = 624
    /// The second value of the last double-precision Box–Muller pair, kept for the next call
    /// (PyTorch's `next_double_normal_sample`).
    private var cachedNormal: Double?

    public init(seed: UInt64 = 67280421310721) {
        manualSeed(seed)
    }

    /// The process-wide generator, like PyTorch's default generator.
    nonisolated(unsafe) public static var global = TorchGenerator()

    /// Restarts the sequence from `seed` (`torch.manual_seed`).
    public func manualSeed(_ seed: UInt64) {
        mt[0] = UInt32(truncatingIfNeeded: seed)
        for i in 1..<624 {
            mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
        cachedNormal = nil
    }

    // MARK: - Raw draws

    /// The next 32 random bits.
    public func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// 64 random bits from two draws, the first one high (PyTorch's `random64`).
    public func nextUInt64() -> UInt64 {
        let hi = UInt64(nextUInt32()), lo = UInt64(nextUInt32())
        return (hi << 32) | lo
    }

    private func twist() {
        for i in 0..<624 {
            let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7FFF_FFFF)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// A float uniform in [0, 1) from 24 random bits: `(next32 & 0xFFFFFF) · 2⁻²⁴`.
    public func uniformFloat() -> Float {
        Float(nextUInt32() & 0xFF_FFFF) * (1.0 / 16_777_216.0)
    }

    /// A double uniform in [0, 1) from 53 random bits of `nextUInt64`.
    public func uniformDouble() -> Double {
        Double(nextUInt64() & ((1 << 53) - 1)) * (1.0 / 9_007_199_254_740_992.0)
    }

    // MARK: - Tensors

    /// Uniform in [0, 1) (`torch.rand`).
    public func rand(_ shape: [Int]) -> Tensor {
        uniform(shape, low: 0, high: 1)
    }

    /// Uniform in [low, high) (`tensor.uniform_(low, high)`): u · (high − low) + low in float.
    public func uniform(_ shape: [Int], low: Float, high: Float) -> Tensor {
        let width = high - low
        var out = [Float](repeating: 0, count: shape.product)
        // PyTorch's CPU kernels are compiled with FMA contraction: u · width + low is one fused op.
        for i in 0..<out.count { out[i] = low.addingProduct(uniformFloat(), width) }
        return Tensor(shape: shape, data: out)
    }

    /// Standard normal (`torch.randn`).
    public func randn(_ shape: [Int]) -> Tensor {
        normal(shape, mean: 0, std: 1)
    }

    /// Normal with the given mean and standard deviation (`tensor.normal_(mean, std)`).
    ///
    /// PyTorch uses two algorithms. For 16 or more numbers it first fills the tensor with
    /// uniforms, then applies Box–Muller to blocks of 16 in float (u1 = 1 − u[j], u2 = u[j + 8]
    /// give elements j and j + 8); if the count is not a multiple of 16, the last 16 are drawn
    /// again and transformed. For fewer than 16 it draws pairs of 53-bit uniforms and uses
    /// double-precision Box–Muller, keeping the second value of each pair for the next call.
    public func normal(_ shape: [Int], mean: Float, std: Float) -> Tensor {
        let n = shape.product
        var out = [Float](repeating: 0, count: n)
        if n >= 16 {
            for i in 0..<n { out[i] = uniformFloat() }
            var i = 0
            while i + 16 <= n {
                boxMuller16(&out, at: i, mean: mean, std: std)
                i += 16
            }
            if n % 16 != 0 {
                for j in (n - 16)..<n { out[j] = uniformFloat() }
                boxMuller16(&out, at: n - 16, mean: mean, std: std)
            }
        } else {
            for i in 0..<n { out[i] = Float(normalDouble() * Double(std) + Double(mean)) }
        }
        return Tensor(shape: shape, data: out)
    }

    private func boxMuller16(_ data: inout [Float], at start: Int, mean: Float, std: Float) {
        let twoPi = Float(2 * Double.pi)
        for j in start..<(start + 8) {
            let u1 = 1 - data[j]              // (0, 1], safe for log
            let u2 = data[j + 8]
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            let theta = twoPi * u2
            data[j] = radius * Foundation.cos(theta) * std + mean
            data[j + 8] = radius * Foundation.sin(theta) * std + mean
        }
    }

    /// One standard normal in double precision (PyTorch's `normal_distribution<double>`).
    public func normalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble(), u2 = uniformDouble()
        let r = (-2 * Foundation.log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = r * Foundation.sin(theta)
        return r * Foundation.cos(theta)
    }

    /// Integers uniform in low..<high (`torch.randint`): `next32 % range + low` for ranges
    /// below 2³², as PyTorch's `random_from_to` does.
    public func randint(_ low: Int, _ high: Int, _ shape: [Int]) -> [Int] {
        precondition(high > low, "randint: empty range \(low)..<\(high)")
        let range = UInt64(high - low)
        return (0..<shape.product).map { _ in
            let bits = range >= (1 << 32) ? nextUInt64() : UInt64(nextUInt32())
            return Int(bits % range) + low
        }
    }

    /// A random permutation of 0..<n by Fisher–Yates with `randint`-style draws
    /// (not PyTorch's `randperm` algorithm; deterministic for a seed).
    public func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(UInt64(nextUInt32()) % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }

    /// 1 with probability `p`, else 0, elementwise. PyTorch's `bernoulli_` on x86 draws through
    /// Intel MKL, so these masks are the course's own (seeded and repeatable), not PyTorch's.
    public func bernoulli(_ shape: [Int], p: Float) -> Tensor {
        var out = [Float](repeating: 0, count: shape.product)
        for i in 0..<out.count { out[i] = uniformFloat() < p ? 1 : 0 }
        return Tensor(shape: shape, data: out)
    }

    // MARK: - Saving and restoring

    /// A snapshot of the generator, so a training checkpoint can resume the same sequence.
    public struct State: Codable, Equatable {
        public var mt: [UInt32]
        public var index: Int
        public var cachedNormal: Double?
    }

    public var state: State { State(mt: mt, index: index, cachedNormal: cachedNormal) }

    public func restore(_ state: State) {
        precondition(state.mt.count == 624 && (0...624).contains(state.index), "TorchGenerator.restore: malformed state")
        mt = state.mt
        index = state.index
        cachedNormal = state.cachedNormal
    }
}

// MARK: - PyTorch's default initialisations

extension TorchGenerator {
    /// `nn.Linear(inFeatures, outFeatures)`'s initialisation: the weight (out, in) by
    /// `kaiming_uniform_(a=√5)`, i.e. uniform in ±1/√in, then the bias (out) uniform in ±1/√in.
    public func linearInit(inFeatures: Int, outFeatures: Int, bias: Bool) -> (weight: Tensor, bias: Tensor?) {
        // The bound as PyTorch computes it in Python doubles: gain · √3 / √fan_in.
        let a = Double(5).squareRoot()
        let gain = (2.0 / (1 + a * a)).squareRoot()
        let weightBound = Float(3.0.squareRoot() * (gain / Double(inFeatures).squareRoot()))
        let weight = uniform([outFeatures, inFeatures], low: -weightBound, high: weightBound)
        guard bias else { return (weight, nil) }
        let biasBound = Float(inFeatures > 0 ? 1 / Double(inFeatures).squareRoot() : 0)
        return (weight, uniform([outFeatures], low: -biasBound, high: biasBound))
    }

    /// `nn.Embedding(count, dim)`'s initialisation: N(0, 1), shape (count, dim).
    public func embeddingInit(count: Int, dim: Int) -> Tensor {
        randn([count, dim])
    }
}

// MARK: - The global generator, PyTorch style

extension Tensor {
    /// Seeds the global generator (`torch.manual_seed`).
    public static func manualSeed(_ seed: UInt64) { TorchGenerator.global.manualSeed(seed) }
    /// Uniform in [0, 1) from the global generator (`torch.rand`).
    public static func rand(_ shape: [Int]) -> Tensor { TorchGenerator.global.rand(shape) }
    /// Standard normal from the global generator (`torch.randn`).
    public static func randn(_ shape: [Int]) -> Tensor { TorchGenerator.global.randn(shape) }
}
