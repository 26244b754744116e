import Foundation

// exp and tanh on 16 floats at once, for the elementwise kernels (GELU, softmax) that would
// otherwise spend most of a training step in the C library's scalar `expf`/`tanhf`.
//
// exp follows the classic Cephes recipe: write x = n·ln 2 + r with |r| ≤ ln 2 / 2, take a
// degree-6 polynomial for e^r and multiply by 2^n built from its exponent bits. The result
// is within 2 ulp of the C library's over the whole range where e^x is a normal float
// (checked against Foundation.exp in the tests). Each lane is computed alone, so an element's value does not
// depend on where it sits in a vector: results are the same however the work is split.

/// e^x for 16 lanes; underflows to 0 below −87.3 and overflows to +∞ above 88.7.
@inline(__always)
func vectorExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let low = SIMD16<Float>(repeating: -87.33654), high = SIMD16<Float>(repeating: 88.72283)
    var clamped = x.replacing(with: low, where: x .< low)
    clamped.replace(with: high, where: clamped .> high)
    // n = round(x / ln 2) by the 1.5·2²³ trick: adding it leaves n in the low mantissa bits
    let magic = SIMD16<Float>(repeating: 12_582_912)
    let shifted: SIMD16<Float> = clamped * 1.442_695_04 + magic
    let n: SIMD16<Float> = shifted - magic
    var r: SIMD16<Float> = clamped - n * 0.693_359_375                 // ln 2 split in two parts
    r = r + n * 2.121_944_4e-4                                          //   so r is exact
    var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 0.166_666_655
    p = p * r + 0.500_000_01
    let r2: SIMD16<Float> = r * r
    let er: SIMD16<Float> = p * r2 + r + 1                              // e^r
    let integer: SIMD16<Int32> = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    // 2^n as two factors 2^n1 · 2^n2 (n1 = ⌊n/2⌋): n reaches 128 near the top of the range,
    // where 2^n alone is not a float. Scaling by powers of two is exact, so this costs no accuracy.
    let n1: SIMD16<Int32> = integer &>> 1, n2: SIMD16<Int32> = integer &- n1
    let scale1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD16<Float>.self)
    let scale2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD16<Float>.self)
    var y: SIMD16<Float> = er * scale1 * scale2
    y.replace(with: Float.infinity, where: x .> high)
    y.replace(with: 0, where: x .< low)
    return y
}

/// tanh(x) for 16 lanes, as 1 − 2 / (e^{2|x|} + 1) with the sign of x, |x| capped at 9;
/// absolute error below 1.5e-7 everywhere (the tests check).
@inline(__always)
func vectorTanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let magnitude: SIMD16<Float> = x.replacing(with: -x, where: x .< 0)
    let nine = SIMD16<Float>(repeating: 9)        // beyond 9, tanh is within 6e-8 of ±1
    let a: SIMD16<Float> = magnitude.replacing(with: nine, where: magnitude .> nine)
    let twice: SIMD16<Float> = a + a
    let e: SIMD16<Float> = vectorExp(twice)
    let ratio: SIMD16<Float> = 2 / (e + 1)
    var t: SIMD16<Float> = 1 - ratio
    t.replace(with: -t, where: x .< 0)
    return t
}

/// Calls `body(offset)` for offset = 0, 16, 32, … below `count`: one call per vector of 16
/// floats, the last one partial (`load16` pads it, `store16` writes only its lanes). Large
/// arrays are split over the cores in whole vectors.
@inline(__always)
func vectorMap(_ count: Int, _ body: (_ offset: Int) -> Void) {
    let vectors = (count + 15) / 16
    let parts = splits(vectors, work: count, threshold: 1 << 15, granularity: 256)
    parallelFor(parts.count) { part in
        for v in parts[part] { body(v * 16) }
    }
}

/// Loads 16 floats at `offset` (`padding` past `count`).
@inline(__always)
func load16(_ p: UnsafePointer<Float>, _ offset: Int, _ count: Int, padding: Float = 0) -> SIMD16<Float> {
    if offset + 16 <= count { return UnsafeRawPointer(p + offset).loadUnaligned(as: SIMD16<Float>.self) }
    var v = SIMD16<Float>(repeating: padding)
    for i in 0..<(count - offset) { v[i] = p[offset + i] }
    return v
}

