// The innermost pieces of `gemm`: the register-tile micro-kernels, and the packing of B into
// the order they read it. Gemm.swift explains how they fit together.

// MARK: - Vectors

/// Sixteen floats: one AVX-512 register (two on a 256-bit machine, four on NEON).
typealias Vec = SIMD16<Float>

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) func load16(_ p: UnsafeMutablePointer<Float>) -> Vec {
    UnsafeRawPointer(p).loadUnaligned(as: Vec.self)
}

@inline(__always) func store16(_ v: Vec, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec.self)
}

// MARK: - Micro-kernels

/// Where a micro-kernel reads its six rows of A, in place: element (r, p) of the sliver is
/// `base[r * rowStride + p * step]`. A row-major A has rowStride lda and step 1 (six rows
/// read left to right); a transposed A has rowStride 1 and step lda (the six values of one
/// p side by side, one row of storage after another).
struct Sliver {
    var base: UnsafePointer<Float>
    var rowStride: Int
    var step: Int
}

/// C[0..<rows, 0..<cols] = (addToC ? C : 0) + Σ_p A(r, p) · B(p, c) for a 6 × 32 tile.
///
/// Twelve accumulators (6 rows × two 16-float vectors) live in registers for the whole
/// loop. Each step p loads 32 floats of B (row p of the panel, `bStep` floats after row
/// p − 1), broadcasts the six A(r, p), and does twelve fused multiply-adds: 384 flops for
/// 8 loads. `rows` ≤ 6 and `cols` ≤ 32 trim the tile at the edges of C; rows past `rows`
/// re-read the last valid row of A (never out of bounds) and their sums are thrown away.
@inline(__always)
func kernel6x32(kc: Int, a: Sliver, b: UnsafePointer<Float>, bStep: Int,
                c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, addToC: Bool) {
    let rs = a.rowStride, last = rows - 1
    let o1 = min(1, last) * rs, o2 = min(2, last) * rs, o3 = min(3, last) * rs
    let o4 = min(4, last) * rs, o5 = min(5, last) * rs
    var c00 = Vec(), c01 = Vec(), c10 = Vec(), c11 = Vec(), c20 = Vec(), c21 = Vec()
    var c30 = Vec(), c31 = Vec(), c40 = Vec(), c41 = Vec(), c50 = Vec(), c51 = Vec()
    var ap = a.base, bp = b
    for _ in 0..<kc {
        let b0 = load16(bp), b1 = load16(bp + 16)
        var x = Vec(repeating: ap[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = Vec(repeating: ap[o1]); c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = Vec(repeating: ap[o2]); c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = Vec(repeating: ap[o3]); c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = Vec(repeating: ap[o4]); c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = Vec(repeating: ap[o5]); c50.addProduct(x, b0); c51.addProduct(x, b1)
        ap += a.step
        bp += bStep
    }
    writeRow(c, c00, c01, cols: cols, addToC: addToC)
    if rows > 1 { writeRow(c + ldc, c10, c11, cols: cols, addToC: addToC) }
    if rows > 2 { writeRow(c + 2 * ldc, c20, c21, cols: cols, addToC: addToC) }
    if rows > 3 { writeRow(c + 3 * ldc, c30, c31, cols: cols, addToC: addToC) }
    if rows > 4 { writeRow(c + 4 * ldc, c40, c41, cols: cols, addToC: addToC) }
    if rows > 5 { writeRow(c + 5 * ldc, c50, c51, cols: cols, addToC: addToC) }
}

/// The same for a 6 × 16 tile: the last panel of a matrix whose width leaves 16 or fewer
/// columns (65 = 32 + 32 + 1), at half the cost of a 6 × 32 tile. Per element it does the
/// same operations in the same order, so results do not depend on which kernel ran.
@inline(__always)
func kernel6x16(kc: Int, a: Sliver, b: UnsafePointer<Float>, bStep: Int,
                c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, addToC: Bool) {
    let rs = a.rowStride, last = rows - 1
    let o1 = min(1, last) * rs, o2 = min(2, last) * rs, o3 = min(3, last) * rs
    let o4 = min(4, last) * rs, o5 = min(5, last) * rs
    var c0 = Vec(), c1 = Vec(), c2 = Vec(), c3 = Vec(), c4 = Vec(), c5 = Vec()
    var ap = a.base, bp = b
    for _ in 0..<kc {
        let b0 = load16(bp)
        c0.addProduct(Vec(repeating: ap[0]), b0)
        c1.addProduct(Vec(repeating: ap[o1]), b0)
        c2.addProduct(Vec(repeating: ap[o2]), b0)
        c3.addProduct(Vec(repeating: ap[o3]), b0)
        c4.addProduct(Vec(repeating: ap[o4]), b0)
        c5.addProduct(Vec(repeating: ap[o5]), b0)
        ap += a.step
        bp += bStep
    }
    let zero = Vec()
    writeRow(c, c0, zero, cols: cols, addToC: addToC)
    if rows > 1 { writeRow(c + ldc, c1, zero, cols: cols, addToC: addToC) }
    if rows > 2 { writeRow(c + 2 * ldc, c2, zero, cols: cols, addToC: addToC) }
    if rows > 3 { writeRow(c + 3 * ldc, c3, zero, cols: cols, addToC: addToC) }
    if rows > 4 { writeRow(c + 4 * ldc, c4, zero, cols: cols, addToC: addToC) }
    if rows > 5 { writeRow(c + 5 * ldc, c5, zero, cols: cols, addToC: addToC) }
}

/// Writes (or adds) the first `cols` lanes of v0 ‖ v1 to dst[0..<cols].
@inline(__always)
func writeRow(_ dst: UnsafeMutablePointer<Float>, _ v0: Vec, _ v1: Vec, cols: Int, addToC: Bool) {
    if cols == 32 {
        store16(addToC ? load16(dst) + v0 : v0, dst)
        store16(addToC ? load16(dst + 16) + v1 : v1, dst + 16)
        return
    }
    var rest = cols, first = v0, second = v1, out = dst
    if rest >= 16 {
        store16(addToC ? load16(out) + first : first, out)
        out += 16; rest -= 16; first = second; second = Vec()
    }
    for lane in 0..<rest { out[lane] = addToC ? out[lane] + first[lane] : first[lane] }
}

// MARK: - Packing

/// Copies rows `rows` (a block of k) × `count` whole panels of a row-major B, starting at
/// column j0, into consecutive panels. It goes row by row, so B is read sequentially (as
/// the memory system likes best) and each row's 32-float pieces go to their panels.
func packBRows(_ B: Operand, rows: Range<Int>, j0: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
    let kc = rows.count
    var src = B.base + rows.lowerBound * B.rowStride + j0
    for p in 0..<kc {
        var s = src, d = dst + 32 * p
        for _ in 0..<count {
            store16(load16(s), d)
            store16(load16(s + 16), d + 16)
            s += 32
            d += 32 * kc
        }
        src += B.rowStride
    }
}

/// Copies rows `rows` (a block of k) × columns `j0 ..< j0 + width` of op(B) into one panel
/// of 32 columns: for each p in order, the 32 values B(p, j0 + c) side by side, zero past
/// `width`.
func packBPanel(_ B: Operand, rows: Range<Int>, j0: Int, width: Int, into dst: UnsafeMutablePointer<Float>) {
    let kc = rows.count
    if B.colStride == 1 {
        // row-major B: each p is a contiguous piece of a row
        var src = B.base + rows.lowerBound * B.rowStride + j0
        if width == 32 {
            for p in 0..<kc {
                store16(load16(src), dst + 32 * p)
                store16(load16(src + 16), dst + 32 * p + 16)
                src += B.rowStride
            }
        } else {
            for p in 0..<kc {
                let d = dst + 32 * p
                for col in 0..<width { d[col] = src[col] }
                for col in width..<32 { d[col] = 0 }
                src += B.rowStride
            }
        }
    } else {
        // transposed B (stored n × k): column j of op(B) is row j of storage. Each 16 × 16
        // block (16 columns × 16 p) is loaded as 16 vectors, transposed in registers, and
        // stored as 16 rows of the panel. Ragged blocks go through a zero-padded copy.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 256) { t in
            let tmp = t.baseAddress!
            for p0 in stride(from: 0, to: kc, by: 16) {
                let count = min(16, kc - p0)
                for half in 0..<2 {
                    let c0 = 16 * half, cols = min(16, max(0, width - c0))
                    let src = B.base + (j0 + c0) * B.colStride + rows.lowerBound + p0
                    var block: Block16
                    if cols == 16 && count == 16 {
                        block = loadBlock16(src, stride: B.colStride)
                    } else {
                        tmp.update(repeating: 0, count: 256)
                        for col in 0..<cols { (tmp + 16 * col).update(from: src + col * B.colStride, count: count) }
                        block = loadBlock16(UnsafePointer(tmp), stride: 16)
                    }
                    storeBlock16(transpose16(block), dst + 32 * p0 + c0, stride: 32, rows: count)
                }
            }
        }
    }
}

// MARK: - 16 × 16 transpose

typealias Block16 = (Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec, Vec)

@inline(__always) func loadBlock16(_ p: UnsafePointer<Float>, stride: Int) -> Block16 {
    (load16(p), load16(p + stride), load16(p + 2 * stride), load16(p + 3 * stride),
     load16(p + 4 * stride), load16(p + 5 * stride), load16(p + 6 * stride), load16(p + 7 * stride),
     load16(p + 8 * stride), load16(p + 9 * stride), load16(p + 10 * stride), load16(p + 11 * stride),
     load16(p + 12 * stride), load16(p + 13 * stride), load16(p + 14 * stride), load16(p + 15 * stride))
}

/// Stores the first `rows` vectors of a block, `stride` floats apart.
@inline(__always) func storeBlock16(_ b: Block16, _ p: UnsafeMutablePointer<Float>, stride: Int, rows: Int) {
    withUnsafeBytes(of: b) { raw in
        for i in 0..<rows { store16(raw.load(fromByteOffset: 64 * i, as: Vec.self), p + i * stride) }
    }
}

/// Transposes a 16 × 16 block held in 16 vectors. One round takes rows pairwise and makes
/// row i of the result from the even lanes of rows 2i and 2i + 1 (and row i + 8 from their
/// odd lanes). Numbering an element by its 4 row bits then 4 column bits, a round rotates
/// those 8 bits right by one; four rounds swap row and column bits: the transpose.
@inline(__always) func transpose16(_ block: Block16) -> Block16 {
    @inline(__always) func unzip(_ x: Vec, _ y: Vec) -> (Vec, Vec) {
        (Vec(lowHalf: x.evenHalf, highHalf: y.evenHalf), Vec(lowHalf: x.oddHalf, highHalf: y.oddHalf))
    }
    @inline(__always) func round(_ r: Block16) -> Block16 {
        let (a0, b0) = unzip(r.0, r.1), (a1, b1) = unzip(r.2, r.3)
        let (a2, b2) = unzip(r.4, r.5), (a3, b3) = unzip(r.6, r.7)
        let (a4, b4) = unzip(r.8, r.9), (a5, b5) = unzip(r.10, r.11)
        let (a6, b6) = unzip(r.12, r.13), (a7, b7) = unzip(r.14, r.15)
        return (a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7)
    }
    return round(round(round(round(block))))
}
