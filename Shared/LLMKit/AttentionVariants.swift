// Variations on multi-head attention that real models use: fewer key/value heads than query
// heads (multi-query and grouped-query attention, which shrink the KV cache), rotary
// positions inside attention, and cross-attention, where the queries come from one sequence
// and the keys and values from another.

import TensorKit

/// Repeats each of the kv heads of x (B, kvh, T, hd) `groups` times along the head axis,
/// giving (B, kvh·groups, T, hd): query head h uses kv head h / groups
/// (`torch.repeat_interleave(x, groups, dim=1)`).
public func repeatKVHeads(_ x: Tensor, groups: Int) -> Tensor {
    guard groups > 1 else { return x }
    let kvHeads = x.shape[1]
    return x.indexSelect(1, (0..<(kvHeads * groups)).map { $0 / groups })
}

/// Causal self-attention with `numHeads` query heads sharing `numKVHeads` key/value heads:
/// multi-head attention when they are equal, multi-query attention when there is one kv
/// head, grouped-query attention in between. Optionally rotates queries and keys (RoPE).
///
/// Two options real models add: `bias` on the projections (Qwen2: on q, k and v only, so
/// `outputBias: false`), and `qkNormEps`, an RMSNorm over each head's query and key before
/// the rotation (Qwen3), which keeps the scores' size in check.
///
///     let qwen3 = GroupedQueryAttention(dIn: 1024, numHeads: 16, numKVHeads: 8, headDim: 128,
///                                       rope: RotaryEmbedding(headDim: 128, base: 1e6), qkNormEps: 1e-6)
public final class GroupedQueryAttention: Module {
    public let numHeads: Int, numKVHeads: Int, headDim: Int
    public let qProj: Linear        // "q_proj" (nh·hd, d_in)
    public let kProj: Linear        // "k_proj" (kvh·hd, d_in)
    public let vProj: Linear        // "v_proj" (kvh·hd, d_in)
    public let oProj: Linear        // "o_proj" (d_in, nh·hd)
    public let qNorm: RMSNorm?      // "q_norm" (hd): Qwen3
    public let kNorm: RMSNorm?      // "k_norm" (hd): Qwen3
    public let rope: RotaryEmbedding?
    /// The attention weights of the last call (B, nh, T, T).
    public private(set) var lastWeights: Tensor?

    /// Scores are multiplied by `scale` (default 1/√headDim).
    public let scale: Float?

    /// `bias` puts a bias on all four projections, unless `outputBias` says otherwise for o_proj.
    public init(dIn: Int, numHeads: Int, numKVHeads: Int, headDim: Int, rope: RotaryEmbedding? = nil,
                bias: Bool = false, outputBias: Bool? = nil, qkNormEps: Float? = nil, scale: Float? = nil,
                generator: TorchGenerator = .global) {
        self.scale = scale
        precondition(numHeads % numKVHeads == 0, "GroupedQueryAttention: \(numHeads) heads are not divisible into \(numKVHeads) kv heads")
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.rope = rope
        qProj = Linear(dIn, numHeads * headDim, bias: bias, generator: generator)
        kProj = Linear(dIn, numKVHeads * headDim, bias: bias, generator: generator)
        vProj = Linear(dIn, numKVHeads * headDim, bias: bias, generator: generator)
        oProj = Linear(numHeads * headDim, dIn, bias: outputBias ?? bias, generator: generator)
        qNorm = qkNormEps.map { RMSNorm(headDim, eps: $0) }
        kNorm = qkNormEps.map { RMSNorm(headDim, eps: $0) }
        super.init()
        register("q_proj", qProj)
        register("k_proj", kProj)
        register("v_proj", vProj)
        register("o_proj", oProj)
        if let qNorm, let kNorm {
            register("q_norm", qNorm)
            register("k_norm", kNorm)
        }
    }

