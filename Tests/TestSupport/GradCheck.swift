// A finite-difference gradient checker, shared by the test targets.

import TensorKit
import XCTest

/// Deterministic test inputs: uniform in [low, high) from the course's generator.
public func testTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    TorchGenerator(seed: seed).uniform(shape, low: low, high: high)
}

/// Checks autograd's gradient of `f` against central finite differences.
///
/// The scalar checked is L = Σ f(inputs) ⊙ R for a fixed random R, so every output element
/// matters. For each input element x, (L(x + h) − L(x − h)) / 2h is computed with float32
/// forward passes accumulated in double; the relative error
/// |analytic − numeric| / max(1, |analytic|, |numeric|) must stay below `tolerance`.
public func gradCheck(_ name: String, _ inputs: [Tensor], h: Float = 1e-2, tolerance: Double = 2e-3,
               file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
    for x in inputs { x.requiresGrad = true; x.grad = nil }
    let output = f(inputs)
    let weights = testTensor(output.shape, seed: 4242, low: 0.5, high: 1.5)
    (output * weights).sum().backward()

    func loss() -> Double {
        withNoGrad {
            let out = f(inputs)
            var s = 0.0
            for (o, w) in zip(out.data, weights.data) { s += Double(o) * Double(w) }
            return s
        }
    }
    var worst = 0.0
    for (k, x) in inputs.enumerated() {
        guard let grad = x.grad else {
            XCTFail("\(name): input \(k) got no gradient", file: file, line: line)
            continue
        }
        XCTAssertEqual(grad.shape, x.shape, "\(name): gradient shape of input \(k)", file: file, line: line)
        for i in 0..<x.count {
            let saved = x.data[i]
            x.data[i] = saved + h
            let up = loss()
            x.data[i] = saved - h
            let down = loss()
            x.data[i] = saved
            let numeric = (up - down) / (2 * Double(h))
            let analytic = Double(grad.data[i])
            let error = abs(analytic - numeric) / max(1, abs(analytic), abs(numeric))
            worst = max(worst, error)
            if error > tolerance {
                XCTFail("\(name): input \(k) element \(i): autograd \(analytic), finite difference \(numeric)", file: file, line: line)
                return
            }
        }
    }
    XCTAssertLessThan(worst, tolerance, name, file: file, line: line)
}
