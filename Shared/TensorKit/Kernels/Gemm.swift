// Matrix multiplication, the kernel under every linear layer and attention score.
//
// How it is fast, in plain Swift (measured on a 2-core AMD EPYC with AVX-512, where one
// core does at most one 16-float fused multiply-add per cycle, ≈ 116 GFLOP/s):
//
// 1. The **micro-kernel** (GemmKernels.swift) computes a 6 × 32 tile of C in 12 registers:
//    for each p it loads 32 floats of B, broadcasts 6 floats of A and does 12 fused
//    multiply-adds. Nothing but arithmetic happens in its loop; it runs at ≈ 116 GFLOP/s.
//
// 2. **Blocking** keeps what the kernel reads close to the core:
//    - k is cut into blocks of `kc` = 256 (k = 600 → 256 + 256 + 88). A tile of C is read
//      and written once per block, so deep blocks mean few trips for C; one 256 × 32 panel
//      of B (32 KB) stays in the core's caches (32 KB L1, 1 MB L2) while it is used. (512
//      measured 2 % faster at 1024², but would change every product with k > 256 in the
//      last bits, and with them the course's recorded outputs.)
//    - Rows are cut into blocks of `mc` = 96 (16 slivers of 6 rows). The kernel walks down
//      the 16 slivers for one panel of B before moving to the next panel, so every panel
//      is fetched once and reused 16 times from cache.
//    - Columns are cut into blocks of `nc` = 1024 so that a packed block of B stays bounded
//      (kc × nc floats = 1 MB), even for a 50,257-word vocabulary.
//
// 3. **Packing** copies B into panels of 32 columns, each p's 32 values side by side, so the
//    kernel reads one contiguous stream. A transposed B (a linear layer's weight, stored
//    out × in) is packed with 16 × 16 transposes in registers, so it is never materialised.
//    A row-major B is read in place when the copy would not pay for itself: when m < 128,
//    or when B is small enough (≤ 512 KB) to stay in cache anyway.
//    A is never copied: the kernel reads its six rows (or, transposed, six adjacent
//    columns) in place through strides. BLIS-style libraries pack A too; here six
//    sequential streams suit the hardware prefetchers, and skipping the copy matters for
//    the course's narrow products (n = 128), where it cost about 10 %.
//
// 4. **Threads**: C is cut into bands of columns (or of rows, when it is narrow), one per
//    task on a persistent pool (ParallelFor.swift, WorkerPool.swift); each task packs its own B. Work is split
//    over rows and columns of C only, never over k, and every element is summed in the same
//    order (p ascending within a block, block sums added to C in order) whichever task
//    computes it. So the result is identical to the bit for any thread count.
//
// Products with few rows skip all this (GemmSmall.swift): tiny ones use a triple loop, and
// a few rows times a transposed weight (tokens at generation time) use dot products that
// stream the weight once without copying it.

// MARK: - Entry points

