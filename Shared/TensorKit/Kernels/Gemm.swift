// Matrix multiplication, the kernel under every linear layer and attention score.
//
// How it is fast, in plain Swift:
// 1. A **micro-kernel** computes a 6 × 32 tile of C in 12 SIMD registers (6 rows × two
//    16-float vectors): for each p it loads 32 floats of B, broadcasts 6 floats of A, and does
//    12 fused multiply-adds. Nothing but arithmetic happens in its inner loop.
// 2. **Packing** copies the part of A and B the micro-kernel needs into small contiguous
//    buffers — A as 6-row slivers, B as 32-column slivers, both laid out in the order the
//    kernel reads them. Transposed operands are handled here, for free: the packing reads
//    them with swapped strides, so a transpose is never materialised.
// 3. **Blocking**: k is cut into chunks of `kc` (B's sliver of kc × 32 floats stays in L1,
//    A's block of `mc` × kc in L2), so every loaded number is reused many times.
// 4. **Threads**: blocks of rows of C go to different cores. Every element of C is summed
//    over k in the same order whichever thread computes it, so the result does not depend
//    on the number of threads.
// Tiny products (the chapters' 6 × 3 matrices) skip all of this and use a plain loop.

// MARK: - Entry point

/// C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n], all row-major.
/// op(A) = A (stored m×k, row stride lda) or Aᵀ when transA (A stored k×m, row stride lda);
/// op(B) = B (stored k×n, row stride ldb) or Bᵀ when transB (B stored n×k, row stride ldb).
public func gemm(m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int, transA: Bool,
                 b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                 c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    let A = Operand(base: a, rowStride: transA ? 1 : lda, colStride: transA ? lda : 1)   // (m, k)
    let B = Operand(base: b, rowStride: transB ? 1 : ldb, colStride: transB ? ldb : 1)   // (k, n)
    if m * n * k <= 16 * 16 * 16 {
        naiveGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    } else if m < GemmBlocking.mr {
        skinnyGemm(m: m, n: n, k: k, A, B, transB: transB, c: c, ldc: ldc, accumulate: accumulate)
    } else if transB && A.colStride == 1 && m * k <= 1 << 18 && k >= 16 {
        dotGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    } else {
        packedGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    }
}

/// A matrix read through strides, so that a transpose is just swapped strides.
struct Operand {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let colStride: Int

    @inline(__always) subscript(row: Int, col: Int) -> Float { base[row * rowStride + col * colStride] }
}

enum GemmBlocking {
    static let mr = 6        // rows of the micro-kernel tile
    static let nr = 32       // columns of the micro-kernel tile (two SIMD16)
    static let kc = 256      // depth of a packed block
    static let mc = 96       // rows of A packed at once (a multiple of mr)
}

// MARK: - Small cases

/// The textbook triple loop, for tiny products.
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

/// One to five rows of A (a matrix–vector product, as when generating one token): stream
/// B once without packing, split over columns of C.
func skinnyGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand, transB: Bool,
                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let parts = chunks(n, granularity: 64, minimumPerChunk: m * k >= 4096 ? 64 : n)
    parallelFor(parts.count) { part in
        let columns = parts[part]
        if transB {
            // B stored (n, k): each C element is a dot product of contiguous rows.
            for i in 0..<m {
                for j in columns {
                    let bRow = B.base + j * B.colStride
                    var acc = SIMD16<Float>()
                    var p = 0
                    if A.colStride == 1 {
                        let aRow = A.base + i * A.rowStride
                        while p + 16 <= k {
                            acc.addProduct(load16(aRow + p), load16(bRow + p))
                            p += 16
                        }
                    }
                    var s = acc.sum()
                    while p < k { s += A[i, p] * bRow[p]; p += 1 }
                    c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s
                }
            }
        } else {
            // B stored (k, n): C row += a[p] · B row p, vectorised over columns.
            for i in 0..<m {
                let cRow = c + i * ldc
                if !accumulate { (cRow + columns.lowerBound).update(repeating: 0, count: columns.count) }
                for p in 0..<k {
                    let av = A[i, p]
                    let bRow = B.base + p * B.rowStride
                    var j = columns.lowerBound
                    let broadcast = SIMD16<Float>(repeating: av)
                    while j + 16 <= columns.upperBound {
                        var cv = load16(cRow + j)
                        cv.addProduct(broadcast, load16(bRow + j))
                        store16(cv, cRow + j)
                        j += 16
                    }
                    while j < columns.upperBound { cRow[j] += av * bRow[j]; j += 1 }
                }
            }
        }
    }
}