    /// (B, T, d_in) → (B, T, d_in). The tokens sit at positions `start..<start+T`; with a
    /// cache, their keys and values are appended to it and the queries see all cached keys.
    public func callAsFunction(_ x: Tensor, start: Int = 0, cache: KVCache.Layer? = nil) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        var q = qProj(x).reshape([b, t, numHeads, headDim])                      // (B, T, nh, hd)
        var k = kProj(x).reshape([b, t, numKVHeads, headDim])                    // (B, T, kvh, hd)
        if let qNorm, let kNorm { (q, k) = (qNorm(q), kNorm(k)) }                 // each head on its own
        q = q.transpose(1, 2)                                                    // (B, nh, T, hd)
        k = k.transpose(1, 2)                                                    // (B, kvh, T, hd)
        var v = vProj(x).reshape([b, t, numKVHeads, headDim]).transpose(1, 2)    // (B, kvh, T, hd)
        if let rope {
            q = rope.apply(q, positions: start..<(start + t))
            k = rope.apply(k, positions: start..<(start + t))
        }
        if let cache {
            cache.append(keys: k, values: v)
            (k, v) = (cache.keys!, cache.values!)                                // (B, kvh, Tk, hd)
        }
        let groups = numHeads / numKVHeads
        let (context, weights) = scaledDotProductAttention(
            q, repeatKVHeads(k, groups: groups), repeatKVHeads(v, groups: groups), causal: true, scale: scale)  // (B, nh, T, hd)
        lastWeights = weights                                                    // (B, nh, T, T)
        return oProj(context.transpose(1, 2).reshape([b, t, numHeads * headDim]))  // (B, T, d_in)
    }

    /// Bytes of key and value cache per token: 2 (K and V) × layers × kv heads × head dim × 4.
    public static func kvCacheBytesPerToken(layers: Int, kvHeads: Int, headDim: Int, bytesPerNumber: Int = 4) -> Int {
        2 * layers * kvHeads * headDim * bytesPerNumber
    }
}

/// Multi-head cross-attention: queries from `x` (the decoder side), keys and values from
/// `memory` (the encoder's output). No causal mask: every query may see all of the memory.
public final class CrossAttention: Module {
    public let numHeads: Int, headDim: Int
    public let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear
    /// The attention weights of the last call (B, nh, Tq, Tk): where each output looked.
    public private(set) var lastWeights: Tensor?

    public init(dModel: Int, numHeads: Int, bias: Bool = true, generator: TorchGenerator = .global) {
        precondition(dModel % numHeads == 0, "CrossAttention: d_model \(dModel) is not divisible by \(numHeads) heads")
        self.numHeads = numHeads
        self.headDim = dModel / numHeads
        qProj = Linear(dModel, dModel, bias: bias, generator: generator)
        kProj = Linear(dModel, dModel, bias: bias, generator: generator)
        vProj = Linear(dModel, dModel, bias: bias, generator: generator)
        outProj = Linear(dModel, dModel, bias: bias, generator: generator)
        super.init()
        register("q_proj", qProj)
        register("k_proj", kProj)
        register("v_proj", vProj)
        register("out_proj", outProj)
    }

    /// x (B, Tq, d), memory (B, Tk, d) → (B, Tq, d). `memoryMask` (B, 1, 1, Tk), additive,
    /// hides padding in the memory.
    public func callAsFunction(_ x: Tensor, memory: Tensor, memoryMask: Tensor? = nil) -> Tensor {
        let (b, tq, tk) = (x.shape[0], x.shape[1], memory.shape[1])
        let d = numHeads * headDim
        let q = qProj(x).reshape([b, tq, numHeads, headDim]).transpose(1, 2)        // (B, nh, Tq, hd)
        let k = kProj(memory).reshape([b, tk, numHeads, headDim]).transpose(1, 2)   // (B, nh, Tk, hd)
        let v = vProj(memory).reshape([b, tk, numHeads, headDim]).transpose(1, 2)   // (B, nh, Tk, hd)
        let (context, weights) = scaledDotProductAttention(q, k, v, causal: false, mask: memoryMask)
        lastWeights = weights                                                       // (B, nh, Tq, Tk)
        return outProj(context.transpose(1, 2).reshape([b, tq, d]))                 // (B, Tq, d)
    }
}