/// C[m×n] = (accumulate ? C : 0) + op(A)[m×k] · op(B)[k×n], all row-major.
/// op(A) = A (stored m×k, row stride lda) or Aᵀ when transA (A stored k×m, row stride lda);
/// op(B) = B (stored k×n, row stride ldb) or Bᵀ when transB (B stored n×k, row stride ldb).
///
///     // x · Wᵀ for x (rows × in) and a weight W stored (out × in)
///     gemm(m: rows, n: out, k: in, a: x, lda: in, transA: false,
///          b: w, ldb: in, transB: true, c: y, ldc: out, accumulate: false)
///
/// Uses up to `TensorKitConfig.threadCount` threads when m·n·k ≥ 64³; the result does not
/// depend on the thread count.
public func gemm(m: Int, n: Int, k: Int,
                 a: UnsafePointer<Float>, lda: Int, transA: Bool,
                 b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                 c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    precondition(m >= 0 && n >= 0 && k >= 0, "gemm: negative size m \(m), n \(n), k \(k)")
    precondition(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n,
                 "gemm: row strides lda \(lda), ldb \(ldb), ldc \(ldc) too small for m \(m), n \(n), k \(k) (transA \(transA), transB \(transB))")
    if m == 0 || n == 0 { return }
    if k == 0 {
        if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    let A = Operand(base: a, rowStride: transA ? 1 : lda, colStride: transA ? lda : 1)   // (m, k)
    let B = Operand(base: b, rowStride: transB ? 1 : ldb, colStride: transB ? ldb : 1)   // (k, n)
    if m * n * k <= GemmBlocking.naiveWork {
        naiveGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    } else if transB && (m < GemmBlocking.mr || (k >= GemmBlocking.dotDepthPerRow * m && m * k <= GemmBlocking.dotMaxA)) {
        dotGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    } else if m < GemmBlocking.mr {
        axpyGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    } else {
        blockedGemm(m: m, n: n, k: k, A, B, c: c, ldc: ldc, accumulate: accumulate)
    }
}

/// `batch` independent products C_i = (accumulate ? C_i : 0) + op(A_i) · op(B_i), as `gemm`;
/// the matrices of item i start i · strideA, i · strideB, i · strideC floats after a, b, c.
/// A stride of 0 shares one matrix across the batch (a broadcast operand).
///
///     // attention scores of 64 (batch × head) items: Q·Kᵀ, each (128 × 32) · (32 × 128)
///     gemmBatched(batch: 64, m: 128, n: 128, k: 32, a: queries, lda: 32, strideA: 128 * 32, transA: false,
///                 b: keys, ldb: 32, strideB: 128 * 32, transB: true,
///                 c: scores, ldc: 128, strideC: 128 * 128, accumulate: false)
///
/// Small products (below 128³) run whole, one per task, on all threads; large ones run one
/// after another, each on all threads. Either way each result is the one `gemm` gives.
public func gemmBatched(batch: Int, m: Int, n: Int, k: Int,
                        a: UnsafePointer<Float>, lda: Int, strideA: Int, transA: Bool,
                        b: UnsafePointer<Float>, ldb: Int, strideB: Int, transB: Bool,
                        c: UnsafeMutablePointer<Float>, ldc: Int, strideC: Int, accumulate: Bool) {
    precondition(batch >= 0 && strideA >= 0 && strideB >= 0, "gemmBatched: negative batch \(batch) or stride (\(strideA), \(strideB))")
    precondition(batch <= 1 || m == 0 || n == 0 || strideC >= (m - 1) * ldc + n,
                 "gemmBatched: results overlap: strideC \(strideC) < (m − 1) · ldc + n for m \(m), n \(n), ldc \(ldc)")
    @inline(__always) func item(_ i: Int) {
        gemm(m: m, n: n, k: k, a: a + i * strideA, lda: lda, transA: transA,
             b: b + i * strideB, ldb: ldb, transB: transB, c: c + i * strideC, ldc: ldc, accumulate: accumulate)
    }
    if m * n * k >= GemmBlocking.batchItemWork {
        for i in 0..<batch { item(i) }
    } else {
        // a few items per task: inside a task, each gemm runs on its thread alone
        let tasks = batch * m * n * k >= GemmBlocking.parallelWork ? min(batch, 4 * TensorKitConfig.threadCount) : 1
        parallelFor(tasks) { task in
            for i in (batch * task / tasks)..<(batch * (task + 1) / tasks) { item(i) }
        }
    }
}

/// A matrix read through strides, so that a transpose is just swapped strides:
/// element (row, col) is `base[row * rowStride + col * colStride]`.
struct Operand {
    let base: UnsafePointer<Float>
    let rowStride: Int
    let colStride: Int

    /// Element (row, col). Wrapping arithmetic: gemm checked its sizes once, so the offset of an
    /// element inside the matrix cannot overflow, and the hot loops that read through this carry
    /// no overflow checks.
    @inline(__always) subscript(row: Int, col: Int) -> Float { base[row &* rowStride &+ col &* colStride] }
}

/// The sizes that shape the computation (see the top of this file for why).
enum GemmBlocking {
    /// Rows and columns of the micro-kernel's tile of C.
    static let mr = 6, nr = 32
    /// Depth of a block of k.
    static let kc = 256
    /// Rows of C per task (a multiple of mr).
    static let mc = 96
    /// Widest block of columns a task packs at once (a multiple of nr): its buffer holds
    /// kc × nc floats (1 MB).
    static let nc = 1024
    /// A row-major B is read in place when fewer rows than this use it (the copy would not
    /// pay for itself), or when it holds at most this many floats (512 KB: it stays in the
    /// L2 cache whatever its layout, and a copy would only add a pass over it).
    static let packBMinRows = 128, inPlaceBMaxFloats = 1 << 17
    /// With B transposed, dot products (no copy of B) beat packing B when k ≥ 8·m: each C
    /// element's 16 partial sums cost a final horizontal sum, negligible only for long k,
    /// while the copy of B costs more the fewer rows use it. Measured: k = 768 → up to
    /// m ≈ 100; k = 128 → m < 16. A must be small enough to stay in L2 (2¹⁸ floats, 1 MB).
    static let dotDepthPerRow = 8, dotMaxA = 1 << 18
    /// Products of at most this many multiply-adds (m·n·k) use the plain triple loop.
    static let naiveWork = 16 * 16 * 16
    /// Products of at least this many multiply-adds are split across threads.
    static let parallelWork = 64 * 64 * 64
    /// Batched items of at least this many multiply-adds are each split across threads.
    static let batchItemWork = 128 * 128 * 128
}

// MARK: - The blocked product

/// The general case (see the top of this file): C is cut into bands, one per task. With
/// enough columns the bands are column ranges (every row), otherwise row ranges (every
/// column). Each task packs the B it needs into its own buffer, so no memory written by
/// one core is read by another: on a busy machine, cores handing a shared packed B back
/// and forth through the L3 cache lost a fifth of the speed.
func blockedGemm(m: Int, n: Int, k: Int, _ A: Operand, _ B: Operand,
                 c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let (mr, nr) = (GemmBlocking.mr, GemmBlocking.nr)
    let panels = (n + nr - 1) / nr
    let slivers = (m + mr - 1) / mr
    let threads = m * n * k >= GemmBlocking.parallelWork ? max(1, TensorKitConfig.threadCount) : 1
    // At least 4 panels (128 columns) per band when splitting columns; two bands per thread
    // when there is room, so that a thread slowed by other programs is helped by the other.
    let byColumns = threads > 1 && panels >= 4 * threads
    let tasks = threads == 1 ? 1 : byColumns ? threads * (panels >= 8 * threads ? 2 : 1)
                                             : min(slivers, threads * (slivers >= 32 * threads ? 2 : 1))
    let readBInPlace = B.colStride == 1 && (m < GemmBlocking.packBMinRows || k * n <= GemmBlocking.inPlaceBMaxFloats)
    parallelFor(tasks) { task in
        let share = { (count: Int) in (count * task / tasks)..<(count * (task + 1) / tasks) }
        let rows = byColumns ? 0..<m : share(slivers).clamped(scale: mr, limit: m)
        let band = byColumns ? share(panels) : 0..<panels
        multiplyBand(rows: rows, panels: band, n: n, k: k, A, B, readBInPlace: readBInPlace,
                     c: c, ldc: ldc, accumulate: accumulate)
    }
}

extension Range where Bound == Int {
    /// The range scaled by `scale` and cut at `limit`: slivers 2..<4 of 6 rows → rows 12..<24.
    fileprivate func clamped(scale: Int, limit: Int) -> Range<Int> {
        Swift.min(limit, lowerBound * scale)..<Swift.min(limit, upperBound * scale)
    }
}

/// Computes rows `rows` × panels `panels` (32 columns each) of C, all of k: for each block
/// of at most nc columns and each block of kc of k, packs that block of B into a buffer of
/// its own, then runs the micro-kernel over row blocks of mc rows; within a row block it
/// goes down the slivers for one panel before moving to the next, so each panel is reused
/// mc / 6 times while in cache.
func multiplyBand(rows: Range<Int>, panels: Range<Int>, n: Int, k: Int, _ A: Operand, _ B: Operand,
                  readBInPlace: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
    let (mr, nr, mc) = (GemmBlocking.mr, GemmBlocking.nr, GemmBlocking.mc)
    let kc = min(k, GemmBlocking.kc), blockPanels = GemmBlocking.nc / nr
    let fullPanels = n / nr                       // panels of 32 columns; a last ragged one is always packed
    let packedPanels = readBInPlace ? (panels.upperBound > fullPanels ? 1 : 0) : min(panels.count, blockPanels)
    // A plain take and give back, not `withScratch`: the kernels below must inline into this
    // function, and inside a closure the compiler stopped inlining their SIMD loads.
    let scratchCount = max(1, kc * nr * packedPanels)
    let buffer = BufferPool.shared.take(scratchCount)
    defer { BufferPool.shared.giveBack(buffer, count: scratchCount) }
    for first in stride(from: panels.lowerBound, to: panels.upperBound, by: blockPanels) {
        let block = first..<min(panels.upperBound, first + blockPanels)
        for p0 in stride(from: 0, to: k, by: kc) {
            let depth = min(kc, k - p0)
            let addToC = accumulate || p0 > 0
            /// Where panel `panel` of this block of B is read: in place, or in the buffer.
            @inline(__always) func source(_ panel: Int) -> (UnsafePointer<Float>, Int) {
                if readBInPlace && panel < fullPanels { return (B.base + p0 * B.rowStride + nr * panel, B.rowStride) }
                return (UnsafePointer(buffer + nr * depth * (readBInPlace ? 0 : panel - block.lowerBound)), nr)
            }
            // 1. Pack: whole panels of a row-major B row by row (B read sequentially); the
            //    others (transposed B, a ragged last panel) one panel at a time.
            var panel = block.lowerBound
            if B.colStride == 1 && !readBInPlace {
                let whole = min(block.upperBound, fullPanels) - panel
                if whole > 0 {
                    packBRows(B, rows: p0..<(p0 + depth), j0: nr * panel, count: whole, into: buffer)
                    panel += whole
                }
            }
            for panel in panel..<block.upperBound where !(readBInPlace && panel < fullPanels) {
                packBPanel(B, rows: p0..<(p0 + depth), j0: nr * panel, width: min(nr, n - nr * panel),
                           into: UnsafeMutablePointer(mutating: source(panel).0))
            }
            // 2. Multiply.
            for i0 in stride(from: rows.lowerBound, to: rows.upperBound, by: mc) {
                let i1 = min(rows.upperBound, i0 + mc)
                for panel in block {
                    let (b, bStep) = source(panel)
                    let cols = min(nr, n - nr * panel)
                    for r0 in stride(from: i0, to: i1, by: mr) {
                        let a = Sliver(base: A.base + r0 * A.rowStride + p0 * A.colStride,
                                       rowStride: A.rowStride, step: A.colStride)
                        let out = c + r0 * ldc + nr * panel
                        let height = min(mr, i1 - r0)
                        if cols > 16 {
                            kernel6x32(kc: depth, a: a, b: b, bStep: bStep, c: out, ldc: ldc, rows: height, cols: cols, addToC: addToC)
                        } else {
                            kernel6x16(kc: depth, a: a, b: b, bStep: bStep, c: out, ldc: ldc, rows: height, cols: cols, addToC: addToC)
                        }
                    }
                }
            }
        }
    }
}