/// A few rows of A times a weight matrix stored (n, k) — a linear layer on a short sequence,
/// as in generation without a cache. Packing the whole weight matrix for so few rows would
/// cost as much as the product, so instead each 4 × 4 tile of C is four rows of A dotted with
/// four rows of W, 16 SIMD accumulators along k. W is read from memory once (its four rows stay
/// in L1 while every row of A, small enough for L2, passes by); work is split over columns.
func dotGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    typealias V = SIMD16<Float>
    let parts = chunks((n + 3) / 4, minimumPerChunk: 8)
    parallelFor(parts.count) { part in
        for jb in parts[part] {
            let j0 = jb * 4, width = min(4, n - j0)
            // rows past the end repeat the last row; their results are not stored
            let w0 = B.base + j0 * B.colStride, w1 = B.base + min(j0 + 1, n - 1) * B.colStride
            let w2 = B.base + min(j0 + 2, n - 1) * B.colStride, w3 = B.base + min(j0 + 3, n - 1) * B.colStride
            var i0 = 0
            while i0 < m {
                let height = min(4, m - i0)
                let a0 = A.base + i0 * A.rowStride, a1 = A.base + min(i0 + 1, m - 1) * A.rowStride
                let a2 = A.base + min(i0 + 2, m - 1) * A.rowStride, a3 = A.base + min(i0 + 3, m - 1) * A.rowStride
                var c00 = V(), c01 = V(), c02 = V(), c03 = V(), c10 = V(), c11 = V(), c12 = V(), c13 = V()
                var c20 = V(), c21 = V(), c22 = V(), c23 = V(), c30 = V(), c31 = V(), c32 = V(), c33 = V()
                var p = 0
                while p + 16 <= k {
                    let x0 = load16(a0 + p), x1 = load16(a1 + p), x2 = load16(a2 + p), x3 = load16(a3 + p)
                    var y = load16(w0 + p)
                    c00.addProduct(x0, y); c10.addProduct(x1, y); c20.addProduct(x2, y); c30.addProduct(x3, y)
                    y = load16(w1 + p)
                    c01.addProduct(x0, y); c11.addProduct(x1, y); c21.addProduct(x2, y); c31.addProduct(x3, y)
                    y = load16(w2 + p)
                    c02.addProduct(x0, y); c12.addProduct(x1, y); c22.addProduct(x2, y); c32.addProduct(x3, y)
                    y = load16(w3 + p)
                    c03.addProduct(x0, y); c13.addProduct(x1, y); c23.addProduct(x2, y); c33.addProduct(x3, y)
                    p += 16
                }
                let tail = p
                @inline(__always) func store(_ r: Int, _ q: Int, _ v: V, _ a: UnsafePointer<Float>, _ w: UnsafePointer<Float>) {
                    guard r < height && q < width else { return }
                    var sum = v.sum()
                    for t in tail..<k { sum += a[t] * w[t] }
                    let dst = c + (i0 + r) * ldc + j0 + q
                    dst.pointee = accumulate ? dst.pointee + sum : sum
                }
                store(0, 0, c00, a0, w0); store(0, 1, c01, a0, w1); store(0, 2, c02, a0, w2); store(0, 3, c03, a0, w3)
                store(1, 0, c10, a1, w0); store(1, 1, c11, a1, w1); store(1, 2, c12, a1, w2); store(1, 3, c13, a1, w3)
                store(2, 0, c20, a2, w0); store(2, 1, c21, a2, w1); store(2, 2, c22, a2, w2); store(2, 3, c23, a2, w3)
                store(3, 0, c30, a3, w0); store(3, 1, c31, a3, w1); store(3, 2, c32, a3, w2); store(3, 3, c33, a3, w3)
                i0 += 4
            }
        }
    }
}

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

// MARK: - The packed, blocked product

func packedGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand,
                c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let (mr, nr, kcMax, mc) = (GemmBlocking.mr, GemmBlocking.nr, GemmBlocking.kc, GemmBlocking.mc)
    let nPanels = (n + nr - 1) / nr
    // A row-major B whose width is a multiple of 32 is read in place (its 32-wide slivers are
    // contiguous rows); otherwise it is packed.
    let readBInPlace = B.colStride == 1 && n % nr == 0 && k * n <= 1 << 17   // small B: fits in L2
    let packedB = UnsafeMutablePointer<Float>.allocate(capacity: readBInPlace ? 1 : nPanels * nr * min(k, kcMax))
    defer { packedB.deallocate() }
    // Row blocks of C: few enough to keep packing cheap, enough to keep both cores busy.
    let rowBlocks = chunks(m, granularity: mr, minimumPerChunk: mr).flatMap { range in
        stride(from: range.lowerBound, to: range.upperBound, by: mc).map { $0..<min($0 + mc, range.upperBound) }
    }
    var pc = 0
    while pc < k {
        let kc = min(kcMax, k - pc)
        if !readBInPlace { packB(B, rows: pc..<(pc + kc), n: n, into: packedB) }
        let addToC = accumulate || pc > 0
        parallelFor(rowBlocks.count) { blockIndex in
            let rows = rowBlocks[blockIndex]
            let slivers = (rows.count + mr - 1) / mr
            let packedA = UnsafeMutablePointer<Float>.allocate(capacity: slivers * mr * kc)
            defer { packedA.deallocate() }
            packA(A, rows: rows, cols: pc..<(pc + kc), into: packedA)
            for panel in 0..<nPanels {
                let j0 = panel * nr
                let width = min(nr, n - j0)
                for s in 0..<slivers {
                    let i0 = rows.lowerBound + s * mr
                    let height = min(mr, rows.upperBound - i0)
                    let (bPanel, bStride) = readBInPlace
                        ? (B.base + pc * B.rowStride + j0, B.rowStride)
                        : (UnsafePointer(packedB + panel * nr * kc), nr)
                    microKernel(kc: kc, a: packedA + s * mr * kc, b: bPanel, bStride: bStride,
                                c: c + i0 * ldc + j0, ldc: ldc, height: height, width: width, accumulate: addToC)
                }
            }
        }
        pc += kc
    }
}

