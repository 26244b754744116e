// `gemm` for products with few rows, where packing B would cost as much as the product
// itself: the tiny ones of the early chapters, and a few tokens going through a layer at
// generation time. Each C element is still computed by one task in a fixed order, so these
// paths too give the same bits for any thread count.

// MARK: - Tiny products

/// The textbook triple loop, for products of at most 16³ multiply-adds.
func naiveGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand,
               c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    for i in 0..<m {
        for j in 0..<n {
            var s: Float = accumulate ? c[i * ldc + j] : 0
            for p in 0..<k { s += A[i, p] * B[p, j] }
            c[i * ldc + j] = s
        }
    }
}

// MARK: - Few rows, B transposed: dot products

/// Few rows, B stored transposed (n × k), as when a linear layer maps a few tokens: every C
/// element is the dot product of a row of A and a row of B, both contiguous. A 4 × 4 tile of
/// C takes 16 accumulators of 16 floats along k: per 16 values of k, 8 loads feed 16 fused
/// multiply-adds. Four rows of B stay in L1 while every row of A passes by, so B (a weight
/// matrix, often the largest operand) is read from memory once and never copied. Groups of
/// four columns are shared out between threads.
func dotGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand,
             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    // rows of A must be contiguous: copy them when A is transposed
    let copy = A.colStride == 1 ? nil : BufferPool.shared.take(m * k)
    defer { if let copy { BufferPool.shared.giveBack(copy, count: m * k) } }
    if let copy { for i in 0..<m { for p in 0..<k { copy[i * k + p] = A[i, p] } } }
    let aBase = copy.map { UnsafePointer($0) } ?? A.base
    let lda = copy == nil ? A.rowStride : k
    let ldb = B.colStride

    let groups = (n + 3) / 4
    let parts = m * n * k >= GemmBlocking.parallelWork ? min(groups, 4 * TensorKitConfig.threadCount) : 1
    parallelFor(parts) { part in
        for group in (groups * part / parts)..<(groups * (part + 1) / parts) {
            let j0 = 4 * group, cols = min(4, n - j0)
            // past the last column (or row), re-read the last one; those sums are not stored
            let b0 = B.base + j0 * ldb, b1 = b0 + min(1, cols - 1) * ldb
            let b2 = b0 + min(2, cols - 1) * ldb, b3 = b0 + min(3, cols - 1) * ldb
            for i0 in stride(from: 0, to: m, by: 4) {
                let rows = min(4, m - i0)
                let a0 = aBase + i0 * lda, a1 = a0 + min(1, rows - 1) * lda
                let a2 = a0 + min(2, rows - 1) * lda, a3 = a0 + min(3, rows - 1) * lda
                var s00 = Vec(), s01 = Vec(), s02 = Vec(), s03 = Vec(), s10 = Vec(), s11 = Vec(), s12 = Vec(), s13 = Vec()
                var s20 = Vec(), s21 = Vec(), s22 = Vec(), s23 = Vec(), s30 = Vec(), s31 = Vec(), s32 = Vec(), s33 = Vec()
                // p ≤ k, a size: wrapping arithmetic cannot wrap, and keeps the overflow checks
                // (and the registers they take, spilling the 16 accumulators' neighbours) out of the loop
                var p = 0
                while p &+ 16 <= k {
                    let x0 = load16(a0 + p), x1 = load16(a1 + p), x2 = load16(a2 + p), x3 = load16(a3 + p)
                    var y = load16(b0 + p)
                    s00.addProduct(x0, y); s10.addProduct(x1, y); s20.addProduct(x2, y); s30.addProduct(x3, y)
                    y = load16(b1 + p)
                    s01.addProduct(x0, y); s11.addProduct(x1, y); s21.addProduct(x2, y); s31.addProduct(x3, y)
                    y = load16(b2 + p)
                    s02.addProduct(x0, y); s12.addProduct(x1, y); s22.addProduct(x2, y); s32.addProduct(x3, y)
                    y = load16(b3 + p)
                    s03.addProduct(x0, y); s13.addProduct(x1, y); s23.addProduct(x2, y); s33.addProduct(x3, y)
                    p &+= 16
                }
                let tail = p
                /// Sums the 16 lanes, adds the last k mod 16 products one by one, writes C(i0 + r, j0 + q).
                @inline(__always) func finish(_ r: Int, _ q: Int, _ s: Vec, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>) {
                    guard r < rows && q < cols else { return }
                    var t = s.sum()
                    for p in tail..<k { t += a[p] * b[p] }
                    let out = c + (i0 + r) * ldc + j0 + q
                    out.pointee = accumulate ? out.pointee + t : t
                }
                finish(0, 0, s00, a0, b0); finish(0, 1, s01, a0, b1); finish(0, 2, s02, a0, b2); finish(0, 3, s03, a0, b3)
                finish(1, 0, s10, a1, b0); finish(1, 1, s11, a1, b1); finish(1, 2, s12, a1, b2); finish(1, 3, s13, a1, b3)
                finish(2, 0, s20, a2, b0); finish(2, 1, s21, a2, b1); finish(2, 2, s22, a2, b2); finish(2, 3, s23, a2, b3)
                finish(3, 0, s30, a3, b0); finish(3, 1, s31, a3, b1); finish(3, 2, s32, a3, b2); finish(3, 3, s33, a3, b3)
            }
        }
    }
}

// MARK: - Few rows, B as stored: scaled sums of rows

/// Fewer than 6 rows, B stored as is (k × n): row i of C is C(i) + Σ_p A(i, p) · (row p of B),
/// added term by term. Sixty-four columns of C stay in four registers while p runs over k;
/// column chunks are shared out between threads.
func axpyGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand,
              c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let chunks = (n + 63) / 64
    let parts = m * n * k >= GemmBlocking.parallelWork ? min(chunks, 4 * TensorKitConfig.threadCount) : 1
    parallelFor(parts) { part in
        for chunk in (chunks * part / parts)..<(chunks * (part + 1) / parts) {
            let j0 = 64 * chunk, width = min(64, n - j0)
            for i in 0..<m {
                let out = c + i * ldc + j0
                let b = B.base + j0
                if width == 64 {
                    var s0 = accumulate ? load16(out) : Vec(), s1 = accumulate ? load16(out + 16) : Vec()
                    var s2 = accumulate ? load16(out + 32) : Vec(), s3 = accumulate ? load16(out + 48) : Vec()
                    var bp = b
                    for p in 0..<k {
                        let x = Vec(repeating: A[i, p])
                        s0.addProduct(x, load16(bp)); s1.addProduct(x, load16(bp + 16))
                        s2.addProduct(x, load16(bp + 32)); s3.addProduct(x, load16(bp + 48))
                        bp += B.rowStride
                    }
                    store16(s0, out); store16(s1, out + 16); store16(s2, out + 32); store16(s3, out + 48)
                    continue
                }
                // the ragged last chunk: 16 columns at a time, then one at a time
                var j = 0
                while j &+ 16 <= width {
                    var s = accumulate ? load16(out + j) : Vec()
                    var bp = b + j
                    for p in 0..<k { s.addProduct(Vec(repeating: A[i, p]), load16(bp)); bp += B.rowStride }
                    store16(s, out + j)
                    j &+= 16
                }
                while j < width {
                    var s: Float = accumulate ? out[j] : 0
                    var bp = b + j
                    for p in 0..<k { s += A[i, p] * bp[0]; bp += B.rowStride }
                    out[j] = s
                    j += 1
                }
            }
        }
    }
}
