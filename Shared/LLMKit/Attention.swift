// Self-attention with trainable weights, step by step as chapters 4–6 build it:
// raw weight matrices (v1), Linear layers (v2), the causal mask, and many heads.
// The general-purpose kernel every model uses is `scaledDotProductAttention`.

import Foundation
import TensorKit

// MARK: - The kernel

/// softmax(q · kᵀ / √d + mask) · v for q of shape (…, Tq, d) and k, v of shape (…, Tk, d).
///
/// With `causal`, query i may only look at keys j ≤ i + (Tk − Tq): during cached generation
/// the Tq new queries sit at the end of the Tk keys. Returns the context (…, Tq, d) and the
/// attention weights (…, Tq, Tk).
public func scaledDotProductAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, causal: Bool,
                                      mask: Tensor? = nil, scale: Float? = nil,
                                      dropout: Float = 0, training: Bool = false,
                                      generator: TorchGenerator = .global) -> (context: Tensor, weights: Tensor) {
    let d = q.shape[q.rank - 1]
    let (tq, tk) = (q.shape[q.rank - 2], k.shape[k.rank - 2])
    var scores = q.matmul(k.transpose(-2, -1))               // (…, Tq, Tk)
    // Divided by √d as GPT-2 and the book do; multiplied when a scale is given (as Llama does).
    scores = scale.map { scores * $0 } ?? scores / Float(d).squareRoot()
    if causal {
        scores = scores.maskedFill(causalMask(queries: tq, keys: tk), -.infinity)
    }
    if let mask { scores = scores + mask }                   // additive mask, e.g. padding
    var weights = scores.softmax(axis: -1)                   // (…, Tq, Tk)
    if dropout > 0 { weights = weights.dropout(dropout, training: training, generator: generator) }
    return (weights.matmul(v), weights)                      // (…, Tq, d)
}

/// 1 where query i must not see key j (j > i + keys − queries), else 0: shape (queries, keys).
///
///     causalMask(queries: 3, keys: 3)
///     // [[0, 1, 1],
///     //  [0, 0, 1],
///     //  [0, 0, 0]]
public func causalMask(queries: Int, keys: Int) -> Tensor {
    Tensor.ones([queries, keys]).triu(keys - queries + 1)
}

// MARK: - Chapter 4: weights

/// Self-attention with three raw weight matrices, as the book's `SelfAttention_v1`:
/// queries = x·W_q, keys = x·W_k, values = x·W_v, each (d_in, d_out), drawn with `rand`.
public final class SelfAttentionV1: Module {
    public let wQuery: Tensor   // "W_query" (d_in, d_out)
    public let wKey: Tensor     // "W_key" (d_in, d_out)
    public let wValue: Tensor   // "W_value" (d_in, d_out)

    /// Draws W_query, W_key, W_value in that order, uniform in [0, 1) like `torch.rand`.
    public init(dIn: Int, dOut: Int, generator: TorchGenerator = .global) {
        wQuery = generator.rand([dIn, dOut])
        wKey = generator.rand([dIn, dOut])
        wValue = generator.rand([dIn, dOut])
        super.init()
        register(parameter: "W_query", wQuery)
        register(parameter: "W_key", wKey)
        register(parameter: "W_value", wValue)
    }

    /// (T, d_in) → (T, d_out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let queries = x.matmul(wQuery)     // (T, d_out)
        let keys = x.matmul(wKey)          // (T, d_out)
        let values = x.matmul(wValue)      // (T, d_out)
        return scaledDotProductAttention(queries, keys, values, causal: false).context
    }
}

/// The same with `Linear` layers (no bias), as the book's `SelfAttention_v2`: Linear stores
/// its weight transposed, (d_out, d_in), and initialises it better than `rand`.
public final class SelfAttentionV2: Module {
    public let wQuery: Linear, wKey: Linear, wValue: Linear

    public init(dIn: Int, dOut: Int, qkvBias: Bool = false, generator: TorchGenerator = .global) {
        wQuery = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        wKey = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        wValue = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        super.init()
        register("W_query", wQuery)
        register("W_key", wKey)
        register("W_value", wValue)
    }

    /// (T, d_in) → (T, d_out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        attend(x).context
    }

    /// The context vectors and the attention weights.
    public func attend(_ x: Tensor) -> (context: Tensor, weights: Tensor) {
        scaledDotProductAttention(wQuery(x), wKey(x), wValue(x), causal: false)
    }
}

// MARK: - Chapter 5: the causal mask