/// Copies rows `rows` × columns `cols` of A into slivers of `mr` rows: sliver s holds, for
/// each p, the mr values A[s·mr + r, p] side by side (zero past the last row).
func packA(_ A: Operand, rows: Range<Int>, cols: Range<Int>, into out: UnsafeMutablePointer<Float>) {
    let mr = GemmBlocking.mr
    let kc = cols.count
    var dst = out
    for i0 in stride(from: rows.lowerBound, to: rows.upperBound, by: mr) {
        let height = min(mr, rows.upperBound - i0)
        for (p, col) in cols.enumerated() {
            for r in 0..<mr { dst[p * mr + r] = r < height ? A[i0 + r, col] : 0 }
        }
        dst += mr * kc
    }
}

/// Copies rows `rows` of B (all n columns) into panels of `nr` columns: panel j holds, for
/// each p, the nr values B[p, j·nr + c] side by side (zero past the last column).
func packB(_ B: Operand, rows: Range<Int>, n: Int, into out: UnsafeMutablePointer<Float>) {
    let nr = GemmBlocking.nr
    let kc = rows.count
    let panels = (n + nr - 1) / nr
    parallelFor(panels >= 8 && kc * n >= 65536 ? 2 : 1) { half in
        let range = panels >= 8 && kc * n >= 65536 ? (half == 0 ? 0..<(panels / 2) : (panels / 2)..<panels) : 0..<panels
        for panel in range {
            let j0 = panel * nr
            let width = min(nr, n - j0)
            let dst = out + panel * nr * kc
            if B.colStride == 1 && width == nr {
                for (p, row) in rows.enumerated() {
                    let src = B.base + row * B.rowStride + j0
                    store16(load16(src), dst + p * nr)
                    store16(load16(src + 16), dst + p * nr + 16)
                }
            } else if B.rowStride == 1 {
                // B is stored transposed (a weight matrix (out, in)): read each of the 32
                // columns along k, where it is contiguous, and scatter into the panel.
                if width < nr { (dst).update(repeating: 0, count: nr * kc) }
                for col in 0..<width {
                    let src = B.base + (j0 + col) * B.colStride + rows.lowerBound
                    for p in 0..<kc { dst[p * nr + col] = src[p] }
                }
            } else {
                for (p, row) in rows.enumerated() {
                    for col in 0..<nr { dst[p * nr + col] = col < width ? B[row, j0 + col] : 0 }
                }
            }
        }
    }
}

/// C[0..<height, 0..<width] (+)= Σ_p a[p] ⊗ b[p] for a packed A sliver (kc × 6) and a B panel
/// (kc rows of 32, `bStride` apart): twelve accumulators, twelve fused multiply-adds per p.
@inline(__always)
func microKernel(kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, bStride: Int,
                 c: UnsafeMutablePointer<Float>, ldc: Int, height: Int, width: Int, accumulate: Bool) {
    typealias V = SIMD16<Float>
    var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V()
    var c30 = V(), c31 = V(), c40 = V(), c41 = V(), c50 = V(), c51 = V()
    var ap = a, bp = b
    for _ in 0..<kc {
        let b0 = load16(bp), b1 = load16(bp + 16)
        var x = V(repeating: ap[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = V(repeating: ap[1]); c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = V(repeating: ap[2]); c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = V(repeating: ap[3]); c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = V(repeating: ap[4]); c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = V(repeating: ap[5]); c50.addProduct(x, b0); c51.addProduct(x, b1)
        ap += 6
        bp += bStride
    }
    @inline(__always) func emit(_ r: Int, _ v0: V, _ v1: V) {
        guard r < height else { return }
        let dst = c + r * ldc
        if width == 32 {
            if accumulate {
                store16(load16(dst) + v0, dst)
                store16(load16(dst + 16) + v1, dst + 16)
            } else {
                store16(v0, dst)
                store16(v1, dst + 16)
            }
        } else {
            for col in 0..<width {
                let v = col < 16 ? v0[col] : v1[col - 16]
                dst[col] = accumulate ? dst[col] + v : v
            }
        }
    }
    emit(0, c00, c01); emit(1, c10, c11); emit(2, c20, c21)
    emit(3, c30, c31); emit(4, c40, c41); emit(5, c50, c51)
}
