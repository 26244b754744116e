// Matrix multiplication — 2-D, batched with broadcast batch axes, and the linear layer's
// x · Wᵀ + b — all on the `gemm` kernel, which reads transposed operands in place.

extension Tensor {
    /// The matrix product over the last two axes (`a @ b` in PyTorch): (…, m, k) × (…, k, n)
    /// gives (…, m, n), and the leading (batch) axes broadcast. A 1-D left operand is a row
    /// vector and a 1-D right operand a column vector; their axis is dropped from the result.
    ///
    ///     let scores = inputs.matmul(inputs.T)   // (6, 3) × (3, 6) → (6, 6)
    public func matmul(_ other: Tensor) -> Tensor {
        precondition(rank >= 1 && other.rank >= 1, "matmul: needs tensors with at least 1 dimension, got \(describeShape(shape)) × \(describeShape(other.shape))")
        let a = rank == 1 ? reshape([1, shape[0]]) : self
        let b = other.rank == 1 ? other.reshape([other.shape[0], 1]) : other
        let (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (k2, n) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        precondition(k == k2, "matmul: \(describeShape(shape)) × \(describeShape(other.shape)): inner dimensions \(k) and \(k2) differ")
        let batchA = Array(a.shape.dropLast(2)), batchB = Array(b.shape.dropLast(2))
        let batch = broadcastShapes(batchA, batchB, op: "matmul")
        var outShape = batch + [m, n]
        let product = Tensor.batchedProduct(a, b, batch: batch, m: m, n: n, k: k)
        if rank == 1 { outShape.remove(at: outShape.count - 2) }
        if other.rank == 1 { outShape.removeLast() }
        let result = Tensor(shape: outShape, storage: product)
        let name = rank == 1 && other.rank == 1 ? "dot" : other.rank == 1 ? "mv" : batch.isEmpty ? "mm" : "bmm"
        // Recorded against the 2-D views a and b, whose own graph leads back to self and other.
        return result.record(name, [a, b]) { g in
            let g3 = Tensor(shape: batch + [m, n], storage: g.storage)
            if a.requiresGrad {
                // dA = dC · Bᵀ, summed back over axes where A was broadcast
                let full = Tensor.batchedProduct(g3, b, batch: batch, m: m, n: k, k: n, transB: true)
                a.accumulateGrad(Tensor(shape: batch + [m, k], storage: full).sum(toShape: a.shape))
            }
            if b.requiresGrad {
                // dB = Aᵀ · dC
                let full = Tensor.batchedProduct(a, g3, batch: batch, m: k, n: n, k: m, transA: true)
                b.accumulateGrad(Tensor(shape: batch + [k, n], storage: full).sum(toShape: b.shape))
            }
        }
    }

    /// Multiplies every batch item of `a` by the matching (broadcast) item of `b` with `gemm`.
    /// `transA`/`transB` say that `a`/`b` hold the transposed matrices (k × m, n × k).
    static func batchedProduct(_ a: Tensor, _ b: Tensor, batch: [Int], m: Int, n: Int, k: Int,
                               transA: Bool = false, transB: Bool = false) -> TensorStorage {
        let batchCount = batch.product
        let out = TensorStorage(uninitialized: batchCount * m * n)   // gemm writes every element
        if out.count == 0 { return out }
        let stridesA = broadcastStrides(Array(a.shape.dropLast(2)), to: batch)
        let stridesB = broadcastStrides(Array(b.shape.dropLast(2)), to: batch)
        let lda = transA ? m : k, ldb = transB ? k : n
        withPointers(a, b, out) { ap, bp, cp in
            // A right operand shared by every batch item (x · W): one tall product.
            if !transA, stridesB.allSatisfy({ $0 == 0 }), stridesA == contiguousStrides(batch).map({ $0 }) || batch.isEmpty {
                gemm(m: batchCount * m, n: n, k: k, a: ap, lda: lda, transA: false,
                     b: bp, ldb: ldb, transB: transB, c: cp, ldc: n, accumulate: false)
                return
            }
            var index = [Int](repeating: 0, count: batch.count)
            for item in 0..<batchCount {
                var offA = 0, offB = 0, rem = item
                for d in stride(from: batch.count - 1, through: 0, by: -1) {
                    index[d] = rem % batch[d]
                    rem /= batch[d]
                    offA += index[d] * stridesA[d]
                    offB += index[d] * stridesB[d]
                }
                gemm(m: m, n: n, k: k,
                     a: ap + offA * m * k, lda: lda, transA: transA,
                     b: bp + offB * k * n, ldb: ldb, transB: transB,
                     c: cp + item * m * n, ldc: n, accumulate: false)
            }
        }
        return out
    }

    /// The linear layer's product `x · Wᵀ + b` for `weight` of shape (out, in), as
    /// `F.linear` computes it; `x` is (…, in). Reads W transposed in place.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2, "linear: weight must be (out, in), got \(describeShape(weight.shape))")
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inFeatures,
                     "linear: input \(describeShape(x.shape)) × weight \(describeShape(weight.shape)): input features \(x.shape.last ?? 0) and \(inFeatures) differ")
        if let bias { precondition(bias.shape == [outFeatures], "linear: bias \(describeShape(bias.shape)) does not match \(outFeatures) outputs") }
        let rows = x.count / Swift.max(inFeatures, 1)
        let out = TensorStorage(uninitialized: rows * outFeatures)   // the bias or gemm writes every element
        if let bias {
            withPointers(bias, out) { b, o in
                for r in 0..<rows { (o + r * outFeatures).update(from: b, count: outFeatures) }
            }
        }
        if rows > 0 {
            withPointers(x, weight, out) { xp, wp, o in
                gemm(m: rows, n: outFeatures, k: inFeatures, a: xp, lda: inFeatures, transA: false,
                     b: wp, ldb: inFeatures, transB: true, c: o, ldc: outFeatures, accumulate: bias != nil)
            }
        }
        let outShape = Array(x.shape.dropLast()) + [outFeatures]
        let inputs = [x, weight] + [bias].compactMap { $0 }
        // PyTorch's names for what F.linear does: addmm (2-D with bias), mm, or a view of either
        let name = x.rank <= 2 ? (bias != nil ? "addmm" : "mm") : (bias != nil ? "view" : "unsafeView")
        return Tensor(shape: outShape, storage: out).record(name, inputs) { g in
            guard rows > 0 else { return }
            if x.requiresGrad {
                // dx = g · W : (rows, out) × (out, in)
                let dx = TensorStorage(uninitialized: x.count)
                withPointers(g, weight, dx) { gp, wp, d in
                    gemm(m: rows, n: inFeatures, k: outFeatures, a: gp, lda: outFeatures, transA: false,
                         b: wp, ldb: inFeatures, transB: false, c: d, ldc: inFeatures, accumulate: false)
                }
                x.accumulateGrad(dx)
            }
            if weight.requiresGrad {
                // dW = gᵀ · x : (out, rows) × (rows, in)
                let dw = TensorStorage(uninitialized: weight.count)
                withPointers(g, x, dw) { gp, xp, d in
                    gemm(m: outFeatures, n: inFeatures, k: rows, a: gp, lda: outFeatures, transA: true,
                         b: xp, ldb: inFeatures, transB: false, c: d, ldc: inFeatures, accumulate: false)
                }
                weight.accumulateGrad(dw)
            }
            if let bias, bias.requiresGrad {
                let db = TensorStorage(zeros: outFeatures)
                withPointers(g, db) { gp, d in
                    for r in 0..<rows { for j in 0..<outFeatures { d[j] += gp[r * outFeatures + j] } }
                }
                bias.accumulateGrad(db)
            }
        }
    }
}
