// Optimisers: SGD with momentum and AdamW, with PyTorch's exact update rules, plus
// global-norm gradient clipping.

import Foundation

/// A set of parameters that share optimiser settings (PyTorch's parameter groups):
/// training uses one group with weight decay and one without (biases, norm weights).
public struct ParameterGroup {
    public var parameters: [(name: String, tensor: Tensor)]
    public var weightDecay: Float

    public init(_ parameters: [(name: String, tensor: Tensor)], weightDecay: Float) {
        self.parameters = parameters
        self.weightDecay = weightDecay
    }
}

// MARK: - SGD

/// Stochastic gradient descent with optional momentum and (coupled) weight decay,
/// as `torch.optim.SGD`: g ← g + wd·p;  b ← μ·b + g (b = g on the first step);  p ← p − lr·b.
public final class SGD {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    public let parameters: [Tensor]
    private var buffers: [[Float]?]

    public init(_ parameters: [Tensor], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one update to every parameter that has a gradient.
    public func step() {
        for (i, p) in parameters.enumerated() {
            guard let grad = p.grad else { continue }
            var g = grad.data
            if weightDecay != 0 { p.withUnsafeBufferPointer { w in for j in 0..<g.count { g[j] += weightDecay * w[j] } } }
            if momentum != 0 {
                if var b = buffers[i] {
                    for j in 0..<g.count { b[j] = momentum * b[j] + g[j] }
                    buffers[i] = b
                    g = b
                } else {
                    buffers[i] = g
                }
            }
            let lr = learningRate
            p.withUnsafeMutableBufferPointer { w in
                for j in 0..<w.count { w[j] -= lr * g[j] }
            }
        }
    }

    /// Forgets the gradients of all parameters.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

// MARK: - AdamW

/// Adam with decoupled weight decay, step for step as `torch.optim.AdamW` (single-tensor path):
///
///     p ← p · (1 − lr·wd)
///     m ← m + (1 − β1)(g − m)            v ← β2·v + (1 − β2)·g²
///     p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
///
/// The bias corrections are computed in double precision, as Python computes them.
public final class AdamW {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public private(set) var groups: [ParameterGroup]
    /// The number of steps taken so far (t in the formulas).
    public private(set) var stepCount = 0
    private var firstMoments: [TensorStorage]
    private var secondMoments: [TensorStorage]

    public init(groups: [ParameterGroup], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8) {
        self.groups = groups
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        let all = groups.flatMap { $0.parameters }
        for (name, p) in all {
            precondition(p.requiresGrad, "AdamW: parameter \(name) is frozen (it gets no gradient); give the optimiser only trainable parameters")
        }
        firstMoments = all.map { TensorStorage(zeros: $0.tensor.count) }
        secondMoments = all.map { TensorStorage(zeros: $0.tensor.count) }
    }

    /// One group for every trainable parameter of `module` (frozen ones get no state), all
    /// with the same weight decay.
    public convenience init(_ module: Module, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                            eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.init(groups: [ParameterGroup(module.namedTrainableParameters(), weightDecay: weightDecay)],
                  learningRate: learningRate, beta1: beta1, beta2: beta2, eps: eps)
    }

    /// Applies one update to every parameter that has a gradient.
    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let biasCorrection1 = 1 - Foundation.pow(Double(beta1), t)
        let biasCorrection2Sqrt = (1 - Foundation.pow(Double(beta2), t)).squareRoot()
        let stepSize = Float(Double(learningRate) / biasCorrection1)
        let (b1, b2, eps, lr) = (beta1, beta2, self.eps, learningRate)
        let bc2 = Float(biasCorrection2Sqrt)
        var slot = 0
        for group in groups {
            let decay = Float(1 - Double(lr) * Double(group.weightDecay))
            for (_, p) in group.parameters {
                defer { slot += 1 }
                guard let grad = p.grad else { continue }
                p.withUnsafeMutableBufferPointer { weights in
                    withPointers(grad, firstMoments[slot], secondMoments[slot]) { g, m, v in
                        let w = weights.baseAddress!
                        // each element on its own: large tensors are split over the cores
                        let parts = splits(weights.count, threshold: 1 << 16, granularity: 1024)
                        parallelFor(parts.count) { part in
                            for j in parts[part] {
                                w[j] *= decay
                                m[j] += (1 - b1) * (g[j] - m[j])
                                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                                let denom = v[j].squareRoot() / bc2 + eps
                                w[j] -= stepSize * (m[j] / denom)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forgets the gradients of all parameters.
    public func zeroGrad() {
        for group in groups { for (_, p) in group.parameters { p.zeroGrad() } }
    }

    /// The optimiser's state by parameter name (`exp_avg.<name>`, `exp_avg_sq.<name>`) and
    /// its step count, so a checkpoint can resume training exactly.
    public func state() -> (step: Int, tensors: [String: Tensor]) {
        var out: [String: Tensor] = [:]
        var slot = 0
        for group in groups {
            for (name, p) in group.parameters {
                // copies: later steps leave a state already taken as it was
                out["exp_avg." + name] = Tensor(shape: p.shape, storage: firstMoments[slot].widened())
                out["exp_avg_sq." + name] = Tensor(shape: p.shape, storage: secondMoments[slot].widened())
                slot += 1
            }
        }
        return (stepCount, out)
    }

    /// Restores a state saved by `state()`; throws naming the first missing or mis-shaped tensor.
    public func restore(step: Int, tensors: [String: Tensor]) throws {
        var slot = 0
        for group in groups {
            for (name, p) in group.parameters {
                for (key, isFirst) in [("exp_avg." + name, true), ("exp_avg_sq." + name, false)] {
                    guard let t = tensors[key] else { throw ModuleLoadError.missing([key]) }
                    guard t.shape == p.shape else { throw ModuleLoadError.shapeMismatch(name: key, expected: p.shape, got: t.shape) }
                    // copies of their own: the steps write into them
                    if isFirst { firstMoments[slot] = t.storage.widened() } else { secondMoments[slot] = t.storage.widened() }
                }
                slot += 1
            }
        }
        stepCount = step
    }
}

// MARK: - Gradient clipping

/// Scales all gradients down so that their global L2 norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`) and returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters {
        guard let g = p.grad else { continue }
        var s: Float = 0
        g.withUnsafeBufferPointer { for v in $0 { s += v * v } }
        total += Double(s)
    }
    let norm = Float(total.squareRoot())
    let coefficient = maxNorm / (norm + 1e-6)
    if coefficient < 1 {
        for p in parameters {
            p.grad?.withUnsafeMutableBufferPointer { g in for j in 0..<g.count { g[j] *= coefficient } }
        }
    }
    return norm
}
