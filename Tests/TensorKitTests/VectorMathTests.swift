import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// The 16-lane exp and tanh of the elementwise kernels against the C library's, over their
/// whole useful range: the accuracy VectorMath.swift promises.
final class VectorMathTests: XCTestCase {
    /// Every 64th float bit pattern in [−87.3, 88.7]: about a million values of exp.
    func testExpIsWithinTwoUlpOfTheCLibrary() {
        var worst: Float = 0, worstAt: Float = 0
        var bits = (-87.33654 as Float).bitPattern
        var lanes = SIMD16<Float>()
        var filled = 0
        func check() {
            let got = vectorExp(lanes)
            for i in 0..<filled {
                let expected = Foundation.exp(lanes[i])
                let ulps = abs(got[i] - expected) / expected.ulp
                if ulps.isNaN || ulps > worst { (worst, worstAt) = (worse(worst, ulps), lanes[i]) }
            }
            filled = 0
        }
        // negative values: bit patterns count down towards 0 from −87.3
        while bits > (-0.0 as Float).bitPattern {
            lanes[filled] = Float(bitPattern: bits); filled += 1
            if filled == 16 { check() }
            bits = bits >= 64 + (-0.0 as Float).bitPattern ? bits - 64 : (-0.0 as Float).bitPattern
        }
        bits = 0
        while Float(bitPattern: bits) <= 88.72283 {
            lanes[filled] = Float(bitPattern: bits); filled += 1
            if filled == 16 { check() }
            bits += 64
        }
        check()
        XCTAssertLessThanOrEqual(worst, 2, "largest error \(worst) ulp at x = \(worstAt)")
    }

    func testExpEdges() {
        let x = SIMD16<Float>(-Float.infinity, -200, -87.4, 0, 1, -1, 88.8, 200, .infinity,
                              0.5, -0.5, 10, -10, 50, -50, 88.7)
        let y = vectorExp(x)
        XCTAssertEqual(y[0], 0); XCTAssertEqual(y[1], 0); XCTAssertEqual(y[2], 0)
        XCTAssertEqual(y[3], 1)
        XCTAssertEqual(y[6], .infinity); XCTAssertEqual(y[7], .infinity); XCTAssertEqual(y[8], .infinity)
        XCTAssertEqual(y[4], Float(M_E), accuracy: 2 * Float(M_E).ulp)
    }

    /// tanh over [−12, 12] in steps of 2⁻¹²: absolute error below 1.5e-7, and odd.
    func testTanhIsWithinItsStatedError() {
        var worst: Float = 0
        var x: Float = -12
        while x <= 12 {
            var lanes = SIMD16<Float>()
            for i in 0..<16 { lanes[i] = x + Float(i) / 4096 }
            let got = vectorTanh(lanes), mirrored = vectorTanh(-lanes)
            for i in 0..<16 {
                worst = worse(worst, abs(got[i] - Foundation.tanh(lanes[i])))
                XCTAssertEqual(mirrored[i], -got[i])
            }
            x += 16 / 4096
        }
        XCTAssertLessThan(worst, 1.5e-7)
        XCTAssertEqual(vectorTanh(SIMD16(repeating: 30))[0], 1, accuracy: 1e-7)
        XCTAssertEqual(vectorTanh(SIMD16(repeating: 0))[0], 0)
    }
}
