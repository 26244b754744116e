// Packed weights (bfloat16, float16, int8 blocks): rounding against the hardware's own
// conversions, widening in registers against the exact scalar decoders, and the packed
// linear layer against the float32 one on the same (rounded) weights.

import TensorKit
@testable import TensorKit
import TestSupport
import XCTest

final class PackedMatrixTests: XCTestCase {
    /// Every float16 and every bfloat16 widens and rounds back to itself (NaNs stay NaN).
    func testSixteenBitRoundTripIsExactForEveryPattern() {
        for bits in 0...UInt16.max {
            let half = float16ToFloat(bits)
            if half.isNaN { XCTAssertTrue(float16ToFloat(floatToFloat16(half)).isNaN) } else {
                XCTAssertEqual(floatToFloat16(half), bits, "float16 \(String(bits, radix: 16))")
            }
            let brain = bfloat16ToFloat(bits)
            if brain.isNaN { XCTAssertTrue(bfloat16ToFloat(floatToBFloat16(brain)).isNaN) } else {
                XCTAssertEqual(floatToBFloat16(brain), bits, "bfloat16 \(String(bits, radix: 16))")
            }
        }
    }

    /// Rounding float32 to float16 agrees with the processor's conversion (Swift's `Float16`)
    /// for a million random bit patterns, ties and out-of-range values included; bfloat16 with
    /// a direct computation: the nearest of the two neighbours, ties to the even one.
    func testRoundingAgreesWithReferences() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<1_000_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: state >> 32))
            if x.isNaN { continue }
            #if !(os(macOS) && arch(x86_64))
            XCTAssertEqual(floatToFloat16(x), Float16(x).bitPattern, "float16 of \(x)")
            #endif
            let down = x.bitPattern & 0xFFFF_0000, up = down &+ 0x1_0000
            let (lo, hi) = (Float(bitPattern: down), Float(bitPattern: up))
            let b = floatToBFloat16(x)
            let chosen = Float(bitPattern: UInt32(b) << 16)
            if x.isInfinite { XCTAssertEqual(chosen, x); continue }
            // past the largest finite bfloat16 the upper neighbour is infinity, which IEEE rounding
            // places where the next value would be with an unbounded exponent: ±2¹²⁸
            let hiValue = hi.isInfinite ? (hi < 0 ? -0x1p128 : 0x1p128) : Double(hi)
            let dLo = abs(Double(x) - Double(lo)), dHi = abs(Double(x) - hiValue)
            if dLo < dHi { XCTAssertEqual(chosen.bitPattern, down, "bfloat16 of \(x)") }
            else if dHi < dLo { XCTAssertEqual(chosen.bitPattern, up, "bfloat16 of \(x)") }
            else { XCTAssertEqual(b & 1, 0, "bfloat16 tie of \(x) must go to even") }
        }
    }

    /// The in-register widening gives the exact scalar decoder's bits for all 65,536 patterns.
    func testVectorWideningMatchesScalarDecoders() {
        let all = (0...UInt16.max).map { $0 }
        all.withUnsafeBufferPointer { p in
            for start in stride(from: 0, to: all.count, by: 16) {
                let half = widenFloat16(p.baseAddress! + start)
                let brain = widenBFloat16(p.baseAddress! + start)
                for lane in 0..<16 {
                    let bits = all[start + lane]
                    XCTAssertEqual(half[lane].bitPattern, float16ToFloat(bits).bitPattern, "float16 \(bits)")
                    XCTAssertEqual(brain[lane].bitPattern, bfloat16ToFloat(bits).bitPattern, "bfloat16 \(bits)")
                }
            }
        }
    }

    /// int8 blocks: each weight is within half a step (scale / 2) of its float32 value, and a
    /// block's largest magnitude is exactly ±127 steps.
    func testInt8QuantisationErrorIsHalfAStep() {
        let w = testTensor([7, 70], seed: 11, low: -3, high: 3)          // ragged: 70 = 2 · 32 + 6
        let q = PackedMatrix(quantizing: w, to: .int8)
        let back = q.unpacked()
        for r in 0..<7 {
            for blk in 0..<3 {
                let range = (blk * 32)..<min(blk * 32 + 32, 70)
                let largest = range.map { abs(w[r, $0]) }.max()!
                let scale = largest / 127
                for c in range {
                    XCTAssertLessThanOrEqual(abs(back[r, c] - w[r, c]), scale / 2 * 1.0001, "(\(r), \(c))")
                }
            }
        }
        XCTAssertEqual(q.byteCount, 7 * 96 + 7 * 3 * 4)
    }

    /// The packed linear layer equals the float32 one on the unpacked weights: the dot path
    /// (1 and 5 rows) and the panel path (40 rows), ragged sizes, with a bias.
    func testPackedLinearMatchesFloat32OnTheSameWeights() {
        for format in PackedFormat.allCases {
            for (n, k) in [(9, 70), (130, 48), (4, 16), (3, 5)] {
                let w = testTensor([n, k], seed: UInt64(n * k), low: -1, high: 1)
                let bias = testTensor([n], seed: 3)
                let q = PackedMatrix(quantizing: w, to: format)
                let exact = q.unpacked()
                for m in [1, 5, 40] {
                    let x = testTensor([m, k], seed: UInt64(m))
                    let got = withNoGrad { q.linear(x, bias: bias) }
                    let want = withNoGrad { Tensor.linear(x, weight: exact, bias: bias) }
                    XCTAssertEqual(got.shape, [m, n])
                    assertMatchesReference("\(format) \(m)×\(k)·\(n)", got, want, relative: 1e-5)
                }
            }
        }
    }

    /// The same bits for 1, 2 and 16 threads, on both paths.
    func testThreadCountDoesNotChangeResults() {
        let saved = TensorKitConfig.threadCount
        defer { TensorKitConfig.threadCount = saved }
        let w = testTensor([300, 256], seed: 5)
        for format in PackedFormat.allCases {
            let q = PackedMatrix(quantizing: w, to: format)
            for m in [1, 64] {
                let x = testTensor([m, 256], seed: 6)
                var results: [[Float]] = []
                for threads in [1, 2, 16] {
                    TensorKitConfig.threadCount = threads
                    results.append(withNoGrad { q.linear(x) }.data)
                }
                XCTAssertEqual(results[0], results[1], "\(format), m \(m): 1 vs 2 threads")
                XCTAssertEqual(results[0], results[2], "\(format), m \(m): 1 vs 16 threads")
            }
        }
    }
}
