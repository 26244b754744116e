// Fused causal self-attention: scores, causal mask, softmax, dropout and the weighted sum of
// the values in one pass per head, forward and backward, reading queries, keys and values
// straight from the fused projection (B, T, 3·d) and writing the context straight into
// (B, T, d). The step-by-step version (`scaledDotProductAttention` in LLMKit) makes the
// same numbers through separate ops and copies: this one skips the transposes, never
// computes the masked half of the scores, and keeps no intermediate but the weights.

import Foundation

extension Tensor {
    /// Causal multi-head self-attention of a fused query/key/value projection.
    ///
    /// - Parameters:
    ///   - qkv: (B, T, 3·d): the queries, keys and values of every position side by side, each
    ///     split into `heads` heads of d / heads features (GPT-2's `c_attn` output).
    ///   - heads: the number of heads.
    ///   - dropout: the probability of dropping an attention weight while training; the mask is
    ///     drawn from `generator` exactly as `weights.dropout(p, …)` would draw it.
    /// - Returns: the context (B, T, d), heads side by side, and the attention weights before
    ///   dropout (kept one (T, T) block per head; `weights.tensor()` gives (B, heads, T, T), not
    ///   differentiable, for pictures).
    ///
    ///     let (context, weights) = Tensor.causalSelfAttention(qkv: c_attn(x), heads: 12)
    public static func causalSelfAttention(qkv: Tensor, heads: Int, dropout: Float = 0, training: Bool = false,
                                           generator: TorchGenerator = .global) -> (context: Tensor, weights: AttentionWeights) {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0,
                     "causalSelfAttention: qkv must be (B, T, 3·d) with d divisible by \(heads) heads, got \(describeShape(qkv.shape))")
        let (b, t, d) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
        let hd = d / heads
        let root = Float(hd).squareRoot()          // scores are divided by √hd, as GPT-2 and the step-by-step ops do
        let keep = training && dropout > 0 ? dropoutScale(generator.bernoulli([b, heads, t, t], p: 1 - dropout), dropout) : nil
        let weights = AttentionWeights(batch: b, heads: heads, length: t)  // B·nh blocks of (T, T)
        let context = TensorStorage(uninitialized: b * t * d)               // (B, T, d)
        let keepOrNone = keep ?? TensorStorage(uninitialized: 0)
        withPointers(qkv, keepOrNone, context) { x, keep, o in
            // one task per (batch, head); each reads its head's columns of qkv in place
            parallelFor(b * heads) { task in
                let (batch, head) = (task / heads, task % heads)
                let q = x + batch * t * 3 * d + head * hd, k = q + d, v = q + 2 * d   // rows 3·d apart
                let scores = weights.blocks[task]                                    // (T, T)
                withDroppedWeights(t * t, keepOrNone.count == 0) { pdb in
                    // Blocks of query rows: rows rb..<r1 see keys 0..<r1 only, so the
                    // products skip (almost all of) the masked upper triangle.
                    for rb in stride(from: 0, to: t, by: attentionRowBlock) {
                        let r1 = min(rb + attentionRowBlock, t)
                        gemm(m: r1 - rb, n: r1, k: hd, a: q + rb * 3 * d, lda: 3 * d, transA: false,
                             b: k, ldb: 3 * d, transB: true, c: scores + rb * t, ldc: t, accumulate: false)   // Q·Kᵀ
                        for i in rb..<r1 {
                            let row = scores + i * t
                            var j = 0
                            while j <= i { store16(load16(row, j, i + 1) / root, row, j, i + 1); j += 16 }
                            rowSoftmax(row, i + 1, into: row)                            // keys 0...i
                            (row + i + 1).update(repeating: 0, count: t - i - 1)     // masked: weight 0
                            if let pdb {                                              // P' = P ⊙ keep / (1 − p)
                                // row pointers first: the loop has no index arithmetic to check
                                let (dropped, kept) = (pdb + i * t, keep + task * t * t + i * t)
                                for j in 0...i { dropped[j] = row[j] * kept[j] }
                            }
                        }
                        let weightsBlock = UnsafePointer(pdb ?? scores) + rb * t
                        gemm(m: r1 - rb, n: hd, k: r1, a: weightsBlock, lda: t, transA: false,
                             b: v, ldb: 3 * d, transB: false,
                             c: o + (batch * t + rb) * d + head * hd, ldc: d, accumulate: false)   // P'·V
                    }
                }
            }
        }
        let out = Tensor(shape: [b, t, d], storage: context).record("causalSelfAttention", [qkv]) { g in
            qkv.accumulateGrad(causalSelfAttentionBackward(qkv: qkv, weights: weights, keep: keep, gradient: g,
                                                           b: b, t: t, d: d, heads: heads, root: root))
        }
        return (out, weights)
    }
}

/// The attention weights of a fused pass: one (T, T) block per (batch, head), each taken from
/// `BufferPool` on its own. (One array of B·heads·T² floats would pass 32 MB at a context of
/// 1,024: with the pool off, the allocator would hand out fresh pages for it, which the kernel
/// must zero, on every step.)
public final class AttentionWeights {
    public let batch: Int, heads: Int, length: Int
    /// Blocks from `BufferPool`'s scratch memory, values unspecified until the pass writes them.
    let blocks: [UnsafeMutablePointer<Float>]

    init(batch: Int, heads: Int, length: Int) {
        (self.batch, self.heads, self.length) = (batch, heads, length)
        blocks = (0..<(batch * heads)).map { _ in BufferPool.shared.take(length * length) }
    }

