// Comparing computed numbers with reference numbers, in a way a wrong result cannot slip
// through: a NaN or an infinity anywhere on either side, or lists of different lengths, fail
// the comparison outright. (A plain `zip(a, b).map { abs($0 - $1) }.max()` does not: `max`
// skips a NaN that is not first, and `zip` stops at the shorter list.)
//
// Each check comes in two forms: `…Mismatch` returns the failure message (nil when the
// numbers agree), so a test can check the check itself; `assert…` reports that message.

import Foundation
import TensorKit
import XCTest

/// The largest |got − reference| over equally long lists of finite numbers, and the largest
/// |reference|; or, in `problem`, why the lists cannot be compared.
public struct Comparison {
    /// The largest absolute difference, element by element (0 for empty lists).
    public var maxDifference: Float = 0
    /// Where the largest difference is.
    public var worstIndex = 0
    /// The largest magnitude of the reference.
    public var scale: Float = 0
    /// Why the lists cannot be compared (a length mismatch, a NaN or an infinity), or nil.
    public var problem: String?

    /// Compares `got` with `reference`, element by element.
    ///
    ///     Comparison([1, .nan, 3], [1, 2, 3]).problem   // "element 1 of the result is nan"
    public init(_ got: [Float], _ reference: [Float]) {
        guard got.count == reference.count else {
            problem = "\(got.count) elements against \(reference.count) in the reference"
            return
        }
        for i in 0..<got.count {
            let (g, r) = (got[i], reference[i])
            guard g.isFinite else { problem = "element \(i) of the result is \(g)"; return }
            guard r.isFinite else { problem = "element \(i) of the reference is \(r)"; return }
            let difference = abs(g - r)
            if difference > maxDifference { (maxDifference, worstIndex) = (difference, i) }
            scale = max(scale, abs(r))
        }
    }
}

/// Why `got` does not match `reference` to within `absolute` everywhere (shapes, lengths,
/// non-finite numbers, the largest difference), or nil when it does.
///
///     closeMismatch(Tensor([1, 2]), Tensor([1, 2.5]), absolute: 1e-6)   // "largest difference 0.5 at element 1 …"
public func closeMismatch(_ got: Tensor, _ reference: Tensor, absolute: Float) -> String? {
    guard got.shape == reference.shape else {
        return "shape \(describeShape(got.shape)) against \(describeShape(reference.shape)) in the reference"
    }
    return closeMismatch(got.data, reference.data, absolute: absolute)
}

/// `closeMismatch` for plain lists of numbers.
public func closeMismatch(_ got: [Float], _ reference: [Float], absolute: Float) -> String? {
    let c = Comparison(got, reference)
    if let problem = c.problem { return problem }
    guard c.maxDifference <= absolute else {
        return "largest difference \(c.maxDifference) at element \(c.worstIndex) (\(got[c.worstIndex]) against \(reference[c.worstIndex])) exceeds \(absolute)"
    }
    return nil
}

/// Why `got` does not match a reference library's tensor to within `relative` × the
/// reference's largest magnitude, or nil when it does.
///
///     referenceMismatch(logits, try expected.tensor("logits"))   // nil: within 1e-4 of the largest logit
public func referenceMismatch(_ got: Tensor, _ reference: Tensor, relative: Float = 1e-4) -> String? {
    guard got.shape == reference.shape else {
        return "shape \(describeShape(got.shape)) against \(describeShape(reference.shape)) in the reference"
    }
    let c = Comparison(got.data, reference.data)
    if let problem = c.problem { return problem }
    let bound = relative * max(c.scale, 1e-6)
    guard c.maxDifference <= bound else {
        return "maxdiff \(c.maxDifference) at element \(c.worstIndex) exceeds \(relative) × the largest magnitude \(c.scale)"
    }
    return nil
}

/// Asserts that `got` matches `reference` to within `absolute` in every element; a NaN or
/// infinity on either side fails.
///
///     assertClose(byMultiplying, byInfinity, absolute: 1e-6)
public func assertClose(_ got: Tensor, _ reference: Tensor, absolute: Float, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    if let problem = closeMismatch(got, reference, absolute: absolute) {
        XCTFail([message, problem].filter { !$0.isEmpty }.joined(separator: ": "), file: file, line: line)
    }
}

