// The GPT model of the book (and of GPT-2): token and position embeddings, a stack of
// pre-norm transformer blocks, a final LayerNorm and a linear head to vocabulary logits.
// Parameters carry GPT-2's checkpoint names (`h.0.attn.c_attn.weight`), so Hugging Face
// GPT-2 checkpoints load into it and its own checkpoints read like GPT-2's.

import Foundation
import TensorKit

/// The size of a GPT, as the book's `GPT_CONFIG_124M` dictionary.
public struct GPTConfig: Codable, Equatable {
    public var vocabSize: Int        // vocab_size
    public var contextLength: Int    // context_length (n_positions)
    public var embeddingDim: Int     // emb_dim (n_embd)
    public var numHeads: Int         // n_heads (n_head)
    public var numLayers: Int        // n_layers (n_layer)
    public var dropRate: Float       // drop_rate
    public var qkvBias: Bool         // qkv_bias
    /// Whether the output head shares the token embedding's weights (GPT-2 does).
    public var tiedHead: Bool
    /// GPT-2 uses GELU's tanh approximation; the book's GELU class is the same formula.
    public var geluApproximate: Bool
    public var layerNormEps: Float

    public init(vocabSize: Int, contextLength: Int, embeddingDim: Int, numHeads: Int, numLayers: Int,
                dropRate: Float = 0, qkvBias: Bool = false, tiedHead: Bool = false,
                geluApproximate: Bool = true, layerNormEps: Float = 1e-5) {
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.embeddingDim = embeddingDim
        self.numHeads = numHeads
        self.numLayers = numLayers
        self.dropRate = dropRate
        self.qkvBias = qkvBias
        self.tiedHead = tiedHead
        self.geluApproximate = geluApproximate
        self.layerNormEps = layerNormEps
    }

    /// The book's GPT-2 small ("124M") configuration: no QKV bias, untied head, dropout 0.1.
    public static let gpt2Small124M = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768,
                                                numHeads: 12, numLayers: 12, dropRate: 0.1, qkvBias: false)
    /// The other GPT-2 sizes, with the same body shape rules.
    public static let gpt2Medium = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 1024, numHeads: 16, numLayers: 24, dropRate: 0.1)
    public static let gpt2Large = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 1280, numHeads: 20, numLayers: 36, dropRate: 0.1)
    public static let gpt2XL = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 1600, numHeads: 25, numLayers: 48, dropRate: 0.1)

    public var headDim: Int { embeddingDim / numHeads }
}

// MARK: - Blocks

/// Expand to 4× the width, GELU, project back (`mlp` in GPT-2, `FeedForward` in the book).
public final class FeedForward: Module {
    public let cFc: Linear, cProj: Linear
    public let approximate: Bool

    public init(_ config: GPTConfig, generator: TorchGenerator = .global) {
        cFc = Linear(config.embeddingDim, 4 * config.embeddingDim, generator: generator)
        cProj = Linear(4 * config.embeddingDim, config.embeddingDim, generator: generator)
        approximate = config.geluApproximate
        super.init()
        register("c_fc", cFc)       // h.N.mlp.c_fc
        register("c_proj", cProj)   // h.N.mlp.c_proj
    }

    /// (B, T, d) → (B, T, d)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        cProj(cFc(x).gelu(approximate: approximate))   // (B, T, 4d) → (B, T, d)
    }
}

/// Causal multi-head self-attention with GPT-2's fused query/key/value projection `c_attn`.
public final class GPTAttention: Module {
    public let config: GPTConfig
    public let cAttn: Linear, cProj: Linear
    public let attentionDropout: Dropout
    /// The attention weights of the last call (B, nh, Tq, Tk), for pictures (assembled when asked).
    public var lastWeights: Tensor? { lastWeightsSource?() }
    private var lastWeightsSource: (() -> Tensor)?

    /// Draws W_query, W_key, W_value and out_proj in the book's order; `c_attn` holds the
    /// three query/key/value weights stacked, (3d, d).
    public init(_ config: GPTConfig, generator: TorchGenerator = .global) {
        self.config = config
        let d = config.embeddingDim
        let parts = (0..<3).map { _ in Linear(d, d, bias: config.qkvBias, generator: generator) }
        // stacked outside the graph: c_attn's weight is a parameter (a leaf) of its own
        cAttn = withNoGrad {
            Linear(weight: Tensor.cat(parts.map { $0.weight }, axis: 0),
                   bias: config.qkvBias ? Tensor.cat(parts.map { $0.bias! }, axis: 0) : nil)
        }
        cProj = Linear(d, d, generator: generator)
        attentionDropout = Dropout(config.dropRate, generator: generator)
        super.init()
        register("c_attn", cAttn)   // h.N.attn.c_attn
        register("c_proj", cProj)   // h.N.attn.c_proj
        register("attn_dropout", attentionDropout)
    }