    deinit { for block in blocks { BufferPool.shared.giveBack(block, count: length * length) } }

    /// The weights as one tensor (B, heads, T, T).
    public func tensor() -> Tensor {
        let n = length * length
        let out = TensorStorage(uninitialized: blocks.count * n)
        for (i, block) in blocks.enumerated() { (out.floats + i * n).update(from: block, count: n) }
        return Tensor(shape: [batch, heads, length, length], storage: out)
    }
}

/// `keep` (0 or 1 per weight) scaled to 0 or 1 / (1 − p), what dropout multiplies by.
private func dropoutScale(_ keep: Tensor, _ p: Float) -> TensorStorage {
    let scaled = TensorStorage(uninitialized: keep.count)
    withPointers(keep, scaled) { k, scaled in
        for i in 0..<keep.count { scaled[i] = k[i] / (1 - p) }
    }
    return scaled
}

/// Runs `body` with zeroed scratch for one head's weights after dropout, or with nil when
/// there is no dropout (then the weights themselves are used).
@inline(__always)
private func withDroppedWeights(_ count: Int, _ none: Bool, _ body: (UnsafeMutablePointer<Float>?) -> Void) {
    if none { return body(nil) }
    BufferPool.withScratch(count) { scratch in
        scratch.update(repeating: 0, count: count)     // entries above the diagonal are read as 0
        body(scratch)
    }
}

/// Query rows per block of the fused attention: a block of rows needs keys only up to its
/// last row, so blocking skips most of the masked half of the products.
let attentionRowBlock = 128

/// The gradient with respect to qkv (B, T, 3·d), given the context's gradient (B, T, d):
///
///     dV_j = Σ_i P'_ij dO_i          dP'_ij = dO_i · V_j        dP_ij = dP'_ij · keep_ij
///     dS_ij = P_ij (dP_ij − Σ_k P_ik dP_ik) / √hd
///     dQ_i = Σ_j dS_ij K_j           dK_j = Σ_i dS_ij Q_i
///
/// Each head's slice of the result is written by one task, so the sums run in the same order
/// whatever the number of threads.
private func causalSelfAttentionBackward(qkv: Tensor, weights: AttentionWeights, keep: TensorStorage?, gradient: Tensor,
                                         b: Int, t: Int, d: Int, heads: Int, root: Float) -> TensorStorage {
    let hd = d / heads
    let dqkv = TensorStorage(zeros: b * t * 3 * d)
    let keepOrNone = keep ?? TensorStorage(uninitialized: 0)
    withPointers(qkv, gradient, keepOrNone, dqkv) { x, g, keepPointer, dx in
        let keep = keep == nil ? nil : keepPointer
        parallelFor(b * heads) { task in
            let (batch, head) = (task / heads, task % heads)
            let q = x + batch * t * 3 * d + head * hd, k = q + d, v = q + 2 * d
            let dq = dx + batch * t * 3 * d + head * hd, dk = dq + d, dv = dq + 2 * d
            let dO = g + batch * t * d + head * hd                                // rows d apart
            let p = UnsafePointer(weights.blocks[task])
            BufferPool.withScratch(t * t) { ds in
                withDroppedWeights(t * t, keep == nil) { pdb in
                    for rb in stride(from: 0, to: t, by: attentionRowBlock) {
                        let (r1, m) = (min(rb + attentionRowBlock, t), min(attentionRowBlock, t - rb))
                        gemm(m: m, n: r1, k: hd, a: dO + rb * d, lda: d, transA: false, b: v, ldb: 3 * d, transB: true,
                             c: ds + rb * t, ldc: t, accumulate: false)                    // dP' = dO·Vᵀ
                        if let keep {                                                     // through dropout
                            for i in rb..<r1 {
                                // row pointers first: the loop has no index arithmetic to check
                                let (dsRow, dropped) = (ds + i * t, pdb! + i * t)
                                let (pRow, kept) = (p + i * t, keep + task * t * t + i * t)
                                for j in 0...i {
                                    dsRow[j] *= kept[j]
                                    dropped[j] = pRow[j] * kept[j]
                                }
                            }
                        }
                        let weightsBlock = (pdb.map { UnsafePointer($0) } ?? p) + rb * t
                        gemm(m: r1, n: hd, k: m, a: weightsBlock, lda: t, transA: true,
                             b: dO + rb * d, ldb: d, transB: false, c: dv, ldc: 3 * d, accumulate: true)   // dV += P'ᵀ·dO
                        for i in rb..<r1 {                                                // dS = P ⊙ (dP − Σ P·dP) / √hd
                            let (row, grad) = (p + i * t, ds + i * t)
                            var total: Float = 0
                            for j in 0...i { total += row[j] * grad[j] }
                            for j in 0...i { grad[j] = row[j] * (grad[j] - total) / root }
                            (grad + i + 1).update(repeating: 0, count: r1 - i - 1)
                        }
                        gemm(m: m, n: hd, k: r1, a: ds + rb * t, lda: t, transA: false, b: k, ldb: 3 * d, transB: false,
                             c: dq + rb * 3 * d, ldc: 3 * d, accumulate: false)                  // dQ = dS·K
                        gemm(m: r1, n: hd, k: m, a: ds + rb * t, lda: t, transA: true, b: q + rb * 3 * d, ldb: 3 * d,
                             transB: false, c: dk, ldc: 3 * d, accumulate: true)                 // dK += dSᵀ·Q
                    }
                }
            }
        }
    }
    return dqkv
}
