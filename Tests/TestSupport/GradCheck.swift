// A finite-difference gradient checker, shared by the test targets.
//
// Autograd's gradient of a scalar L(x) is compared, element by element, with the central
// difference (L(x + h) − L(x − h)) / 2h. Both are cheap for the small tensors tests use,
// and the difference catches every wrong formula, missing broadcast sum or forgotten
// accumulation — whereas a test of forward values alone would not.

import Foundation
import TensorKit
import XCTest

/// Deterministic test inputs: uniform in [low, high) from the course's (seeded) generator.
public func testTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    TorchGenerator(seed: seed).uniform(shape, low: low, high: high)
}

/// The fixed weighting R of a gradient check: magnitudes in [0.5, 1.5) with random signs, so
/// that every output element counts and ops whose gradient depends on differences between
/// the weights (softmax, normalisations) get gradients well above float32 noise.
func checkWeights(_ shape: [Int]) -> Tensor {
    let magnitudes = testTensor(shape, seed: 4242, low: 0.5, high: 1.5)
    let signs = testTensor(shape, seed: 4243)
    return Tensor(shape: shape, data: zip(magnitudes.data, signs.data).map { $1 < 0 ? -$0 : $0 })
}

/// Checks autograd's gradient of `f` with respect to every tensor in `inputs` against
/// central finite differences, and returns the worst error found.
///
/// The scalar checked is L = Σ f(inputs) ⊙ R for a fixed random R (|R| in [0.5, 1.5), random
/// signs), so every output element matters. For each input element x, the numeric
/// derivative (L(x + h) − L(x − h)) / 2h comes from float32 forward passes whose weighted sum
/// is accumulated in double.
///
/// The error of an element is |autograd − numeric| / max(|autograd|, |numeric|, floor), where
/// `floor` is a tenth of the largest numeric derivative in the check (at least 0.01): a true
/// relative error for the gradients that matter, and no false alarm for gradients near 0,
/// whose finite difference is mostly float32 rounding. With float32, h = 0.01 and inputs of
/// size about 1, correct gradients stay below about 5e-4; a wrong one is off by far more.
///
///     gradCheck("softmax", [testTensor([2, 3], seed: 1)]) { $0[0].softmax(axis: -1) }
///
/// `f` must be deterministic (a dropout inside it must use a freshly seeded generator) and
/// smooth within ±h of the inputs (no ties in max, no input near a kink of relu or abs).
/// Set the environment variable `GRADCHECK_VERBOSE` to print every check's worst error.
@discardableResult
public func gradCheck(_ name: String, _ inputs: [Tensor], h: Float = 1e-2, tolerance: Double = 2e-3,
                      file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) -> Double {
    // Autograd's answer.
    for x in inputs { x.requiresGrad = true; x.grad = nil }
    let output = f(inputs)
    let weights = checkWeights(output.shape)
    guard output.requiresGrad else {
        XCTFail("\(name): the output does not require a gradient (no graph was recorded)", file: file, line: line)
        return .infinity
    }
    (output * weights).sum().backward()

    func loss() -> Double {
        withNoGrad {
            let out = f(inputs)
            var s = 0.0
            for (o, w) in zip(out.data, weights.data) { s += Double(o) * Double(w) }
            return s
        }
    }
    let base = loss()
    guard base.isFinite else {
        XCTFail("\(name): the checked function gives a non-finite value", file: file, line: line)
        return .infinity
    }
    let direct = zip(output.data, weights.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    guard direct == base else {
        XCTFail("\(name): f is not deterministic (\(direct) then \(base)); seed any randomness inside it", file: file, line: line)
        return .infinity
    }

    // The finite differences, every element of every input.
    var numeric: [[Double]] = []
    for x in inputs {
        var column = [Double](repeating: 0, count: x.count)
        for i in 0..<x.count {
            func set(_ value: Float) { x.withUnsafeMutableBufferPointer { $0[i] = value } }
            let saved = x.storage.element(i)
            set(saved + h)
            let up = loss()
            set(saved - h)
            let down = loss()
            set(saved)
            // the step actually taken, after rounding x ± h to float
            let step = Double(saved + h) - Double(saved - h)
            column[i] = (up - down) / step
        }
        numeric.append(column)
    }

    // Compare.
    let scale = numeric.joined().reduce(0.0) { max($0, abs($1)) }
    let floor = max(0.1 * scale, 1e-2)
    var worst = 0.0
    for (k, x) in inputs.enumerated() {
        guard let grad = x.grad else {
            XCTFail("\(name): input \(k) got no gradient", file: file, line: line)
            return .infinity
        }
        guard grad.shape == x.shape else {
            XCTFail("\(name): input \(k) of shape \(x.shape) got a gradient of shape \(grad.shape)", file: file, line: line)
            return .infinity
        }
        let gradient = grad.data
        for i in 0..<x.count {
            let analytic = Double(gradient[i]), estimate = numeric[k][i]
            let error = abs(analytic - estimate) / max(abs(analytic), abs(estimate), floor)
            if !(error <= tolerance) {
                XCTFail("\(name): input \(k) element \(i): autograd \(analytic), finite difference \(estimate) (error \(error))",
                        file: file, line: line)
                return error
            }
            worst = max(worst, error)
        }
    }
    if ProcessInfo.processInfo.environment["GRADCHECK_VERBOSE"] != nil {
        print("gradCheck \(name): worst error \(String(format: "%.2e", worst))")
    }
    return worst
}
