// Normal numbers as PyTorch makes them on the CPU (`torch.randn`, `tensor.normal_`), and
// PyTorch's default initialisation of `nn.Linear` and `nn.Embedding`, built on them and on
// the uniform numbers of Random.swift.

import Foundation

// MARK: - Normal numbers

extension TorchGenerator {
    /// Standard normal numbers (`torch.randn`).
    ///
    ///     let g = TorchGenerator(seed: 123)
    ///     g.randn([2, 3])     // torch.manual_seed(123); torch.randn(2, 3)
    public func randn(_ shape: [Int]) -> Tensor {
        normal(shape, mean: 0, std: 1)
    }

    /// Normal numbers with the given mean and standard deviation (`tensor.normal_(mean, std)`).
    ///
    /// PyTorch has two recipes, chosen by the element count, and so does this:
    ///
    /// - **16 or more**: fill the whole tensor with `uniformFloat()`s, then turn each block of
    ///   16 into normals with the Box–Muller transform in float — element k and k + 8 of a
    ///   block (k < 8) come from u₁ = 1 − u[k] and u₂ = u[k + 8]:
    ///   r = √(−2 ln u₁), θ = 2π u₂, then r cos θ and r sin θ, each times `std` plus `mean`
    ///   (one fused multiply–add). When the count is not a multiple of 16, the last 16 elements
    ///   are drawn afresh and transformed as one more block.
    /// - **Fewer than 16**: one double-precision normal per element from `normalDouble()`,
    ///   times `std` plus `mean` (one fused multiply–add in double), rounded to float.
    ///
    /// `mean` and `std` are doubles because the second recipe uses them at double precision,
    /// exactly as PyTorch receives them from Python.
    public func normal(_ shape: [Int], mean: Double = 0, std: Double = 1) -> Tensor {
        precondition(std >= 0, "normal: std must not be negative, got \(std) for shape \(shape)")
        let count = shape.product
        let out = TensorStorage(uninitialized: count)
        let base = out.floats
        if count >= 16 {
            let step = Self.floatStep, block = BoxMuller16(mean: Float(mean), std: Float(std))
            fill(base, count: count) { Float($0 & 0xFF_FFFF) * step }
            for start in stride(from: 0, through: count - 16, by: 16) { block.transform(base + start) }
            if count % 16 != 0 {
                let tail = base + count - 16
                fill(tail, count: 16) { Float($0 & 0xFF_FFFF) * step }
                block.transform(tail)
            }
        } else {
            for i in 0..<count { base[i] = Float(mean.addingProduct(normalDouble(), std)) }
        }
        return Tensor(shape: shape, storage: out)
    }

    /// One standard normal number in double precision (PyTorch's `normal_distribution<double>`).
    ///
    /// Box–Muller makes normals in pairs: from two `uniformDouble()`s u₁, u₂ it returns
    /// r cos θ with r = √(−2 ln(1 − u₂)) and θ = 2π u₁, and keeps r sin θ for the next call,
    /// which returns it without drawing. `manualSeed` forgets the kept value; `state` saves it.
    public func normalDouble() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble(), u2 = uniformDouble()
        let radius = (-2 * log1p(-u2)).squareRoot()
        let theta = 2 * Double.pi * u1
        cachedNormal = radius * sin(theta)
        return radius * cos(theta)
    }
}

// MARK: - Box–Muller on 16 floats, as PyTorch's x86 kernel computes it

/// Turns 16 uniforms in place into 16 normals with the arithmetic of PyTorch's AVX2 kernel
/// (`normal_fill_16_AVX2`, which PyTorch runs on every x86-64 processor with AVX2).
///
/// That kernel does not call the system's `logf`, `sinf` and `cosf`: it evaluates Cephes
/// polynomials (Julien Pommier's `avx_mathfun.h`), whose results differ from the system's in
/// the last bit now and then. To give PyTorch's floats bit for bit, `cephesLog` and
/// `cephesSinCos` below repeat those polynomials step for step — including how the compiler
/// that built PyTorch rounded them: wherever a product feeds only an addition, it emitted one
/// fused multiply–add (a · b + c rounded once, `fused` below); where both inputs of an
/// addition are products, the one computed first is fused. (PyTorch on ARM, Apple silicon
/// included, calls the system functions instead, so its `randn` may differ from x86's — and
/// from this — in the last bit.)
struct BoxMuller16 {
    let mean: Float
    let std: Float
    /// 2π rounded to float, as PyTorch's `_mm256_set1_ps(2.0f * c10::pi<double>)`.
    static let twoPi = Float(2 * Double.pi)