/// Stores the first `count - offset` (at most 16) lanes of `v` at `offset`.
@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ offset: Int, _ count: Int) {
    if offset + 16 <= count { UnsafeMutableRawPointer(p + offset).storeBytes(of: v, as: SIMD16<Float>.self); return }
    for i in 0..<(count - offset) { p[offset + i] = v[i] }
}

// MARK: - The softmax row kernel
//
// Every softmax of the course starts from `rowSoftmaxStatistics` (a row's maximum and
// Σ exp(x − max)) and ends in `rowSoftmax`, `rowLogSumExp` or `rowExpOfLogSoftmax` — `Tensor.softmax`,
// `logSoftmax` and `logsumexp`, cross-entropy, the fused and the cached attention kernels,
// and the samplers' probabilities (`softmax(_ values: [Float])`) — so the fused and the
// step-by-step paths give the same bits, and a probability printed by one chapter is the one
// another computes.

/// What a softmax row needs: its largest value m, and Σ exp(x[i] − m), both computed 16
/// lanes at a time with the lanes summed in a fixed order, so the result does not depend on
/// how rows are spread over threads. NaN is ignored by the maximum but makes the sum NaN. When
/// m is not finite (all −∞, or a +∞) there is no finite softmax: the sum is NaN.
@inline(__always)
func rowSoftmaxStatistics(_ x: UnsafePointer<Float>, _ n: Int) -> (max: Float, sum: Float) {
    var m16 = SIMD16<Float>(repeating: -.infinity)
    var i = 0
    while i < n {
        let v = load16(x, i, n, padding: -.infinity)
        m16.replace(with: v, where: v .> m16)
        i += 16
    }
    let m = m16.max()
    guard m.isFinite else { return (m, .nan) }
    var s16 = SIMD16<Float>(repeating: 0)
    let shift = SIMD16<Float>(repeating: m)
    i = 0
    while i < n {
        let v = load16(x, i, n, padding: -.infinity)
        s16 += vectorExp(v - shift)
        i += 16
    }
    return (m, s16.sum())
}

/// log Σ exp(x[i]) over `n` floats, stably: m + log Σ exp(x − m). All −∞ gives −∞.
@inline(__always)
func rowLogSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    let (m, sum) = rowSoftmaxStatistics(x, n)
    return m.isFinite ? m + Foundation.log(sum) : m
}

/// The softmax of `n` floats at `x`, written to `y` (which may be `x`): exp(x[i] − m) · (1 / s)
/// with m and s from `rowSoftmaxStatistics`, as PyTorch's softmax computes it. A −∞ score gets
/// exactly 0, and −∞ entries after the others change nothing, so a causal row gives the same
/// bits whether its masked keys are passed or not.
///
///     rowSoftmax(row, 3, into: row)   // [1, 2, 3] → [0.09003057, 0.24472848, 0.66524094]
@inline(__always)
func rowSoftmax(_ x: UnsafePointer<Float>, _ n: Int, into y: UnsafeMutablePointer<Float>) {
    let (m, sum) = rowSoftmaxStatistics(x, n)
    let (shift, inverse) = (SIMD16<Float>(repeating: m), SIMD16<Float>(repeating: 1 / sum))
    var j = 0
    while j < n {
        store16(vectorExp(load16(x, j, n) - shift) * inverse, y, j, n)
        j += 16
    }
}

/// exp(x[i] − logSumExp) · factor for `n` floats: the probabilities recovered from the
/// log-softmax x − log Σ exp(x), scaled, as PyTorch's cross-entropy gradient computes them
/// (through log-softmax, whose gradient is g − exp(log-softmax) · Σ g).
@inline(__always)
func rowExpOfLogSoftmax(_ x: UnsafePointer<Float>, _ n: Int, logSumExp: Float, times factor: Float,
                        into y: UnsafeMutablePointer<Float>) {
    let (lse, scale) = (SIMD16<Float>(repeating: logSumExp), SIMD16<Float>(repeating: factor))
    var j = 0
    while j < n {
        store16(vectorExp(load16(x, j, n) - lse) * scale, y, j, n)
        j += 16
    }
}
