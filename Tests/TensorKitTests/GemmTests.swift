import TestSupport
import XCTest
@testable import TensorKit

/// The matmul kernel against a plain triple loop in double precision, for shapes that reach
/// every path (triple loop, dot products, scaled rows, blocked with B packed or read in
/// place, several k blocks and column blocks, ragged edges), all four transpose
/// combinations, accumulation, and row strides wider than the matrices. Then: the same bits
/// whatever the thread count.
final class GemmTests: XCTestCase {
    /// Deterministic pseudo-random floats in [-1, 1) (xorshift64).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// Runs gemm with row strides 3 wider than needed and compares every element with a
    /// double-precision triple loop; checks that the padding of C is never touched.
    func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, accumulate: Bool,
               file: StaticString = #filePath, line: UInt = #line) {
        let pad = 3
        let lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad
        let a = values((transA ? k : m) * lda, seed: UInt64(m * 31 + k))
        let b = values((transB ? n : k) * ldb, seed: UInt64(n * 17 + k + 1))
        var c = values(m * ldc, seed: 99)
        let c0 = c
        gemm(m: m, n: n, k: k, a: a, lda: lda, transA: transA, b: b, ldb: ldb, transB: transB,
             c: &c, ldc: ldc, accumulate: accumulate)
        var worst = 0.0, untouched = true
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<m {
                    for j in 0..<n {
                        var s = accumulate ? Double(c0[i * ldc + j]) : 0
                        for p in 0..<k {
                            let x = transA ? a[p * lda + i] : a[i * lda + p]
                            let y = transB ? b[j * ldb + p] : b[p * ldb + j]
                            s += Double(x) * Double(y)
                        }
                        worst = worse(worst, abs(Double(c[i * ldc + j]) - s) / (1 + abs(s)))
                    }
                    for j in n..<ldc where c[i * ldc + j] != c0[i * ldc + j] { untouched = false }
                }
            }
        }
        let label = "m \(m) n \(n) k \(k) transA \(transA) transB \(transB) accumulate \(accumulate)"
        XCTAssertTrue(untouched, "padding of C written: \(label)", file: file, line: line)
        // float32 sums of k terms of size ≤ 1: the error grows like √k · 2⁻²⁴
        XCTAssertLessThan(worst, 1e-6 * Double(max(k, 1)).squareRoot() + 1e-6, label, file: file, line: line)
    }

    func checkAllLayouts(_ m: Int, _ n: Int, _ k: Int, file: StaticString = #filePath, line: UInt = #line) {
        for transA in [false, true] {
            for transB in [false, true] {
                check(m: m, n: n, k: k, transA: transA, transB: transB, accumulate: false, file: file, line: line)
            }
        }
        check(m: m, n: n, k: k, transA: false, transB: true, accumulate: true, file: file, line: line)
        check(m: m, n: n, k: k, transA: true, transB: false, accumulate: true, file: file, line: line)
    }

    func testTinyProductsUseTheTripleLoop() {
        for (m, n, k) in [(1, 1, 1), (6, 3, 2), (2, 7, 5), (3, 6, 3), (16, 16, 16)] { checkAllLayouts(m, n, k) }
    }

    /// m < 6 (dot products when B is transposed, scaled rows of B otherwise), and B
    /// transposed with k ≥ 8·m (dot products).
    func testFewRows() {
        for (m, n, k) in [(1, 300, 70), (3, 129, 64), (5, 64, 300), (5, 17, 1000), (4, 100, 33),
                          (1, 1, 4097), (2, 65, 16), (31, 40, 300), (12, 77, 97), (6, 5, 200), (9, 70, 2000)] {
            checkAllLayouts(m, n, k)
        }
    }

    /// The blocked product: ragged slivers and panels (the 6 × 16 kernel for ≤ 16 leftover
    /// columns), B read in place (m < 128 or B small) or packed, k in several blocks
    /// (k > 256), C split into bands of rows or (n ≥ 256) of columns.
    func testBlocked() {
        for (m, n, k) in [(6, 32, 1), (7, 33, 17), (13, 50, 100), (64, 64, 64), (97, 61, 263), (200, 33, 9),
                          (67, 257, 129), (300, 16, 40), (131, 17, 700), (130, 270, 513), (140, 48, 1100)] {
            checkAllLayouts(m, n, k)
        }
    }

    /// Bands wider than 1024 columns: several blocks of packed B per band.
    func testWideProducts() {
        checkAllLayouts(8, 4200, 20)
        checkAllLayouts(130, 4130, 35)
    }

    func testZeroSizes() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        gemm(m: 2, n: 2, k: 0, a: a, lda: 0, transA: false, b: b, ldb: 2, transB: false, c: &c, ldc: 2, accumulate: true)
        XCTAssertEqual(c, [1, 2, 3, 4], "k = 0 with accumulate leaves C")
        gemm(m: 0, n: 2, k: 3, a: a, lda: 3, transA: false, b: b, ldb: 2, transB: false, c: &c, ldc: 2, accumulate: false)
        gemm(m: 2, n: 0, k: 3, a: a, lda: 3, transA: false, b: b, ldb: 0, transB: false, c: &c, ldc: 2, accumulate: false)
        XCTAssertEqual(c, [1, 2, 3, 4], "m = 0 or n = 0 writes nothing")
        gemm(m: 2, n: 2, k: 0, a: a, lda: 0, transA: false, b: b, ldb: 2, transB: false, c: &c, ldc: 2, accumulate: false)
        XCTAssertEqual(c, [0, 0, 0, 0], "k = 0 without accumulate clears C")
    }

    /// A 2 × 3 by 3 × 2 product worked by hand.
    func testByHand() {
        let a: [Float] = [1, 2, 3,
                          4, 5, 6]
        let b: [Float] = [7, 8,
                          9, 10,
                          11, 12]
        var c = [Float](repeating: 0, count: 4)
        gemm(m: 2, n: 2, k: 3, a: a, lda: 3, transA: false, b: b, ldb: 2, transB: false, c: &c, ldc: 2, accumulate: false)
        XCTAssertEqual(c, [58, 64, 139, 154])
    }

    // MARK: - Batches

    func testBatchedMatchesOneByOne() {
        for (batch, m, n, k, shareB) in [(7, 20, 24, 16, false), (5, 33, 40, 70, true), (3, 130, 140, 150, false)] {
            for (transA, transB) in [(false, false), (false, true), (true, false)] {
                let a = values(batch * m * k, seed: 1), b = values(batch * k * n, seed: 2)
                let strideB = shareB ? 0 : k * n
                var batched = [Float](repeating: 0, count: batch * m * n)
                gemmBatched(batch: batch, m: m, n: n, k: k, a: a, lda: transA ? m : k, strideA: m * k, transA: transA,
                            b: b, ldb: transB ? k : n, strideB: strideB, transB: transB,
                            c: &batched, ldc: n, strideC: m * n, accumulate: false)
                var single = [Float](repeating: 0, count: batch * m * n)
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        single.withUnsafeMutableBufferPointer { c in
                            for i in 0..<batch {
                                gemm(m: m, n: n, k: k, a: a.baseAddress! + i * m * k, lda: transA ? m : k, transA: transA,
                                     b: b.baseAddress! + i * strideB, ldb: transB ? k : n, transB: transB,
                                     c: c.baseAddress! + i * m * n, ldc: n, accumulate: false)
                            }
                        }
                    }
                }
                XCTAssertEqual(batched, single, "batch \(batch) m \(m) n \(n) k \(k) transA \(transA) transB \(transB)")
                // and item 1 against the reference loop
                var worst: Float = 0
                for i in 0..<m {
                    for j in 0..<n {
                        var s = 0.0
                        for p in 0..<k {
                            let x = transA ? a[m * k + p * m + i] : a[m * k + i * k + p]
                            let y = transB ? b[strideB + j * k + p] : b[strideB + p * n + j]
                            s += Double(x) * Double(y)
                        }
                        worst = worse(worst, abs(batched[m * n + i * n + j] - Float(s)))
                    }
                }
                XCTAssertLessThan(worst, 1e-4)
            }
        }
    }

    // MARK: - Determinism

    /// The same products with 1, 2 and 3 threads (which split rows and columns differently)
    /// are identical to the bit, on every path that uses threads.
    func testDeterministicAcrossThreadCounts() {
        let saved = TensorKitConfig.threadCount
        defer { TensorKitConfig.threadCount = saved }
        let cases: [(m: Int, n: Int, k: Int, transA: Bool, transB: Bool)] = [
            (300, 200, 700, false, false),   // blocked, bands of rows, B packed, three k blocks
            (257, 130, 1030, true, true),    // blocked, bands of rows, transposed operands
            (150, 600, 300, false, false),   // blocked, bands of columns, B packed row by row
            (100, 2100, 50, true, true),     // blocked, bands of columns wider than 1024
            (100, 300, 200, false, false),   // blocked, B read in place
            (128, 65, 128, false, true),     // blocked, 6 × 16 kernel at the edge
            (20, 1000, 600, false, true),    // dot products
            (3, 999, 300, false, false),     // scaled rows
        ]
        for t in cases {
            let a = values(t.m * t.k, seed: 5), b = values(t.k * t.n, seed: 6)
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                TensorKitConfig.threadCount = threads
                var c = [Float](repeating: 0, count: t.m * t.n)
                gemm(m: t.m, n: t.n, k: t.k, a: a, lda: t.transA ? t.m : t.k, transA: t.transA,
                     b: b, ldb: t.transB ? t.k : t.n, transB: t.transB, c: &c, ldc: t.n, accumulate: false)
                results.append(c)
            }
            XCTAssertEqual(results[0], results[1], "1 vs 2 threads: \(t)")
            XCTAssertEqual(results[0], results[2], "1 vs 3 threads: \(t)")
        }
        // a batch of small products, one per task
        let (batch, m, n, k) = (16, 64, 64, 32)
        let a = values(batch * m * k, seed: 7), b = values(batch * k * n, seed: 8)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            TensorKitConfig.threadCount = threads
            var c = [Float](repeating: 0, count: batch * m * n)
            gemmBatched(batch: batch, m: m, n: n, k: k, a: a, lda: k, strideA: m * k, transA: false,
                        b: b, ldb: k, strideB: k * n, transB: true, c: &c, ldc: n, strideC: m * n, accumulate: false)
            results.append(c)
        }
        XCTAssertEqual(results[0], results[1], "batched, 1 vs 2 threads")
        XCTAssertEqual(results[0], results[2], "batched, 1 vs 3 threads")
    }
}