/// Single-head causal self-attention over batches, as the book's `CausalAttention`:
/// each token attends only to itself and the tokens before it, and attention weights pass
/// through dropout in training.
public final class CausalAttention: Module {
    public let wQuery: Linear, wKey: Linear, wValue: Linear
    public let dropout: Dropout
    public let contextLength: Int
    /// The attention weights of the last call (B, T, T), for pictures.
    public private(set) var lastWeights: Tensor?

    public init(dIn: Int, dOut: Int, contextLength: Int, dropout: Float, qkvBias: Bool = false,
                generator: TorchGenerator = .global) {
        wQuery = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        wKey = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        wValue = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        self.dropout = Dropout(dropout, generator: generator)
        self.contextLength = contextLength
        super.init()
        register("W_query", wQuery)
        register("W_key", wKey)
        register("W_value", wValue)
        register("dropout", self.dropout)
    }

    /// (B, T, d_in) → (B, T, d_out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 3 && x.shape[1] <= contextLength,
                     "CausalAttention: input must be (batch, tokens ≤ \(contextLength), d_in), got \(describeShape(x.shape))")
        let (context, weights) = scaledDotProductAttention(
            wQuery(x), wKey(x), wValue(x), causal: true,              // (B, T, d_out) each
            dropout: dropout.p, training: isTraining, generator: dropout.generator)
        lastWeights = weights                                          // (B, T, T)
        return context                                                 // (B, T, d_out)
    }
}

// MARK: - Chapter 6: many heads

/// Several `CausalAttention` heads side by side, their outputs concatenated: the simple
/// way (the book's `MultiHeadAttentionWrapper`).
public final class MultiHeadAttentionWrapper: Module {
    public let heads: [CausalAttention]

    public init(dIn: Int, dOut: Int, contextLength: Int, dropout: Float, numHeads: Int, qkvBias: Bool = false,
                generator: TorchGenerator = .global) {
        heads = (0..<numHeads).map { _ in
            CausalAttention(dIn: dIn, dOut: dOut, contextLength: contextLength, dropout: dropout, qkvBias: qkvBias, generator: generator)
        }
        super.init()
        register("heads", list: heads)
    }

    /// (B, T, d_in) → (B, T, numHeads · d_out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.cat(heads.map { $0(x) }, axis: -1)
    }
}

/// Multi-head causal attention with one projection for all heads, split into heads by a
/// reshape (the book's `MultiHeadAttention`; GPT-2's attention).
public final class MultiHeadAttention: Module {
    public let numHeads: Int, headDim: Int, dOut: Int, contextLength: Int
    public let wQuery: Linear, wKey: Linear, wValue: Linear, outProj: Linear
    public let dropout: Dropout
    /// The attention weights of the last call (B, nh, T, T), for pictures.
    public private(set) var lastWeights: Tensor?

    /// Creates W_query, W_key, W_value, then out_proj, in the book's order.
    public init(dIn: Int, dOut: Int, contextLength: Int, dropout: Float, numHeads: Int, qkvBias: Bool = false,
                generator: TorchGenerator = .global) {
        precondition(dOut % numHeads == 0, "MultiHeadAttention: d_out \(dOut) is not divisible by \(numHeads) heads")
        self.numHeads = numHeads
        self.headDim = dOut / numHeads
        self.dOut = dOut
        self.contextLength = contextLength
        wQuery = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        wKey = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        wValue = Linear(dIn, dOut, bias: qkvBias, generator: generator)
        outProj = Linear(dOut, dOut, generator: generator)
        self.dropout = Dropout(dropout, generator: generator)
        super.init()
        register("W_query", wQuery)
        register("W_key", wKey)
        register("W_value", wValue)
        register("out_proj", outProj)
        register("dropout", self.dropout)
    }

    /// (B, T, d_in) → (B, T, d_out)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        precondition(t <= contextLength, "MultiHeadAttention: \(t) tokens exceed the context length \(contextLength)")
        let q = splitHeads(wQuery(x))                                  // (B, nh, T, hd)
        let k = splitHeads(wKey(x))                                    // (B, nh, T, hd)
        let v = splitHeads(wValue(x))                                  // (B, nh, T, hd)
        let (context, weights) = scaledDotProductAttention(q, k, v, causal: true, dropout: dropout.p,
                                                           training: isTraining, generator: dropout.generator)
        lastWeights = weights                                          // (B, nh, T, T)
        let merged = context.transpose(1, 2).reshape([b, t, dOut])     // (B, T, d_out)
        return outProj(merged)                                         // (B, T, d_out)
    }

    /// (B, T, d_out) → (B, nh, T, hd)
    func splitHeads(_ x: Tensor) -> Tensor {
        x.reshape([x.shape[0], x.shape[1], numHeads, headDim]).transpose(1, 2)
    }
}
