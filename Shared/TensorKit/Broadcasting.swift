// Broadcasting, as NumPy and PyTorch define it: shapes are aligned from the right, and an
// axis of size 1 (or a missing axis) stretches to match the other operand.

/// The shape two operands broadcast to, or a stop naming the op and both shapes.
///
///     broadcastShapes([2, 1, 3], [4, 1], op: "add")   // [2, 4, 3]
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String) -> [Int] {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(da == db || da == 1 || db == 1,
                     "\(op): shapes \(describeShape(a)) and \(describeShape(b)) cannot be broadcast (axis \(i): \(da) vs \(db))")
        out[i] = da == 1 ? db : da
    }
    return out
}

/// Strides that read an operand of `shape` as if it had `outShape`: 0 on stretched axes.
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let offset = outShape.count - shape.count
    let own = contiguousStrides(shape)
    return (0..<outShape.count).map { i in
        i < offset || shape[i - offset] == 1 ? 0 : own[i - offset]
    }
}

/// Walks an output of `shape` row by row (the last axis is a row), giving for each row the
/// offsets of the output and of each operand and the operands' strides along the row.
/// Kernels do their per-element work in a tight loop over the row.
@inline(__always)
func forEachRow(_ shape: [Int], _ stridesA: [Int], _ stridesB: [Int],
                _ body: (_ out: Int, _ a: Int, _ strideA: Int, _ b: Int, _ strideB: Int, _ n: Int) -> Void) {
    let rank = shape.count
    if rank == 0 { body(0, 0, 0, 0, 0, 1); return }
    let n = shape[rank - 1]
    let rowCount = shape.product / max(n, 1)
    if n == 0 { return }
    var index = [Int](repeating: 0, count: rank)
    var offA = 0, offB = 0
    for row in 0..<rowCount {
        body(row * n, offA, stridesA[rank - 1], offB, stridesB[rank - 1], n)
        // Advance the multi-index over all axes but the last.
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            offA += stridesA[axis]
            offB += stridesB[axis]
            if index[axis] < shape[axis] { break }
            offA -= stridesA[axis] * shape[axis]
            offB -= stridesB[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

extension Tensor {
    /// The elements of `self` laid out as if broadcast to `outShape` (a copy).
    public func expand(to outShape: [Int]) -> Tensor {
        let target = broadcastShapes(shape, outShape, op: "expand")
        precondition(target == outShape, "expand: shape \(describeShape(shape)) cannot be expanded to \(describeShape(outShape))")
        if target == shape { return self }
        let out = TensorStorage(zeros: outShape.product)
        let sa = broadcastStrides(shape, to: outShape)
        withPointers(self, out) { src, dst in
            forEachRow(outShape, sa, sa) { o, a, strideA, _, _, n in
                for j in 0..<n { dst[o + j] = src[a + j * strideA] }
            }
        }
        let input = self
        return Tensor(shape: outShape, storage: out).record("expand", [self]) { g in
            input.accumulateGrad(g.sum(toShape: input.shape))
        }
    }

    /// Sums a broadcast gradient back to `target` (the shape of the operand that was
    /// stretched): over the extra leading axes and over every axis where `target` has size 1.
    public func sum(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(broadcastShapes(target, shape, op: "sum(toShape:)") == shape,
                     "sum(toShape:): shape \(describeShape(shape)) does not broadcast from \(describeShape(target))")
        let out = TensorStorage(zeros: target.product)
        let st = broadcastStrides(target, to: shape)
        withPointers(self, out) { src, dst in
            forEachRow(shape, st, st) { o, t, strideT, _, _, n in
                if strideT == 0 {
                    var s: Float = 0
                    for j in 0..<n { s += src[o + j] }
                    dst[t] += s
                } else {
                    for j in 0..<n { dst[t + j] += src[o + j] }
                }
            }
        }
        let input = self
        return Tensor(shape: target, storage: out).record("sumToShape", [self]) { g in
            input.accumulateGrad(g.expand(to: input.shape))
        }
    }
}
