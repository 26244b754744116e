// x · Wᵀ for a weight W kept as bfloat16, float16 or int8 blocks (PackedMatrix.swift).
//
// Few rows (decoding: one token per step) take the dot-product path: four rows of W at a
// time are read once, widened to float32 sixteen values at a time in registers, and
// multiplied into every row of x. Memory traffic is the packed bytes, nothing else, which is
// where the speed comes from. Many rows (a prompt) take the panel path: 128 rows of W at a
// time are widened into a float32 scratch panel, and the float32 `gemm` multiplies the whole
// of x by it; the widening is then a small fraction of the work.
//
// Each C element is computed by one task in a fixed order, so the result does not depend on
// the thread count.

/// Rows of x up to which the dot-product path is used.
let packedDotMaxRows = 8
/// Rows of W widened at a time by the panel path.
let packedPanelRows = 128

/// C[m × n] = x[m × k] · Wᵀ with W (n × k) packed; x rows `ldx` floats apart, C rows `ldc`.
func packedGemm(m: Int, x: UnsafePointer<Float>, ldx: Int, w: PackedMatrix,
                c: UnsafeMutablePointer<Float>, ldc: Int) {
    let (n, k) = (w.rows, w.columns)
    precondition(ldx >= k && ldc >= n, "packedGemm: row strides ldx \(ldx), ldc \(ldc) too small for k \(k), n \(n)")
    if m == 0 || n == 0 { return }
    if m <= packedDotMaxRows {
        packedDotGemm(m: m, x: x, ldx: ldx, w: w, c: c, ldc: ldc)
    } else {
        packedPanelGemm(m: m, x: x, ldx: ldx, w: w, c: c, ldc: ldc)
    }
}

// MARK: - Widening sixteen values in registers

/// Sixteen bfloat16s → float32: each is the top half of its float32.
@inline(__always)
func widenBFloat16(_ p: UnsafePointer<UInt16>) -> Vec {
    let h = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self)
    let bits = SIMD16<UInt32>(truncatingIfNeeded: h) &<< 16
    return unsafeBitCast(bits, to: Vec.self)
}

/// Sixteen float16s → float32, exactly (normals, subnormals, ±0, ±inf, NaN). The 15 low bits
/// moved up by 13 are a float32 with the half's exponent still biased by 15 instead of 127;
/// multiplying by 2¹¹² re-biases it (and scales subnormals right); the exponent of inf/NaN
/// is set to all ones by hand; the sign goes back on last.
@inline(__always)
func widenFloat16(_ p: UnsafePointer<UInt16>) -> Vec {
    let h = SIMD16<UInt32>(truncatingIfNeeded: UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self))
    let magnitude = (h & 0x7FFF) &<< 13
    var value = unsafeBitCast(magnitude, to: Vec.self) * Vec(repeating: 0x1p112)
    let special = (h & 0x7C00) .== SIMD16<UInt32>(repeating: 0x7C00)
    var bits = unsafeBitCast(value, to: SIMD16<UInt32>.self)
    bits.replace(with: magnitude | 0x7F80_0000, where: special)
    value = unsafeBitCast(bits | ((h & 0x8000) &<< 16), to: Vec.self)
    return value
}

/// Sixteen int8s → float32.
@inline(__always)
func widenInt8(_ p: UnsafePointer<Int8>) -> Vec {
    let q = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Int8>.self)
    return Vec(SIMD16<Int32>(truncatingIfNeeded: q))
}

// MARK: - Few rows: dot products

