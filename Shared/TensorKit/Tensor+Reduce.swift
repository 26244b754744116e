// Reductions along an axis (or over everything): sum, mean, max/argmax, variance, logsumexp.
// Each output element is reduced by one loop in a fixed order, so results never depend on
// threading.

import Foundation

/// A tensor viewed as (outer, n, inner) around the reduced axis: element (o, i, j) sits at
/// `(o * n + i) * inner + j`.
struct AxisLayout {
    let outer: Int, n: Int, inner: Int
    let keptShape: [Int], droppedShape: [Int]

    init(_ shape: [Int], axis: Int) {
        outer = shape[..<axis].reduce(1, *)
        n = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        var kept = shape
        kept[axis] = 1
        keptShape = kept
        var dropped = shape
        dropped.remove(at: axis)
        droppedShape = dropped
    }
}

extension Tensor {
    /// Loops over the reduced axis for every output position, handing `body` the base offset
    /// and the stride between consecutive elements along the axis.
    @inline(__always)
    private func reduceAlong(_ layout: AxisLayout, _ body: (_ out: Int, _ base: Int, _ stride: Int) -> Void) {
        for o in 0..<layout.outer {
            for j in 0..<layout.inner { body(o * layout.inner + j, o * layout.n * layout.inner + j, layout.inner) }
        }
    }

    // MARK: - Sum and mean

    /// The sum of all elements, as a 0-d tensor.
    public func sum() -> Tensor {
        var s: Float = 0
        withUnsafeBufferPointer { for v in $0 { s += v } }
        let input = self
        return Tensor(scalar: s).record("sum", [self]) { g in
            input.accumulateGrad(TensorStorage(repeating: g.item, count: input.count))
        }
    }

    /// The sum along `axis`; `keepDim` keeps it with size 1 (`x.sum(dim=axis, keepdim=True)`).
    public func sum(axis: Int, keepDim: Bool = false) -> Tensor {
        let ax = normalizeAxis(axis, op: "sum")
        let layout = AxisLayout(shape, axis: ax)
        let out = TensorStorage(zeros: layout.outer * layout.inner)
        withPointers(self, out) { x, out in
            reduceAlong(layout) { o, base, step in
                var s: Float = 0
                for i in 0..<layout.n { s += x[base + i * step] }
                out[o] = s
            }
        }
        let input = self
        return Tensor(shape: keepDim ? layout.keptShape : layout.droppedShape, storage: out).record("sum", [self]) { g in
            input.accumulateGrad(g.reshape(layout.keptShape).expand(to: input.shape))
        }
    }

    /// The mean of all elements.
    public func mean() -> Tensor { (sum() / Float(Swift.max(count, 1))).renamed("mean") }

    /// The mean along `axis`.
    public func mean(axis: Int, keepDim: Bool = false) -> Tensor {
        let n = shape[normalizeAxis(axis, op: "mean")]
        return (sum(axis: axis, keepDim: keepDim) / Float(n)).renamed("mean")
    }

    // MARK: - Max and argmax

    /// The largest element along `axis`. The gradient goes to the first maximal element.
    public func max(axis: Int, keepDim: Bool = false) -> Tensor {
        let ax = normalizeAxis(axis, op: "max")
        let layout = AxisLayout(shape, axis: ax)
        let winners = argmaxOffsets(layout)
        let out = TensorStorage(uninitialized: winners.count)
        withPointers(self, out) { x, out in
            for (k, off) in winners.enumerated() { out[k] = x[off] }
        }
        let input = self
        return Tensor(shape: keepDim ? layout.keptShape : layout.droppedShape, storage: out).record("max", [self]) { g in
            let back = TensorStorage(zeros: input.count)
            withPointers(g, back) { gp, back in
                for (k, off) in winners.enumerated() { back[off] += gp[k] }
            }
            input.accumulateGrad(back)
        }
    }

    /// The largest element of the whole tensor.
    public func max() -> Tensor { reshape([count]).max(axis: 0) }

    /// The index of the largest element along `axis` (the first one on ties, like PyTorch).
    public func argmax(axis: Int) -> [Int] {
        let ax = normalizeAxis(axis, op: "argmax")
        let layout = AxisLayout(shape, axis: ax)
        return argmaxOffsets(layout).map { ($0 / layout.inner) % layout.n }
    }

    /// The flat index of the largest element.
    public func argmax() -> Int { reshape([count]).argmax(axis: 0)[0] }

    /// Offsets in storage of the maximal element of each reduced line (NaN counts as largest).
    private func argmaxOffsets(_ layout: AxisLayout) -> [Int] {
        precondition(layout.n > 0, "max: cannot reduce an axis of size 0 (shape \(describeShape(shape)))")
        var winners = [Int](repeating: 0, count: layout.outer * layout.inner)
        withUnsafeBufferPointer { x in
            reduceAlong(layout) { o, base, step in
                var best = base
                for i in 1..<layout.n {
                    let off = base + i * step
                    if x[best].isNaN { break }
                    if x[off] > x[best] || x[off].isNaN { best = off }
                }
                winners[o] = best
            }
        }
        return winners
    }

    // MARK: - Variance and logsumexp

    /// The variance along `axis`: biased (divide by n, as LayerNorm uses) or unbiased
    /// (divide by n − 1, `torch.var`'s default).
    public func variance(axis: Int, unbiased: Bool = true, keepDim: Bool = false) -> Tensor {
        let ax = normalizeAxis(axis, op: "variance")
        let n = shape[ax]
        let centered = self - mean(axis: ax, keepDim: true)
        let divisor = Float(Swift.max(unbiased ? n - 1 : n, 0))
        return ((centered * centered).sum(axis: ax, keepDim: keepDim) / divisor).renamed("var")
    }

    /// log(Σ exp(x)) along `axis`, computed stably by subtracting the maximum first (by the
    /// softmax kernel's `rowLogSumExp`).
    public func logsumexp(axis: Int, keepDim: Bool = false) -> Tensor {
        let ax = normalizeAxis(axis, op: "logsumexp")
        let layout = AxisLayout(shape, axis: ax)
        let out = TensorStorage(uninitialized: layout.outer * layout.inner)
        withPointers(self, out) { x, out in
            alongAxis(layout, x, out, resultsPerLine: 1) { line, n, result in result[0] = rowLogSumExp(line, n) }   // the softmax kernel's
        }
        let input = self
        let result = Tensor(shape: keepDim ? layout.keptShape : layout.droppedShape, storage: out)
        return result.record("logsumexp", [self]) { g in
            // d/dx logsumexp = softmax(x)
            let back = TensorStorage(zeros: input.count)
            withPointers(input, g, out, back) { x, gp, out, back in
                input.reduceAlong(layout) { o, base, step in
                    for i in 0..<layout.n {
                        let off = base + i * step
                        back[off] = gp[o] * Foundation.exp(x[off] - out[o])
                    }
                }
            }
            input.accumulateGrad(back)
        }
    }
}
