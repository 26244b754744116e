import TestSupport
import XCTest
@testable import TensorKit

/// The comparison helpers every reference test relies on cannot be passed by a wrong result:
/// a NaN or an infinity anywhere, on either side, or a length or shape that differs, fails them.
final class ComparisonTests: XCTestCase {
    /// 1,001 values near 1, and the same with `value` at `index`.
    func tensors(_ value: Float, at index: Int) -> (clean: Tensor, spoiled: Tensor) {
        let clean = testTensor([7, 11, 13], seed: 5, low: 0.5, high: 1.5)
        var values = clean.data
        values[index] = value
        return (clean, Tensor(shape: clean.shape, data: values))
    }

    func testANonFiniteElementAnywhereFails() {
        for value in [Float.nan, .infinity, -.infinity] {
            for index in [0, 500, 1000] {               // first, in the middle, last
                let (clean, spoiled) = tensors(value, at: index)
                for (got, reference) in [(spoiled, clean), (clean, spoiled), (spoiled, spoiled)] {
                    let what = "\(value) at \(index)"
                    XCTAssertNotNil(referenceMismatch(got, reference), what)
                    XCTAssertNotNil(referenceMismatch(got, reference, relative: .greatestFiniteMagnitude), what)
                    XCTAssertNotNil(closeMismatch(got, reference, absolute: .infinity), what)
                    XCTAssertNotNil(Comparison(got.data, reference.data).problem, what)
                }
            }
        }
        let (_, spoiled) = tensors(.nan, at: 500)
        XCTAssertEqual(Comparison(spoiled.data, spoiled.data).problem, "element 500 of the result is nan")
    }

    func testShapesAndLengthsMustAgree() {
        let x = testTensor([2, 3], seed: 1)
        XCTAssertNotNil(referenceMismatch(x, x.reshape([3, 2])))
        XCTAssertNotNil(closeMismatch(x, x.reshape([6]), absolute: 1))
        XCTAssertNotNil(closeMismatch(x.data, Array(x.data.prefix(5)), absolute: 1), "zip would stop at the shorter list")
    }

    func testFiniteValuesAreHeldToTheTolerance() {
        let (clean, nudged) = tensors(0.5 + 1e-3, at: 500)       // one element moved from its value by up to 1
        XCTAssertNil(referenceMismatch(clean, clean, relative: 0))
        XCTAssertNil(closeMismatch(clean, clean, absolute: 0))
        XCTAssertNotNil(referenceMismatch(nudged, clean))       // off by far more than 1e-4 × 1.5
        XCTAssertNil(closeMismatch(nudged, clean, absolute: 1.01))
        let c = Comparison(nudged.data, clean.data)
        XCTAssertEqual(c.worstIndex, 500)
        XCTAssertEqual(c.maxDifference, abs(nudged.data[500] - clean.data[500]))
        XCTAssertEqual(c.scale, clean.data.reduce(0) { max($0, abs($1)) })
    }

    /// The AdamW-step check of the Llama reference test: a NaN in the middle of either side fails
    /// it, and so does an element near eps moved by more than 2·lr.
    func testTheAdamWStepCheckCannotBeFooled() {
        let reference = Tensor([0.5, -0.25, 0.125, 1, 0.75, 0.3, 0.2, 0.1, 0.05, 0.4] + [Float](repeating: 0.6, count: 100))
        var gradient = [Float](repeating: 1, count: 110)
        gradient[2] = 3e-7                                     // below 100 · eps: eps decides its move
        let g = Tensor(shape: [110], data: gradient)
        func check(_ values: [Float]) -> String? {
            adamWStepMismatch(Tensor(shape: [110], data: values), reference, firstGradient: g, learningRate: 1e-3, eps: 1e-8)
        }
        var values = reference.data
        XCTAssertNil(check(values))
        values[2] += 1.5e-3                                    // within 2·lr where eps decides
        XCTAssertNil(check(values))
        values[2] += 1e-3
        XCTAssertNotNil(check(values))
        values = reference.data
        values[55] = .nan
        XCTAssertNotNil(check(values))
        XCTAssertNotNil(adamWStepMismatch(reference, Tensor(shape: [110], data: values), firstGradient: g, learningRate: 1e-3, eps: 1e-8))
    }

    func testARunningWorstKeepsANaN() {
        var worst: Float = 0
        for error: Float in [1e-7, .nan, 2e-7, 1e-8] { worst = worse(worst, error) }
        XCTAssertTrue(worst.isNaN)
        XCTAssertEqual([Float(3e-7), 1e-6, 2e-7].reduce(0, worse), 1e-6)
    }
}
