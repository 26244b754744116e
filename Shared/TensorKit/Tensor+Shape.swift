// Changing the shape of a tensor: reshape, permute, transpose, squeeze, slicing,
// index-select, gather, concatenate, stack, split. Every tensor is stored contiguously,
// so ops that reorder elements copy them; reshape only relabels.

extension Tensor {
    // MARK: - Reshape

    /// The same elements with another shape; one size may be -1 (inferred).
    ///
    ///     Tensor.arange(6).reshape([2, -1])   // shape [2, 3]
    public func reshape(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.map(\.element).product
            precondition(known > 0 && count % known == 0,
                         "reshape: cannot infer -1 in \(describeShape(newShape)) for \(count) elements (shape \(describeShape(shape)))")
            target[i] = count / known
        }
        precondition(target.product == count,
                     "reshape: shape \(describeShape(shape)) (\(count) elements) cannot become \(describeShape(newShape))")
        if target == shape { return self }
        let input = self
        return Tensor(shape: target, storage: storage).record("view", [self]) { g in
            input.accumulateGrad(g.storage)
        }
    }

    /// Collapses axes `start...end` into one (`torch.flatten`).
    public func flatten(from start: Int = 0, to end: Int = -1) -> Tensor {
        if rank == 0 { return reshape([1]) }
        let s = normalizeAxis(start, op: "flatten"), e = normalizeAxis(end, op: "flatten")
        let merged = shape[s...e].reduce(1, *)
        return reshape(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]))
    }

    /// Inserts an axis of size 1 at `axis` (`torch.unsqueeze`).
    public func unsqueeze(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) is out of range for shape \(describeShape(shape))")
        var s = shape
        s.insert(1, at: a)
        return reshape(s)
    }

    /// Removes axis `axis` if its size is 1, or every axis of size 1 when `axis` is nil.
    public func squeeze(_ axis: Int? = nil) -> Tensor {
        guard let axis else { return reshape(shape.filter { $0 != 1 }) }
        let a = normalizeAxis(axis, op: "squeeze")
        guard shape[a] == 1 else { return self }
        var s = shape
        s.remove(at: a)
        return reshape(s)
    }

    // MARK: - Permute and transpose

    /// Reorders the axes: `x.permute([0, 2, 1, 3])` turns (B, T, nh, hs) into (B, nh, T, hs).
    public func permute(_ order: [Int]) -> Tensor {
        let order = order.map { normalizeAxis($0, op: "permute") }
        precondition(order.count == rank && Set(order).count == rank,
                     "permute: \(order) is not a permutation of the \(rank) axes of \(describeShape(shape))")
        if order == Array(0..<rank) { return self }
        let outShape = order.map { shape[$0] }
        let inStrides = strides
        let readStrides = order.map { inStrides[$0] }
        let out = TensorStorage(uninitialized: count)
        withPointers(self, out) { src, dst in
            forEachRow(outShape, readStrides, readStrides) { o, i, step, _, _, n in
                for j in 0..<n { dst[o + j] = src[i + j * step] }
            }
        }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in order.enumerated() { inverse[axis] = i }
        let input = self
        return Tensor(shape: outShape, storage: out).record("permute", [self]) { g in
            input.accumulateGrad(g.permute(inverse))
        }
    }

    /// Swaps two axes (`torch.transpose`); `x.transpose(-2, -1)` is the matrix transpose
    /// of the last two axes, as in `queries @ keys.transpose(-2, -1)`.
    public func transpose(_ a: Int, _ b: Int) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizeAxis(a, op: "transpose"), normalizeAxis(b, op: "transpose"))
        return permute(order)
    }

    /// The transpose of a 2-D tensor (`x.T`).
    public var T: Tensor {
        precondition(rank == 2, "T: needs a 2-D tensor, got shape \(describeShape(shape)); use transpose(_:_:)")
        return transpose(0, 1)
    }

    // MARK: - Slicing

    /// Elements `start..<end` (stepping by `step`) along `axis`: `x.slice(1, 0, 3)` is `x[:, 0:3]`.
    /// Negative `start`/`end` count from the end, and both are clamped like Python slices.
    public func slice(_ axis: Int, _ start: Int, _ end: Int? = nil, step: Int = 1) -> Tensor {
        let ax = normalizeAxis(axis, op: "slice")
        precondition(step > 0, "slice: step must be positive, got \(step)")
        let n = shape[ax]
        func clamp(_ i: Int) -> Int { Swift.min(Swift.max(i < 0 ? i + n : i, 0), n) }
        let lo = clamp(start), hi = clamp(end ?? n)
        let indices = Array(stride(from: lo, to: Swift.max(lo, hi), by: step))
        return indexSelect(ax, indices).renamed("slice")
    }

    /// Row `index` along `axis`, with that axis removed: `x.select(0, 1)` is `x[1]`.
    public func select(_ axis: Int, _ index: Int) -> Tensor {
        let ax = normalizeAxis(axis, op: "select")
        let i = index < 0 ? index + shape[ax] : index
        precondition(i >= 0 && i < shape[ax], "select: index \(index) is out of range for axis \(axis) of size \(shape[ax])")
        return indexSelect(ax, [i]).squeeze(ax).renamed("select")
    }

    /// The rows with the given indices along `axis`, in that order, repeats allowed
    /// (`torch.index_select`). Its gradient adds back into the chosen rows.
    public func indexSelect(_ axis: Int, _ indices: [Int]) -> Tensor {
        let ax = normalizeAxis(axis, op: "indexSelect")
        let n = shape[ax]
        for i in indices { precondition(i >= 0 && i < n, "indexSelect: index \(i) is out of range for axis \(ax) of size \(n) (shape \(describeShape(shape)))") }
        let outer = shape[..<ax].reduce(1, *)
        let inner = shape[(ax + 1)...].reduce(1, *)
        var outShape = shape
        outShape[ax] = indices.count
        let out = TensorStorage(zeros: outer * indices.count * inner)
        withPointers(self, out) { src, dst in
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    let from = (o * n + i) * inner, to = (o * indices.count + k) * inner
                    for j in 0..<inner { dst[to + j] = src[from + j] }
                }
            }
        }
        let input = self
        return Tensor(shape: outShape, storage: out).record("indexSelect", [self]) { g in
            let back = TensorStorage(zeros: input.count)
            withPointers(g, back) { gp, back in
                for o in 0..<outer {
                    for (k, i) in indices.enumerated() {
                        let to = (o * n + i) * inner, from = (o * indices.count + k) * inner
                        for j in 0..<inner { back[to + j] += gp[from + j] }
                    }
                }
            }
            input.accumulateGrad(back)
        }
    }

    /// Places the rows of `self` (n, …) at rows `rows` of a zero tensor with `count` rows,
    /// adding where a row is named twice: the reverse of `indexSelect(0, rows)`. A mixture of
    /// experts uses it to put each expert's outputs back among all the tokens.
    public func scatterRows(_ rows: [Int], count: Int) -> Tensor {
        precondition(rank >= 1 && rows.count == shape[0], "scatterRows: \(rows.count) row indices for shape \(describeShape(shape))")
        let inner = shape[1...].reduce(1, *)
        for r in rows { precondition(r >= 0 && r < count, "scatterRows: row \(r) is out of range for \(count) rows") }
        let out = TensorStorage(zeros: count * inner)
        withPointers(self, out) { src, out in
            for (k, r) in rows.enumerated() {
                for j in 0..<inner { out[r * inner + j] += src[k * inner + j] }
            }
        }
        let input = self
        return Tensor(shape: [count] + shape[1...], storage: out).record("indexAdd", [self]) { g in
            input.accumulateGrad(g.indexSelect(0, rows))
        }
    }

    /// Picks along `axis` with an index per output element (`torch.gather`): `index` has the
    /// shape of the output, and `out[i][j] = self[i][index[i][j]]` for `axis == 1`.
    public func gather(_ axis: Int, _ index: [Int], indexShape: [Int]) -> Tensor {
        let ax = normalizeAxis(axis, op: "gather")
        precondition(indexShape.count == rank && index.count == indexShape.product,
                     "gather: index shape \(describeShape(indexShape)) does not fit tensor \(describeShape(shape))")
        for d in 0..<rank where d != ax {
            precondition(indexShape[d] <= shape[d], "gather: index shape \(describeShape(indexShape)) is larger than \(describeShape(shape)) on axis \(d)")
        }
        let inStrides = strides
        let outStrides = contiguousStrides(indexShape)
        var sourceOffsets = [Int](repeating: 0, count: index.count)
        for flat in 0..<index.count {
            var rem = flat, off = 0
            for d in 0..<rank {
                let coord = rem / outStrides[d]
                rem %= outStrides[d]
                let c = d == ax ? index[flat] : coord
                precondition(c >= 0 && c < shape[d], "gather: index \(index[flat]) is out of range for axis \(ax) of size \(shape[ax])")
                off += c * inStrides[d]
            }
            sourceOffsets[flat] = off
        }
        let out = TensorStorage(uninitialized: index.count)
        withPointers(self, out) { src, out in
            for (k, off) in sourceOffsets.enumerated() { out[k] = src[off] }
        }
        let input = self
        return Tensor(shape: indexShape, storage: out).record("gather", [self]) { g in
            let back = TensorStorage(zeros: input.count)
            withPointers(g, back) { gp, back in
                for (k, off) in sourceOffsets.enumerated() { back[off] += gp[k] }
            }
            input.accumulateGrad(back)
        }
    }

    // MARK: - Concatenate, stack, split

    /// Joins tensors along an existing axis (`torch.cat`); all other sizes must agree.
    public static func cat(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "cat: needs at least one tensor")
        let first = tensors[0]
        let ax = first.normalizeAxis(axis, op: "cat")
        for t in tensors {
            precondition(t.rank == first.rank && (0..<t.rank).allSatisfy { $0 == ax || t.shape[$0] == first.shape[$0] },
                         "cat: shapes \(tensors.map { describeShape($0.shape) }.joined(separator: ", ")) differ outside axis \(axis)")
        }
        let outer = first.shape[..<ax].reduce(1, *)
        let inners = tensors.map { $0.shape[ax...].reduce(1, *) }
        let rowWidth = inners.reduce(0, +)
        var outShape = first.shape
        outShape[ax] = tensors.map { $0.shape[ax] }.reduce(0, +)
        let out = TensorStorage(zeros: outer * rowWidth)
        var column = 0
        for (t, w) in zip(tensors, inners) {
            withPointers(t, out) { src, out in
                for o in 0..<outer { for j in 0..<w { out[o * rowWidth + column + j] = src[o * w + j] } }
            }
            column += w
        }
        return Tensor(shape: outShape, storage: out).record("cat", tensors) { g in
            var column = 0
            for (t, w) in zip(tensors, inners) {
                if t.requiresGrad {
                    let back = TensorStorage(uninitialized: t.count)
                    withPointers(g, back) { gp, back in
                        for o in 0..<outer { for j in 0..<w { back[o * w + j] = gp[o * rowWidth + column + j] } }
                    }
                    t.accumulateGrad(back)
                }
                column += w
            }
        }
    }

    /// Joins equally shaped tensors along a new axis (`torch.stack`).
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        precondition(!tensors.isEmpty, "stack: needs at least one tensor")
        let shape = tensors[0].shape
        precondition(tensors.allSatisfy { $0.shape == shape },
                     "stack: shapes differ: \(tensors.map { describeShape($0.shape) }.joined(separator: ", "))")
        return cat(tensors.map { $0.unsqueeze(axis) }, axis: axis < 0 ? axis + shape.count + 1 : axis).renamed("stack")
    }

    /// Splits into pieces of `size` along `axis` (the last may be smaller), like `torch.split`.
    public func split(_ size: Int, axis: Int = 0) -> [Tensor] {
        precondition(size > 0, "split: size must be positive, got \(size)")
        let ax = normalizeAxis(axis, op: "split")
        return stride(from: 0, to: shape[ax], by: size).map { slice(ax, $0, $0 + size) }
    }

    /// Splits into `chunks` nearly equal pieces along `axis` (`torch.chunk`).
    public func chunk(_ chunks: Int, axis: Int = 0) -> [Tensor] {
        precondition(chunks > 0, "chunk: chunks must be positive, got \(chunks)")
        let n = shape[normalizeAxis(axis, op: "chunk")]
        return split(Swift.max(1, (n + chunks - 1) / chunks), axis: axis)
    }
}
