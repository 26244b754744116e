// The 2017 Transformer's two kinds of layers, post-norm as in the paper (and in Marian and
// BERT): each sub-layer is followed by "add & norm", LayerNorm(x + sublayer(x)).
// An encoder layer is self-attention (both directions) + feed-forward; a decoder layer is
// causal self-attention + cross-attention to the encoder's output + feed-forward.
// Module names follow Hugging Face's Marian checkpoints (`self_attn.q_proj`, `fc1`, …).

import Foundation
import TensorKit

/// Multi-head attention through four projections: queries from `x`, keys and values from
/// `memory` (cross-attention) or from `x` itself (self-attention). (B, Tq, d) → (B, Tq, d).
/// With a cache (decoder self-attention during generation) new keys and values are appended.
public func multiHeadAttention(_ x: Tensor, memory: Tensor? = nil, query: Linear, key: Linear, value: Linear, output: Linear,
                               heads: Int, causal: Bool, mask: Tensor? = nil, cache: KVCache.Layer? = nil) -> (Tensor, Tensor) {
    let (b, tq, d) = (x.shape[0], x.shape[1], x.shape[2])
    let source = memory ?? x
    let tk = source.shape[1], hd = d / heads
    let q = query(x).reshape([b, tq, heads, hd]).transpose(1, 2)          // (B, h, Tq, hd)
    var k = key(source).reshape([b, tk, heads, hd]).transpose(1, 2)       // (B, h, Tk, hd)
    var v = value(source).reshape([b, tk, heads, hd]).transpose(1, 2)     // (B, h, Tk, hd)
    if let cache {
        cache.append(keys: k, values: v)
        (k, v) = (cache.keys!, cache.values!)                               // (B, h, Tk, hd)
    }
    let (context, weights) = scaledDotProductAttention(q, k, v, causal: causal, mask: mask,
                                                       scale: 1 / Float(hd).squareRoot())   // (B, h, Tq, hd)
    return (output(context.transpose(1, 2).reshape([b, tq, d])), weights)                  // (B, Tq, d)
}

/// Attention with its four projections named as in Marian/BART checkpoints.
public final class TransformerAttention: Module {
    public let qProj: Linear, kProj: Linear, vProj: Linear, outProj: Linear
    public let heads: Int
    public let causal: Bool
    /// The attention weights of the last call (B, h, Tq, Tk).
    public private(set) var lastWeights: Tensor?

    public init(dModel: Int, heads: Int, causal: Bool, generator: TorchGenerator = .global) {
        precondition(dModel % heads == 0, "TransformerAttention: d_model \(dModel) is not divisible by \(heads) heads")
        qProj = Linear(dModel, dModel, generator: generator)
        kProj = Linear(dModel, dModel, generator: generator)
        vProj = Linear(dModel, dModel, generator: generator)
        outProj = Linear(dModel, dModel, generator: generator)
        self.heads = heads
        self.causal = causal
        super.init()
        register("q_proj", qProj)
        register("k_proj", kProj)
        register("v_proj", vProj)
        register("out_proj", outProj)
    }

    public func callAsFunction(_ x: Tensor, memory: Tensor? = nil, mask: Tensor? = nil, cache: KVCache.Layer? = nil) -> Tensor {
        let (out, weights) = multiHeadAttention(x, memory: memory, query: qProj, key: kProj, value: vProj, output: outProj,
                                                heads: heads, causal: causal, mask: mask, cache: cache)
        lastWeights = weights
        return out
    }
}

/// The feed-forward of the 2017 Transformer: fc2(activation(fc1(x))).
public enum Activation: String, Codable {
    case relu, gelu, geluTanh, silu
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .relu: return x.relu()
        case .gelu: return x.gelu()
        case .geluTanh: return x.gelu(approximate: true)
        case .silu: return x.silu()
        }
    }

    /// The names Hugging Face configs use.
    public init?(huggingFace name: String) {
        switch name {
        case "relu": self = .relu
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
        case "silu", "swish": self = .silu
        default: return nil
        }
    }
}

/// A post-norm encoder layer: LayerNorm(x + SelfAttention(x)), then LayerNorm(h + FFN(h)).
public final class EncoderLayer: Module {
    public let selfAttention: TransformerAttention, selfAttentionNorm: LayerNorm
    public let fc1: Linear, fc2: Linear, finalNorm: LayerNorm
    public let activation: Activation

    public init(dModel: Int, heads: Int, ffn: Int, activation: Activation = .relu, eps: Float = 1e-5, generator: TorchGenerator = .global) {
        selfAttention = TransformerAttention(dModel: dModel, heads: heads, causal: false, generator: generator)
        selfAttentionNorm = LayerNorm(dModel, eps: eps)
        fc1 = Linear(dModel, ffn, generator: generator)
        fc2 = Linear(ffn, dModel, generator: generator)
        finalNorm = LayerNorm(dModel, eps: eps)
        self.activation = activation
        super.init()
        register("self_attn", selfAttention)
        register("self_attn_layer_norm", selfAttentionNorm)
        register("fc1", fc1)
        register("fc2", fc2)
        register("final_layer_norm", finalNorm)
    }

    /// (B, T, d) → (B, T, d); `mask` (additive, broadcast to the scores) hides padding.
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil) -> Tensor {
        let h = selfAttentionNorm(x + selfAttention(x, mask: mask))          // add & norm
        return finalNorm(h + fc2(activation(fc1(h))))                        // add & norm
    }
}

/// A post-norm decoder layer: causal self-attention, cross-attention to the encoder output,
/// feed-forward — each followed by add & norm.
public final class DecoderLayer: Module {
    public let selfAttention: TransformerAttention, selfAttentionNorm: LayerNorm
    public let crossAttention: TransformerAttention, crossAttentionNorm: LayerNorm
    public let fc1: Linear, fc2: Linear, finalNorm: LayerNorm
    public let activation: Activation

    public init(dModel: Int, heads: Int, ffn: Int, activation: Activation = .relu, eps: Float = 1e-5, generator: TorchGenerator = .global) {
        selfAttention = TransformerAttention(dModel: dModel, heads: heads, causal: true, generator: generator)
        selfAttentionNorm = LayerNorm(dModel, eps: eps)
        crossAttention = TransformerAttention(dModel: dModel, heads: heads, causal: false, generator: generator)
        crossAttentionNorm = LayerNorm(dModel, eps: eps)
        fc1 = Linear(dModel, ffn, generator: generator)
        fc2 = Linear(ffn, dModel, generator: generator)
        finalNorm = LayerNorm(dModel, eps: eps)
        self.activation = activation
        super.init()
        register("self_attn", selfAttention)
        register("self_attn_layer_norm", selfAttentionNorm)
        register("encoder_attn", crossAttention)
        register("encoder_attn_layer_norm", crossAttentionNorm)
        register("fc1", fc1)
        register("fc2", fc2)
        register("final_layer_norm", finalNorm)
    }

    /// x (B, T, d) and the encoder's output `memory` (B, S, d) → (B, T, d).
    public func callAsFunction(_ x: Tensor, memory: Tensor, memoryMask: Tensor? = nil, cache: KVCache.Layer? = nil) -> Tensor {
        var h = selfAttentionNorm(x + selfAttention(x, cache: cache))                       // masked self-attention
        h = crossAttentionNorm(h + crossAttention(h, memory: memory, mask: memoryMask))      // looks at the source
        return finalNorm(h + fc2(activation(fc1(h))))
    }
}
