import XCTest
@testable import TensorKit

/// The matmul kernel against a plain triple loop in double precision, for shapes that hit
/// every path (tiny, skinny, packed, ragged edges) and all four transpose combinations.
final class GemmTests: XCTestCase {
    /// Deterministic pseudo-random floats in [-1, 1).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
    }

    /// Runs gemm with padded leading dimensions and compares with the reference.
    func check(m: Int, n: Int, k: Int, transA: Bool, transB: Bool, accumulate: Bool, file: StaticString = #filePath, line: UInt = #line) {
        let (pad) = 3
        let lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad
        let a = values((transA ? k : m) * lda, seed: UInt64(m * 31 + k))
        let b = values((transB ? n : k) * ldb, seed: UInt64(n * 17 + k + 1))
        var c = values(m * ldc, seed: 99)
        let c0 = c
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, transA: transA, b: bp.baseAddress!, ldb: ldb, transB: transB,
                 c: cp.baseAddress!, ldc: ldc, accumulate: accumulate)
        } } }
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var s = accumulate ? Double(c0[i * ldc + j]) : 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(av) * Double(bv)
                }
                worst = max(worst, abs(Double(c[i * ldc + j]) - s) / (1 + abs(s)))
            }
            // the padding after each row of C is never touched
            for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j], file: file, line: line) }
        }
        XCTAssertLessThan(worst, 1e-5 * Double(max(k, 1)).squareRoot(), "m \(m) n \(n) k \(k) transA \(transA) transB \(transB)", file: file, line: line)
    }

    func testAgainstTripleLoop() {
        let shapes = [(1, 1, 1), (6, 3, 2), (2, 7, 5), (1, 300, 70), (3, 129, 64), (5, 64, 300), (6, 32, 1),
                      (7, 33, 17), (13, 50, 300), (64, 64, 64), (97, 61, 263), (130, 70, 513), (200, 33, 9)]
        for (m, n, k) in shapes {
            for transA in [false, true] {
                for transB in [false, true] {
                    check(m: m, n: n, k: k, transA: transA, transB: transB, accumulate: false)
                }
            }
            check(m: m, n: n, k: k, transA: false, transB: false, accumulate: true)
        }
    }

    func testZeroDepthClearsOrKeeps() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        gemm(m: 2, n: 2, k: 0, a: a, lda: 1, transA: false, b: b, ldb: 2, transB: false, c: &c, ldc: 2, accumulate: true)
        XCTAssertEqual(c, [1, 2, 3, 4])
        gemm(m: 2, n: 2, k: 0, a: a, lda: 1, transA: false, b: b, ldb: 2, transB: false, c: &c, ldc: 2, accumulate: false)
        XCTAssertEqual(c, [0, 0, 0, 0])
    }

    /// The same product with 1, 2 and 3 threads is identical to the bit.
    func testDeterministicAcrossThreadCounts() {
        let saved = TensorKitConfig.threadCount
        defer { TensorKitConfig.threadCount = saved }
        for (m, n, k) in [(300, 200, 700), (4, 1000, 600)] {
            let a = Tensor(shape: [m, k], data: values(m * k, seed: 5))
            let b = Tensor(shape: [k, n], data: values(k * n, seed: 6))
            var results: [[Float]] = []
            for threads in [1, 2, 3] {
                TensorKitConfig.threadCount = threads
                results.append(a.matmul(b).data)
            }
            XCTAssertEqual(results[0], results[1])
            XCTAssertEqual(results[0], results[2])
        }
    }
}
