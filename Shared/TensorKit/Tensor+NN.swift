// The neural-network ops: activations, softmax, cross-entropy, embedding lookup and the
// two normalisations. Each is one fused kernel forward and one backward, not a chain of
// small ops, so training does not drown in temporaries.

import Foundation

// MARK: - Activations

extension Tensor {
    /// max(0, x). The gradient at 0 is 0, as in PyTorch.
    public func relu() -> Tensor {
        unary("relu", { Swift.max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// x · sigmoid(x), also called swish; Llama's feed-forward uses it inside SwiGLU.
    public func silu() -> Tensor {
        unary("silu", { $0 / (1 + Foundation.exp(-$0)) }, derivative: { x, _ in
            let s = 1 / (1 + Foundation.exp(-x))
            return s * (1 + x * (1 - s))
        })
    }

    /// GELU, x · Φ(x). `approximate: true` is the tanh form GPT-2 was trained with
    /// (`gelu_new` in Hugging Face, `approximate="tanh"` in PyTorch); false is the exact erf form.
    public func gelu(approximate: Bool = false) -> Tensor {
        if approximate { return geluTanh() }
        let invSqrt2 = Float(1 / 2.0.squareRoot())
        let invSqrt2Pi = Float(1 / (2 * Double.pi).squareRoot())
        return unary("gelu", { x in 0.5 * x * (1 + Foundation.erf(x * invSqrt2)) },
                     derivative: { x, _ in
                         0.5 * (1 + Foundation.erf(x * invSqrt2)) + x * invSqrt2Pi * Foundation.exp(-0.5 * x * x)
                     })
    }
}

extension Tensor {
    /// GELU's tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), fused: one vectorised
    /// pass forward and one backward, which needs only x:
    /// d/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²).
    func geluTanh() -> Tensor {
        let c = Float((2 / Double.pi).squareRoot())
        let n = count
        let out = TensorStorage(uninitialized: n)
        withPointers(self, out) { x, o in
            vectorMap(n) { i in
                let v = load16(x, i, n)
                let t = vectorTanh(geluInner(v, c))
                let y: SIMD16<Float> = 0.5 * v * (1 + t)
                store16(y, o, i, n)
            }
        }
        let a = self
        return Tensor(shape: shape, storage: out).record("gelu", [a]) { g in
            let dx = TensorStorage(uninitialized: n)
            withPointers(a, g, dx) { x, gp, d in
                vectorMap(n) { i in
                    let v = load16(x, i, n)
                    let t = vectorTanh(geluInner(v, c))
                    let v2: SIMD16<Float> = v * v
                    let inner: SIMD16<Float> = c * (1 + 3 * 0.044715 * v2)
                    let left: SIMD16<Float> = 0.5 * (1 + t)
                    let right: SIMD16<Float> = 0.5 * v * (1 - t * t) * inner
                    let slope: SIMD16<Float> = left + right
                    store16(load16(gp, i, n) * slope, d, i, n)
                }
            }
            a.accumulateGrad(dx)
        }
    }
}

/// √(2/π)·(x + 0.044715·x³), the argument of GELU's tanh.
@inline(__always)
private func geluInner(_ v: SIMD16<Float>, _ c: Float) -> SIMD16<Float> {
    let cube: SIMD16<Float> = v * v * v
    return c * (v + 0.044715 * cube)
}

// MARK: - Softmax

extension Tensor {
    /// exp(x) / Σ exp(x) along `axis`, stable: computed as exp(x − logsumexp(x)) with the
    /// maximum subtracted first, so large scores do not overflow and −∞ (masked) scores get
    /// exactly 0. Every row goes through the one softmax kernel (`rowSoftmax` in
    /// Kernels/VectorMath.swift) that fused attention and the samplers use too.
    public func softmax(axis: Int = -1) -> Tensor {
        let ax = normalizeAxis(axis, op: "softmax")
        let layout = AxisLayout(shape, axis: ax)
        let out = TensorStorage(uninitialized: count)
        withPointers(self, out) { x, y in
            alongAxis(layout, x, y, resultsPerLine: layout.n) { line, n, result in rowSoftmax(line, n, into: result) }
        }
        let input = self
        return Tensor(shape: shape, storage: out).record("softmax", [self]) { g in
            // dx = y ⊙ (g − Σ g ⊙ y)
            let back = TensorStorage(zeros: input.count)
            withPointers(g, out, back) { gp, y, back in
                input.forEachLine(layout) { base, step in
                    var dot: Float = 0
                    for i in 0..<layout.n { dot += gp[base + i * step] * y[base + i * step] }
                    for i in 0..<layout.n {
                        let off = base + i * step
                        back[off] = y[off] * (gp[off] - dot)
                    }
                }
            }
            input.accumulateGrad(back)
        }
    }

    /// log(softmax(x)) along `axis`, computed as x − logsumexp(x) (never log of a tiny number),
    /// with the softmax kernel's log-sum-exp.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let ax = normalizeAxis(axis, op: "logSoftmax")
        let layout = AxisLayout(shape, axis: ax)
        let out = TensorStorage(uninitialized: count)
        withPointers(self, out) { x, y in
            alongAxis(layout, x, y, resultsPerLine: layout.n) { line, n, result in
                let lse = rowLogSumExp(line, n)
                for i in 0..<n { result[i] = line[i] - lse }
            }
        }
        let input = self
        return Tensor(shape: shape, storage: out).record("logSoftmax", [self]) { g in
            // dx = g − softmax(x) · Σ g
            let back = TensorStorage(zeros: input.count)
            withPointers(g, out, back) { gp, y, back in
                input.forEachLine(layout) { base, step in
                    var total: Float = 0
                    for i in 0..<layout.n { total += gp[base + i * step] }
                    for i in 0..<layout.n {
                        let off = base + i * step
                        back[off] = gp[off] - Foundation.exp(y[off]) * total
                    }
                }
            }
            input.accumulateGrad(back)
        }
    }

    /// Calls `body(base, stride)` for every line along the reduced axis of `layout`.
    @inline(__always)
    func forEachLine(_ layout: AxisLayout, _ body: (_ base: Int, _ stride: Int) -> Void) {
        for o in 0..<layout.outer {
            for j in 0..<layout.inner { body(o * layout.n * layout.inner + j, layout.inner) }
        }
    }
}

/// Runs a row kernel, `kernel(line, n, results)`, on every line of `x` along the axis of
/// `layout`, each line giving `resultsPerLine` results (n for a softmax, 1 for a reduction)
/// written to `y` in the layout of `x` with that axis `resultsPerLine` long. Lines along the
/// last axis are rows in place (split over the cores when large); other lines are gathered
/// into a contiguous copy first, so the kernel always sees a row and computes the same bits.
@inline(__always)
func alongAxis(_ layout: AxisLayout, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, resultsPerLine: Int,
                 _ kernel: (_ line: UnsafePointer<Float>, _ n: Int, _ results: UnsafeMutablePointer<Float>) -> Void) {
    let (n, r) = (layout.n, resultsPerLine)
    if layout.inner == 1 {
        let parts = splits(layout.outer, work: layout.outer * n, threshold: 1 << 15)
        parallelFor(parts.count) { part in
            for o in parts[part] { kernel(x + o * n, n, y + o * r) }
        }
        return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: n + r) { buffer in
        let (line, results) = (buffer.baseAddress!, buffer.baseAddress! + n)
        for o in 0..<layout.outer {
            for j in 0..<layout.inner {
                for i in 0..<n { line[i] = x[(o * n + i) * layout.inner + j] }
                kernel(line, n, results)
                for i in 0..<r { y[(o * r + i) * layout.inner + j] = results[i] }
            }
        }
    }
}

// MARK: - Softmax of a list of numbers

/// The softmax of `values` — one row of logits, as a sampler holds them — by the same kernel
/// as `Tensor.softmax`, so the probabilities are the ones a tensor's softmax gives, bit for bit.
///
///     softmax([1, 2, 3])   // [0.09003057, 0.24472848, 0.66524094]
public func softmax(_ values: [Float]) -> [Float] {
    [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
        values.withUnsafeBufferPointer { x in
            if let start = x.baseAddress { rowSoftmax(start, values.count, into: out.baseAddress!) }
        }
        initialized = values.count
    }
}

/// log(softmax(values)) = values − log Σ exp(values), by the same kernel as `Tensor.logSoftmax`:
/// the log-probabilities beam search adds up.
///
///     logSoftmax([1, 2, 3])   // [-2.407606, -1.4076059, -0.40760595]
public func logSoftmax(_ values: [Float]) -> [Float] {
    let lse = values.withUnsafeBufferPointer { x in x.baseAddress.map { rowLogSumExp($0, values.count) } ?? -.infinity }
    return values.map { $0 - lse }
}

// MARK: - Cross-entropy

extension Tensor {
    /// The mean cross-entropy between `self`, logits of shape (N, C) — or (…, C), flattened —
    /// and integer `targets` (N of them), skipping targets equal to `ignoreIndex`
    /// (`F.cross_entropy(logits, targets, ignore_index=-100)`).
    ///
    /// Fused: one pass computes log-softmax and the loss; the gradient is
    /// (softmax − one-hot) / (number of counted targets).
    public func crossEntropy(targets: [Int], ignoreIndex: Int = -100) -> Tensor {
        precondition(rank >= 1, "crossEntropy: logits must have a class axis, got shape \(describeShape(shape))")
        let classes = shape[rank - 1]
        let rows = count / Swift.max(classes, 1)
        precondition(targets.count == rows,
                     "crossEntropy: logits \(describeShape(shape)) have \(rows) rows but there are \(targets.count) targets")
        for (row, t) in targets.enumerated() where t != ignoreIndex {
            precondition(t >= 0 && t < classes,
                         "crossEntropy: target \(t) (row \(row)) is out of range for \(classes) classes (logits \(describeShape(shape)); the ignore index is \(ignoreIndex))")
        }
        // Each row's log Σ exp (the softmax kernel's), rows split over the cores and kept for
        // backward; the loss, log Σ exp − x[target] per row, is then summed in row order.
        let rowLSE = TensorStorage(uninitialized: rows)
        let parts = splits(rows, work: rows * classes, threshold: 1 << 15)
        var total: Double = 0
        var counted = 0
        withPointers(self, rowLSE) { x, l in
            parallelFor(parts.count) { part in
                for r in parts[part] { l[r] = rowLogSumExp(x + r * classes, classes) }
            }
            for r in 0..<rows where targets[r] != ignoreIndex {
                total += Double(l[r] - x[r * classes + targets[r]])
                counted += 1
            }
        }
        let loss = counted > 0 ? Float(total / Double(counted)) : .nan
        let input = self
        return Tensor(scalar: loss).record("crossEntropy", [self]) { g in
            guard counted > 0 else { return }
            let scale = g.item / Float(counted)
            let back = TensorStorage(uninitialized: input.count)
            withPointers(input, rowLSE, back) { x, rowLSE, b in
                parallelFor(parts.count) { part in
                    for r in parts[part] {
                        let (row, out) = (x + r * classes, b + r * classes)
                        if targets[r] == ignoreIndex {                     // not counted: no gradient
                            out.update(repeating: 0, count: classes)
                            continue
                        }
                        // (softmax − one-hot) · scale, the softmax as exp(log-softmax) (as PyTorch)
                        rowExpOfLogSoftmax(row, classes, logSumExp: rowLSE[r], times: scale, into: out)
                        out[targets[r]] -= scale
                    }
                }
            }
            input.accumulateGrad(back)
        }
    }
}

// MARK: - Embedding

extension Tensor {
    /// Looks up rows of the (V, D) table `weight` for token ids of shape `idShape`,
    /// giving shape `idShape + [D]` (`nn.Embedding`). The gradient adds into the used rows.
    public static func embedding(_ weight: Tensor, ids: [Int], shape idShape: [Int]) -> Tensor {
        precondition(weight.rank == 2, "embedding: weight must be (vocabulary, dim), got \(describeShape(weight.shape))")
        precondition(idShape.product == ids.count, "embedding: \(ids.count) ids do not fill shape \(describeShape(idShape))")
        let (vocabulary, dim) = (weight.shape[0], weight.shape[1])
        for id in ids {
            precondition(id >= 0 && id < vocabulary, "embedding: id \(id) is out of range for a vocabulary of \(vocabulary) (weight \(describeShape(weight.shape)))")
        }
        let out = TensorStorage(uninitialized: ids.count * dim)
        if weight.storage.form != .float32 {
            // a 16-bit table kept as the checkpoint stores it: widen only the rows looked up
            precondition(!(weight.requiresGrad && isGradEnabled),
                         "embedding: a \(weight.storage.form) table is for inference; run under withNoGrad or widen it")
            for (k, id) in ids.enumerated() {
                for j in 0..<dim { out.floats[k * dim + j] = weight.storage.element(id * dim + j) }
            }
            return Tensor(shape: idShape + [dim], storage: out)   // (…, dim)
        }
        withPointers(weight, out) { w, o in
            for (k, id) in ids.enumerated() {
                (o + k * dim).update(from: w + id * dim, count: dim)
            }
        }
        return Tensor(shape: idShape + [dim], storage: out).record("embedding", [weight]) { g in
            let back = TensorStorage(zeros: weight.count)
            withPointers(g, back) { gp, back in
                for (k, id) in ids.enumerated() {
                    for j in 0..<dim { back[id * dim + j] += gp[k * dim + j] }
                }
            }
            weight.accumulateGrad(back)
        }
    }
}

// MARK: - Normalisation

extension Tensor {
    /// Layer normalisation over the last axis: (x − mean) / sqrt(var + eps) · weight + bias,
    /// with the biased variance, as `nn.LayerNorm` computes it.
    public func layerNorm(weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
        let d = shape[rank - 1]
        if let weight { precondition(weight.shape == [d], "layerNorm: weight \(describeShape(weight.shape)) does not match last axis \(d) of \(describeShape(shape))") }
        if let bias { precondition(bias.shape == [d], "layerNorm: bias \(describeShape(bias.shape)) does not match last axis \(d) of \(describeShape(shape))") }
        let rows = count / Swift.max(d, 1)
        // x̂ and 1 / σ per row, kept for backward
        let normalized = TensorStorage(uninitialized: count)
        let inverseStd = TensorStorage(uninitialized: rows)
        let out = TensorStorage(uninitialized: count)
        let w = weight ?? Tensor(shape: [d], repeating: 1), b = bias ?? Tensor(shape: [d], repeating: 0)
        // Rows are independent: split over the cores, each row computed the same way.
        let parts = splits(rows, work: count, threshold: 1 << 15)
        // The sums run element by element, in order (as PyTorch's reference results were matched
        // with); the per-element work runs 16 lanes at a time, computing exactly the same values.
        withPointers(self, w, b, normalized, out, inverseStd) { xs, wp, bp, normalized, out, inverse in
            parallelFor(parts.count) { part in
                for r in parts[part] {
                    let (x, nrm, o) = (xs + r * d, normalized + r * d, out + r * d)
                    var mean: Float = 0
                    for j in 0..<d { mean += x[j] }
                    mean /= Float(d)
                    var variance: Float = 0
                    for j in 0..<d { let c = x[j] - mean; variance += c * c }
                    variance /= Float(d)
                    let inv = 1 / Foundation.sqrt(variance + eps)
                    inverse[r] = inv
                    let (meanV, invV) = (SIMD16<Float>(repeating: mean), SIMD16<Float>(repeating: inv))
                    for j in stride(from: 0, to: d, by: 16) {
                        let n = (load16(x, j, d) - meanV) * invV                            // x̂
                        store16(n, nrm, j, d)
                        store16(n * load16(wp, j, d) + load16(bp, j, d), o, j, d)       // x̂ · w + b
                    }
                }
            }
        }
        let input = self
        let inputs = [self] + [weight, bias].compactMap { $0 }
        return Tensor(shape: shape, storage: out).record("layerNorm", inputs) { g in
            let dx = TensorStorage(uninitialized: input.count)
            let dw = TensorStorage(zeros: d), db = TensorStorage(zeros: d)
            withPointers(g, w, normalized, inverseStd, dx) { gs, wp, normalized, inverseStd, dxs in
                // dx̂ = g · w;  dx = inv · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)): per row, in parallel
                parallelFor(parts.count) { part in
                    for r in parts[part] {
                        let (gp, nrm, dxp) = (gs + r * d, normalized + r * d, dxs + r * d)
                        var sumG: Float = 0, sumGX: Float = 0
                        for j in 0..<d {
                            let gh = gp[j] * wp[j]
                            sumG += gh
                            sumGX += gh * nrm[j]
                        }
                        let meanG = SIMD16<Float>(repeating: sumG / Float(d))
                        let meanGX = SIMD16<Float>(repeating: sumGX / Float(d))
                        let inv = SIMD16<Float>(repeating: inverseStd[r])
                        for j in stride(from: 0, to: d, by: 16) {
                            let gh = load16(gp, j, d) * load16(wp, j, d)
                            store16(inv * (gh - meanG - load16(nrm, j, d) * meanGX), dxp, j, d)
                        }
                    }
                }
                // dw and db sum over rows, each column in row order: columns split over
                // the cores in groups of 16, so the sums are the same whatever the threads.
                guard weight != nil || bias != nil else { return }
                withPointers(dw, db) { dw, db in
                    let groups = splits((d + 15) / 16, work: input.count, threshold: 1 << 15)
                    parallelFor(groups.count) { part in
                        for j in groups[part].lazy.map({ $0 * 16 }) {
                            var sumW = SIMD16<Float>(), sumB = SIMD16<Float>()
                            for r in 0..<rows {
                                let g = load16(gs + r * d, j, d)
                                sumW += g * load16(normalized + r * d, j, d)
                                sumB += g
                            }
                            store16(sumW, dw, j, d)
                            store16(sumB, db, j, d)
                        }
                    }
                }
            }
            input.accumulateGrad(dx)
            weight?.accumulateGrad(dw)
            bias?.accumulateGrad(db)
        }
    }

    /// Root-mean-square normalisation over the last axis: x / sqrt(mean(x²) + eps) · weight
    /// (Llama's `LlamaRMSNorm`). No mean is subtracted and there is no bias.
    public func rmsNorm(weight: Tensor?, eps: Float = 1e-6) -> Tensor {
        let d = shape[rank - 1]
        if let weight { precondition(weight.shape == [d], "rmsNorm: weight \(describeShape(weight.shape)) does not match last axis \(d) of \(describeShape(shape))") }
        let rows = count / Swift.max(d, 1)
        let inverseRMS = TensorStorage(zeros: rows)
        let out = TensorStorage(zeros: count)
        let w = weight ?? Tensor(shape: [d], repeating: 1)
        withPointers(self, w, inverseRMS, out) { x, w, inverseRMS, out in
            for r in 0..<rows {
                let base = r * d
                var ms: Float = 0
                for j in 0..<d { ms += x[base + j] * x[base + j] }
                let inv = 1 / Foundation.sqrt(ms / Float(d) + eps)
                inverseRMS[r] = inv
                for j in 0..<d { out[base + j] = x[base + j] * inv * w[j] }
            }
        }
        let input = self
        return Tensor(shape: shape, storage: out).record("rmsNorm", [self] + [weight].compactMap { $0 }) { g in
            let dx = TensorStorage(zeros: input.count)
            let dw = TensorStorage(zeros: d)
            withPointers(input, g, w, inverseRMS, dx, dw) { x, gp, w, inverseRMS, dx, dw in
                for r in 0..<rows {
                    let base = r * d, inv = inverseRMS[r]
                    // y = x · inv · w;  dx = inv · (g·w − x · inv² · mean(g·w·x))
                    var dot: Float = 0
                    for j in 0..<d {
                        dot += gp[base + j] * w[j] * x[base + j]
                        dw[j] += gp[base + j] * x[base + j] * inv
                    }
                    let k = inv * inv * dot / Float(d)
                    for j in 0..<d { dx[base + j] = inv * (gp[base + j] * w[j] - x[base + j] * k) }
                }
            }
            input.accumulateGrad(dx)
            weight?.accumulateGrad(dw)
        }
    }
}