/// Every C(i, j) is the dot product of row i of x and row j of W. Four rows of W at a time;
/// groups of four are shared out between threads.
func packedDotGemm(m: Int, x: UnsafePointer<Float>, ldx: Int, w: PackedMatrix,
                   c: UnsafeMutablePointer<Float>, ldc: Int) {
    let (n, k) = (w.rows, w.columns)
    let groups = (n + 3) / 4
    let parts = m * n * k >= GemmBlocking.parallelWork ? min(groups, 4 * TensorKitConfig.threadCount) : 1
    parallelFor(parts) { part in
        for group in (groups * part / parts)..<(groups * (part + 1) / parts) {
            let j0 = 4 * group, cols = min(4, n - j0)
            // past the last row of W, re-read it; those sums are not stored
            let js = (j0, j0 + min(1, cols - 1), j0 + min(2, cols - 1), j0 + min(3, cols - 1))
            for i in 0..<m {
                let xi = x + i * ldx
                let sums: (Float, Float, Float, Float)
                switch w.format {
                case .bfloat16: sums = dotHalves(xi, k: k, w.halves!, w.columns, js, widenBFloat16, bfloat16ToFloat)
                case .float16: sums = dotHalves(xi, k: k, w.halves!, w.columns, js, widenFloat16, float16ToFloat)
                case .int8: sums = dotInt8(xi, k: k, w, js)
                }
                let out = c + i * ldc + j0
                out[0] = sums.0
                if cols > 1 { out[1] = sums.1 }
                if cols > 2 { out[2] = sums.2 }
                if cols > 3 { out[3] = sums.3 }
            }
        }
    }
}

/// Four dot products of x (k floats) with rows js of a 16-bit W (rows `ld` values apart).
@inline(__always)
func dotHalves(_ x: UnsafePointer<Float>, k: Int, _ h: UnsafePointer<UInt16>, _ ld: Int,
               _ js: (Int, Int, Int, Int),
               _ widen: (UnsafePointer<UInt16>) -> Vec, _ one: (UInt16) -> Float) -> (Float, Float, Float, Float) {
    let w0 = h + js.0 * ld, w1 = h + js.1 * ld, w2 = h + js.2 * ld, w3 = h + js.3 * ld
    var s0 = Vec(), s1 = Vec(), s2 = Vec(), s3 = Vec()
    var p = 0
    while p + 16 <= k {
        let xv = load16(x + p)
        s0.addProduct(xv, widen(w0 + p)); s1.addProduct(xv, widen(w1 + p))
        s2.addProduct(xv, widen(w2 + p)); s3.addProduct(xv, widen(w3 + p))
        p += 16
    }
    var t0 = s0.sum(), t1 = s1.sum(), t2 = s2.sum(), t3 = s3.sum()
    while p < k {
        let xv = x[p]
        t0 += xv * one(UInt16(littleEndian: w0[p])); t1 += xv * one(UInt16(littleEndian: w1[p]))
        t2 += xv * one(UInt16(littleEndian: w2[p])); t3 += xv * one(UInt16(littleEndian: w3[p]))
        p += 1
    }
    return (t0, t1, t2, t3)
}

/// Four dot products of x (k floats) with rows js of an int8 W: per block of 32, the sum of
/// x · q in float32, times the block's scale.
@inline(__always)
func dotInt8(_ x: UnsafePointer<Float>, k: Int, _ w: PackedMatrix, _ js: (Int, Int, Int, Int)) -> (Float, Float, Float, Float) {
    let ld = w.paddedColumns, bpr = w.blocksPerRow, block = PackedMatrix.blockSize
    let q0 = w.quants! + js.0 * ld, q1 = w.quants! + js.1 * ld, q2 = w.quants! + js.2 * ld, q3 = w.quants! + js.3 * ld
    let c0 = w.scales! + js.0 * bpr, c1 = w.scales! + js.1 * bpr, c2 = w.scales! + js.2 * bpr, c3 = w.scales! + js.3 * bpr
    var s0 = Vec(), s1 = Vec(), s2 = Vec(), s3 = Vec()
    let fullBlocks = k / block
    for b in 0..<fullBlocks {
        let p = b * block
        let xa = load16(x + p), xb = load16(x + p + 16)
        var t = xa * widenInt8(q0 + p); t.addProduct(xb, widenInt8(q0 + p + 16)); s0.addProduct(t, Vec(repeating: c0[b]))
        t = xa * widenInt8(q1 + p); t.addProduct(xb, widenInt8(q1 + p + 16)); s1.addProduct(t, Vec(repeating: c1[b]))
        t = xa * widenInt8(q2 + p); t.addProduct(xb, widenInt8(q2 + p + 16)); s2.addProduct(t, Vec(repeating: c2[b]))
        t = xa * widenInt8(q3 + p); t.addProduct(xb, widenInt8(q3 + p + 16)); s3.addProduct(t, Vec(repeating: c3[b]))
    }
    var r0 = s0.sum(), r1 = s1.sum(), r2 = s2.sum(), r3 = s3.sum()
    if fullBlocks * block < k {
        // the ragged last block, one value at a time (x has only k values)
        let b = fullBlocks
        var t0: Float = 0, t1: Float = 0, t2: Float = 0, t3: Float = 0
        for p in (b * block)..<k {
            t0 += x[p] * Float(q0[p]); t1 += x[p] * Float(q1[p]); t2 += x[p] * Float(q2[p]); t3 += x[p] * Float(q3[p])
        }
        r0 += t0 * c0[b]; r1 += t1 * c1[b]; r2 += t2 * c2[b]; r3 += t3 * c3[b]
    }
    return (r0, r1, r2, r3)
}