/// `assertClose` for a tensor and a plain list of numbers (its shape is not checked, only its
/// element count).
public func assertClose(_ got: Tensor, _ expected: [Float], absolute: Float, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    if let problem = closeMismatch(got.data, expected, absolute: absolute) {
        XCTFail([message, problem].filter { !$0.isEmpty }.joined(separator: ": "), file: file, line: line)
    }
}

/// Asserts that `got` matches a reference library's tensor to `relative` × its largest
/// magnitude, and prints the largest difference (as llm.c's test_gpt2 prints `maxdiff`). A
/// NaN or infinity on either side fails.
public func assertMatchesReference(_ name: String, _ got: Tensor, _ reference: Tensor, relative: Float = 1e-4,
                                   file: StaticString = #filePath, line: UInt = #line) {
    let c = Comparison(got.data, reference.data)
    if c.problem == nil { print("\(name): maxdiff \(c.maxDifference) (largest magnitude \(c.scale))") }
    if let problem = referenceMismatch(got, reference, relative: relative) {
        XCTFail("\(name): \(problem)", file: file, line: line)
    }
}

/// The worse of two errors for a running "worst error so far", where a NaN wins and stays
/// (`Swift.max(worst, .nan)` keeps `worst`, so a NaN result would pass unseen).
///
///     worst = worse(worst, abs(got - expected))
public func worse<T: FloatingPoint>(_ worst: T, _ error: T) -> T {
    worst.isNaN || error.isNaN ? .nan : Swift.max(worst, error)
}

/// Why weights after AdamW steps do not match a reference library's, or nil when they do.
/// AdamW moves each element by about lr · g / (|g| + eps): where the first gradient g is not 0
/// but below 100·eps, eps decides the size of the move and the last bits of g (float32
/// rounding, which differs between any two implementations) move the weight by up to ±lr.
/// Those elements may differ by 2·lr at most and must be under 1 % of the tensor; every other
/// element (a zero gradient's too: its update is exact) is held to `relative` × the tensor's
/// largest magnitude (a wrong update is off by about lr there). A NaN or infinity on either
/// side fails. `maxdiff` receives the largest difference outside the eps-bound elements.
///
///     adamWStepMismatch(p, try expected.tensor("adamw_step2." + name), firstGradient: g, learningRate: 1e-3, eps: 1e-8)
public func adamWStepMismatch(_ got: Tensor, _ reference: Tensor, firstGradient: Tensor, learningRate: Float, eps: Float,
                              relative: Float = 1e-4, maxdiff: UnsafeMutablePointer<Float>? = nil) -> String? {
    guard got.shape == reference.shape, firstGradient.shape == reference.shape else {
        return "shapes \(describeShape(got.shape)), \(describeShape(reference.shape)) and \(describeShape(firstGradient.shape)) differ"
    }
    let comparison = Comparison(got.data, reference.data)
    if let problem = comparison.problem { return problem }
    let (values, expected, gradient) = (got.data, reference.data, firstGradient.data)
    var largest: Float = 0, epsBound = 0
    for i in expected.indices {
        let diff = abs(values[i] - expected[i])
        if gradient[i] != 0 && abs(gradient[i]) < 100 * eps {
            epsBound += 1
            if diff > 2 * learningRate { return "element \(i) (gradient \(gradient[i]) near eps) is off by \(diff), more than 2·lr" }
        } else {
            largest = max(largest, diff)
        }
    }
    maxdiff?.pointee = largest
    guard largest <= relative * max(comparison.scale, 1e-6) else {
        return "maxdiff \(largest) exceeds \(relative) × the largest magnitude \(comparison.scale)"
    }
    guard epsBound * 100 < max(expected.count, 1) else { return "\(epsBound) of \(expected.count) gradients near eps" }
    return nil
}

/// Asserts `adamWStepMismatch` finds nothing, and prints the largest difference.
public func assertAdamWStepMatches(_ name: String, _ got: Tensor, _ reference: Tensor, firstGradient: Tensor,
                                   learningRate: Float, eps: Float, relative: Float = 1e-4,
                                   file: StaticString = #filePath, line: UInt = #line) {
    var maxdiff: Float = 0
    let problem = adamWStepMismatch(got, reference, firstGradient: firstGradient, learningRate: learningRate, eps: eps,
                                    relative: relative, maxdiff: &maxdiff)
    print("\(name): maxdiff \(maxdiff)")
    if let problem { XCTFail("\(name): \(problem)", file: file, line: line) }
}