    /// Elements k and k + 8 (k < 8) of the 16 at `u` become r cos θ and r sin θ, times `std`
    /// plus `mean`, with r = √(−2 ln(1 − u[k])) and θ = 2π u[k + 8].
    @inline(__always)
    func transform(_ u: UnsafeMutablePointer<Float>) {
        for k in 0..<8 {
            let u1 = 1 - u[k]                      // in (0, 1], safe for the logarithm
            let radius = (-2 * cephesLog(u1)).squareRoot()
            let (sine, cosine) = cephesSinCos(Self.twoPi * u[k + 8])
            u[k] = fused(radius * cosine, std, mean)
            u[k + 8] = fused(radius * sine, std, mean)
        }
    }
}

/// a · b + c with a single rounding (a fused multiply–add, one instruction on x86-64).
@inline(__always)
private func fused(_ a: Float, _ b: Float, _ c: Float) -> Float {
    c.addingProduct(a, b)
}

/// Cephes's constants as `avx_mathfun.h` spells them: decimal doubles, rounded to float.
private enum Cephes {
    static let sqrtHalf = Float(0.707106781186547524 as Double)
    /// ln(1 + x) ≈ x − x²/2 + x³ · P(x), P of degree 8 (highest coefficient first).
    static let (logP0, logP1, logP2, logP3, logP4, logP5, logP6, logP7, logP8) = (
        Float(7.0376836292E-2 as Double), Float(-1.1514610310E-1 as Double), Float(1.1676998740E-1 as Double),
        Float(-1.2420140846E-1 as Double), Float(1.4249322787E-1 as Double), Float(-1.6668057665E-1 as Double),
        Float(2.0000714765E-1 as Double), Float(-2.4999993993E-1 as Double), Float(3.3333331174E-1 as Double))
    /// ln 2 = logQ2 − logQ1 − …, in two parts so e · ln 2 keeps its precision.
    static let logQ1 = Float(-2.12194440e-4 as Double), logQ2 = Float(0.693359375 as Double)
    static let fourOverPi = Float(1.27323954473516 as Double)
    /// −π/4 in three parts, for an extra-precise reduction x − j · π/4.
    static let minusDP1 = Float(-0.78515625 as Double)
    static let minusDP2 = Float(-2.4187564849853515625e-4 as Double)
    static let minusDP3 = Float(-3.77489497744594108e-8 as Double)
    /// sin x ≈ x + x³ · S(x²) on [−π/4, π/4].
    static let (sinP0, sinP1, sinP2) = (
        Float(-1.9515295891E-4 as Double), Float(8.3321608736E-3 as Double), Float(-1.6666654611E-1 as Double))
    /// cos x ≈ 1 − x²/2 + x⁴ · C(x²) on [−π/4, π/4].
    static let (cosP0, cosP1, cosP2) = (
        Float(2.443315711809948E-005 as Double), Float(-1.388731625493765E-003 as Double),
        Float(4.166664568298827E-002 as Double))
}

/// The natural logarithm of a positive float, as `avx_mathfun.h`'s `log256_ps` computes it:
/// write the input as m · 2ᵉ with m in [√½, √2), then ln = ln m + e · ln 2, with a polynomial
/// for ln m = ln(1 + x).
@inline(__always)
func cephesLog(_ value: Float) -> Float {
    let bits = Swift.max(value, .leastNormalMagnitude).bitPattern
    var e = Float(Int32(bitPattern: bits >> 23) - 0x7F) + 1
    var x = Float(bitPattern: (bits & ~0x7F80_0000) | Float(0.5).bitPattern)   // m in [0.5, 1)
    let small = x < Cephes.sqrtHalf                  // then take 2m and e − 1 instead
    let extra: Float = small ? x : 0
    x = x - 1
    e = e - (small ? 1 : 0)
    x = x + extra                                    // x = m − 1, in [√½ − 1, √2 − 1)
    let z = x * x
    var y = fused(Cephes.logP0, x, Cephes.logP1)     // P(x) by Horner's rule
    y = fused(y, x, Cephes.logP2)
    y = fused(y, x, Cephes.logP3)
    y = fused(y, x, Cephes.logP4)
    y = fused(y, x, Cephes.logP5)
    y = fused(y, x, Cephes.logP6)
    y = fused(y, x, Cephes.logP7)
    y = fused(y, x, Cephes.logP8)
    y = y * x
    y = fused(y, z, e * Cephes.logQ1)                // x³ · P(x) + e · logQ1
    y = fused(-z, 0.5, y)                            // − x²/2
    x = x + y
    return fused(e, Cephes.logQ2, x)                 // + e · logQ2
}