// MARK: - Many rows: widen a panel, then gemm

/// C = x · Wᵀ, 128 rows of W at a time: the panel is widened to float32 (in parallel, a row
/// per task) and multiplied by the float32 `gemm`, which uses every thread itself.
func packedPanelGemm(m: Int, x: UnsafePointer<Float>, ldx: Int, w: PackedMatrix,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
    let (n, k) = (w.rows, w.columns)
    let panelRows = min(packedPanelRows, n)
    let panel = BufferPool.shared.take(panelRows * k)
    defer { BufferPool.shared.giveBack(panel, count: panelRows * k) }
    for j0 in stride(from: 0, to: n, by: panelRows) {
        let rows = min(panelRows, n - j0)
        parallelFor(min(rows, 2 * TensorKitConfig.threadCount)) { task in
            let parts = min(rows, 2 * TensorKitConfig.threadCount)
            for r in (rows * task / parts)..<(rows * (task + 1) / parts) { w.widenRow(j0 + r, into: panel + r * k) }
        }
        gemm(m: m, n: rows, k: k, a: x, lda: ldx, transA: false,
             b: panel, ldb: k, transB: true, c: c + j0, ldc: ldc, accumulate: false)
    }
}

// MARK: - The op

extension PackedMatrix {
    /// The linear layer's product with these weights: x (…, columns) → (…, rows), plus
    /// `bias` (rows) if given. Inference only: no gradient flows through packed weights.
    ///
    ///     let q = PackedMatrix(quantizing: layer.weight, to: .bfloat16)
    ///     let y = q.linear(x, bias: layer.bias)   // ≈ layer(x)
    public func linear(_ x: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == columns,
                     "PackedMatrix.linear: input \(describeShape(x.shape)) does not end in \(columns) features")
        precondition(!(x.requiresGrad && isGradEnabled),
                     "PackedMatrix.linear: packed (\(format.rawValue)) weights are for inference; run under withNoGrad")
        if let bias {
            precondition(bias.shape == [rows], "PackedMatrix.linear: bias \(describeShape(bias.shape)) does not match \(rows) outputs")
        }
        let m = x.count / Swift.max(columns, 1)
        let out = TensorStorage(uninitialized: m * rows)   // packedGemm writes every element
        let input = x.widened()
        input.withUnsafeBufferPointer { xp in
            guard let xb = xp.baseAddress, m * rows > 0 else { return }
            let ob = out.floats
            packedGemm(m: m, x: xb, ldx: columns, w: self, c: ob, ldc: rows)
            if let bias = bias?.widened() {
                bias.withUnsafeBufferPointer { bp in
                    for i in 0..<m { for j in 0..<rows { ob[i * rows + j] += bp[j] } }
                }
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [rows], storage: out)   // (…, rows)
    }
}