    /// (B, T, d) → (B, T, d). With a cache, the new keys and values are appended to it and
    /// the T new queries attend to everything cached so far.
    public func callAsFunction(_ x: Tensor, cache: KVCache.Layer? = nil) -> Tensor {
        let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2])
        let (nh, hd) = (config.numHeads, config.headDim)
        let qkv = cAttn(x)                                                        // (B, T, 3d)
        if cache == nil && TensorKitConfig.fusedAttention {
            // the same computation in one fused kernel (TensorKit's Tensor+Attention.swift)
            let (context, weights) = Tensor.causalSelfAttention(
                qkv: qkv, heads: nh, dropout: attentionDropout.p, training: isTraining,
                generator: attentionDropout.generator)                            // (B, T, d)
            lastWeightsSource = { weights.tensor() }                              // (B, nh, T, T)
            return cProj(context)                                                 // (B, T, d)
        }
        let q = qkv.slice(-1, 0, d).reshape([b, t, nh, hd]).transpose(1, 2)       // (B, nh, T, hd)
        var k = qkv.slice(-1, d, 2 * d).reshape([b, t, nh, hd]).transpose(1, 2)   // (B, nh, T, hd)
        var v = qkv.slice(-1, 2 * d).reshape([b, t, nh, hd]).transpose(1, 2)      // (B, nh, T, hd)
        if let cache {
            cache.append(keys: k, values: v)
            if !q.requiresGrad {
                // inference: attend over the cache where it lies (no copies, no gradient)
                let (context, weights) = cache.attend(q)                          // (B, nh, T, hd)
                lastWeightsSource = { weights }                                   // (B, nh, T, Tk)
                return cProj(context.transpose(1, 2).reshape([b, t, d]))          // (B, T, d)
            }
            (k, v) = (cache.keys!, cache.values!)                                 // (B, nh, Tk, hd)
        }
        let (context, weights) = scaledDotProductAttention(
            q, k, v, causal: true, dropout: attentionDropout.p, training: isTraining,
            generator: attentionDropout.generator)                                // (B, nh, T, hd)
        lastWeightsSource = { weights }                                           // (B, nh, T, Tk)
        return cProj(context.transpose(1, 2).reshape([b, t, d]))                  // (B, T, d)
    }
}

/// Where a residual block normalises: before its sub-layer, x + f(LN(x)) (GPT-2 and later), or
/// after the addition, LN(x + f(x)) (the 2017 Transformer, BERT, Marian). Chapter 8 compares them.
///
///     NormPlacement.pre.apply(x, norm: ln, sublayer: mlp)    // x + mlp(ln(x))
public enum NormPlacement: String, Sendable {
    case pre, post

    /// One residual step around `sublayer` with `norm` placed as `self` says.  (…, d) → (…, d)
    public func apply(_ x: Tensor, norm: (Tensor) -> Tensor, sublayer: (Tensor) -> Tensor) -> Tensor {
        switch self {
        case .pre: return x + sublayer(norm(x))      // x + f(LN(x))
        case .post: return norm(x + sublayer(x))     // LN(x + f(x))
        }
    }
}

/// One transformer block, pre-norm as GPT-2's: x + attn(ln_1(x)), then x + mlp(ln_2(x)). Built
/// with `placement: .post` it normalises after each addition instead (chapter 10's `--post-norm`).
public final class TransformerBlock: Module {
    public let ln1: LayerNorm, attn: GPTAttention, ln2: LayerNorm, mlp: FeedForward
    public let residualDropout: Dropout
    public let placement: NormPlacement

    public init(_ config: GPTConfig, placement: NormPlacement = .pre, generator: TorchGenerator = .global) {
        self.placement = placement
        attn = GPTAttention(config, generator: generator)
        mlp = FeedForward(config, generator: generator)
        ln1 = LayerNorm(config.embeddingDim, eps: config.layerNormEps)
        ln2 = LayerNorm(config.embeddingDim, eps: config.layerNormEps)
        residualDropout = Dropout(config.dropRate, generator: generator)
        super.init()
        register("ln_1", ln1)
        register("attn", attn)
        register("ln_2", ln2)
        register("mlp", mlp)
        register("resid_dropout", residualDropout)
    }

    /// (B, T, d) → (B, T, d)
    public func callAsFunction(_ x: Tensor, cache: KVCache.Layer? = nil) -> Tensor {
        if placement == .pre {
            let h = x + residualDropout(attn(ln1(x), cache: cache))     // (B, T, d)
            return h + residualDropout(mlp(ln2(h)))                      // (B, T, d)
        }
        let h = ln1(x + residualDropout(attn(x, cache: cache)))         // (B, T, d)
        return ln2(h + residualDropout(mlp(h)))                          // (B, T, d)
    }
}

// MARK: - The model