/// Sine and cosine of a float, as `avx_mathfun.h`'s `sincos256_ps` computes them: reduce by
/// the nearest even multiple j of π/4, evaluate a sine and a cosine polynomial on the
/// remainder, and let j decide which polynomial gives which and with what signs.
@inline(__always)
func cephesSinCos(_ value: Float) -> (sin: Float, cos: Float) {
    var x = abs(value)
    var j = Int32(x * Cephes.fourOverPi)             // truncated, as cvttps does
    j = (j + 1) & ~1
    let y = Float(j)
    let sinSign = (value.bitPattern & 0x8000_0000) ^ (UInt32(bitPattern: j & 4) << 29)
    let cosSign = UInt32(bitPattern: ~(j - 2) & 4) << 29
    let polynomialsSwap = j & 2 != 0
    x = fused(y, Cephes.minusDP1, x)
    x = fused(y, Cephes.minusDP2, x)
    x = fused(y, Cephes.minusDP3, x)                 // x − j · π/4, in [−π/4, π/4]
    let z = x * x
    var c = fused(fused(Cephes.cosP0, z, Cephes.cosP1), z, Cephes.cosP2) * z
    c = fused(c, z, -(z * 0.5))
    c = c + 1
    var s = fused(fused(Cephes.sinP0, z, Cephes.sinP1), z, Cephes.sinP2) * z
    s = fused(s, x, x)
    // The kernel selects with bit masks and adds the zeros it masked in; doing the same sums
    // keeps even the signs of zero results identical.
    let sinFromS: Float = polynomialsSwap ? 0 : s, sinFromC: Float = polynomialsSwap ? c : 0
    let sine = sinFromC + sinFromS, cosine = (c - sinFromC) + (s - sinFromS)
    return (Float(bitPattern: sine.bitPattern ^ sinSign), Float(bitPattern: cosine.bitPattern ^ cosSign))
}

// MARK: - PyTorch's default initialisations

extension TorchGenerator {
    /// `nn.Linear(inFeatures, outFeatures)`'s initialisation: the weight `[out, in]` first,
    /// by `kaiming_uniform_(a: √5)` — uniform in ±√3 · gain/√in with gain = √(2/(1 + a²)),
    /// which is ±1/√in up to rounding — then the bias `[out]`, uniform in ±1/√in.
    /// The bounds are computed in double precision, as Python does.
    ///
    ///     let g = TorchGenerator(seed: 123)
    ///     let (w, b) = g.linearInit(inFeatures: 3, outFeatures: 2, bias: true)   // torch.nn.Linear(3, 2)
    public func linearInit(inFeatures: Int, outFeatures: Int, bias: Bool) -> (weight: Tensor, bias: Tensor?) {
        precondition(inFeatures > 0 && outFeatures >= 0,
                     "linearInit: need inFeatures > 0 and outFeatures >= 0, got \(inFeatures) and \(outFeatures)")
        let a = 5.0.squareRoot()
        let gain = (2.0 / (1 + a * a)).squareRoot()
        let weightBound = Float(3.0.squareRoot() * (gain / Double(inFeatures).squareRoot()))
        let weight = uniform([outFeatures, inFeatures], low: -weightBound, high: weightBound)
        guard bias else { return (weight, nil) }
        let biasBound = Float(1 / Double(inFeatures).squareRoot())
        return (weight, uniform([outFeatures], low: -biasBound, high: biasBound))
    }

    /// `nn.Embedding(count, dim)`'s initialisation: standard normal numbers, shape `[count, dim]`.
    ///
    ///     TorchGenerator(seed: 123).embeddingInit(count: 6, dim: 3)   // row 0: 0.3374, −0.1778, −0.1690
    public func embeddingInit(count: Int, dim: Int) -> Tensor {
        randn([count, dim])
    }
}