/// GPT: ids (B, T) → logits (B, T, vocabulary).
public final class GPTModel: Module {
    public let config: GPTConfig
    public let wte: Embedding, wpe: Embedding
    public let embeddingDropout: Dropout
    public let blocks: [TransformerBlock]
    public let lnF: LayerNorm
    public let lmHead: Linear

    /// A freshly initialised model. The generator is used in the book's order: token
    /// embedding, position embedding, each block's W_query, W_key, W_value, out_proj and
    /// feed-forward layers, then the output head — so `manualSeed(123)` reproduces the book.
    public init(_ config: GPTConfig, generator: TorchGenerator = .global) {
        self.config = config
        precondition(config.embeddingDim % config.numHeads == 0,
                     "GPTModel: embedding dim \(config.embeddingDim) is not divisible by \(config.numHeads) heads")
        wte = Embedding(config.vocabSize, config.embeddingDim, generator: generator)
        wpe = Embedding(config.contextLength, config.embeddingDim, generator: generator)
        embeddingDropout = Dropout(config.dropRate, generator: generator)
        blocks = (0..<config.numLayers).map { _ in TransformerBlock(config, generator: generator) }
        lnF = LayerNorm(config.embeddingDim, eps: config.layerNormEps)
        lmHead = config.tiedHead
            ? Linear(weight: wte.weight, bias: nil)
            : Linear(config.embeddingDim, config.vocabSize, bias: false, generator: generator)
        super.init()
        register("wte", wte)
        register("wpe", wpe)
        register("drop", embeddingDropout)
        register("h", list: blocks)
        register("ln_f", lnF)
        register("lm_head", lmHead)
    }

    /// The final hidden states (B, T, d) for ids of shape (B, T); with a cache the ids are the
    /// new tokens and their positions continue after the cached ones. `trace`, if given, sees
    /// the hidden states as Hugging Face's `output_hidden_states` lists them: the embeddings,
    /// the output of every block but the last, then the final normalised states.
    public func hiddenStates(_ ids: [Int], shape: [Int], cache: KVCache? = nil, trace: ((Tensor) -> Void)? = nil) -> Tensor {
        precondition(shape.count == 2 && shape.product == ids.count, "GPTModel: ids must be (batch, tokens), got shape \(shape)")
        let (b, t) = (shape[0], shape[1])
        let start = cache?.length ?? 0
        precondition(start + t <= config.contextLength,
                     "GPTModel: \(start + t) tokens (ids of shape \(describeShape(shape))\(start > 0 ? " after \(start) cached" : "")) exceed the context length \(config.contextLength)")
        let tokens = wte(ids, shape: [b, t])                                  // (B, T, d)
        let positions = wpe(Array(start..<(start + t)), shape: [t])           // (T, d)
        var x = embeddingDropout(tokens + positions)                          // (B, T, d)
        for (i, block) in blocks.enumerated() {
            trace?(x)
            x = block(x, cache: cache?.layers[i])                             // (B, T, d)
        }
        cache?.length = start + t
        let out = lnF(x)                                                      // (B, T, d)
        trace?(out)
        return out
    }

    /// Logits (B, T, vocabulary) for ids of shape (B, T).
    public func callAsFunction(_ ids: [Int], shape: [Int], cache: KVCache? = nil) -> Tensor {
        lmHead(hiddenStates(ids, shape: shape, cache: cache))                 // (B, T, V)
    }

    /// An empty KV cache sized for this model.
    public func makeCache() -> KVCache {
        KVCache(layers: config.numLayers)
    }
}

// MARK: - GPT-2's initialisation

extension GPTModel {
    /// Re-draws the weights as GPT-2 initialises them: every linear and embedding weight from
    /// N(0, 0.02²), the two projections that write into the residual stream (`attn.c_proj`,
    /// `mlp.c_proj`) from N(0, (0.02/√(2·layers))²) so the sum over layers stays the same size,
    /// biases at 0 and LayerNorm at weight 1, bias 0 (parameters in `namedParameters` order).
    ///
    /// The book keeps PyTorch's defaults instead (embeddings N(0, 1), linear layers uniform);
    /// with a head tied to the embedding those give logits around ±√width and a first loss far
    /// above ln(vocabulary), which this avoids.
    public func initializeLikeGPT2(generator: TorchGenerator) {
        let residualStd = 0.02 / (2 * Double(config.numLayers)).squareRoot()
        withNoGrad {
            for (name, p) in namedParameters() {
                if p.rank >= 2 {
                    let std = name.hasSuffix("c_proj.weight") ? residualStd : 0.02
                    p.copy(from: generator.normal(p.shape, mean: 0, std: std))
                } else {
                    p.copy(from: Tensor(shape: p.shape, repeating: name.contains("ln_") && name.hasSuffix(".weight") ? 1 : 0))
                }
            }
        }
    }
}
