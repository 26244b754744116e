// Llama (and Mixtral, its mixture-of-experts sibling): a decoder-only transformer like GPT,
// with three changes — RMSNorm instead of LayerNorm, rotary positions (RoPE) inside
// attention instead of a position table, and a SwiGLU feed-forward. Keys and values may
// have fewer heads than queries (grouped-query attention). Module names follow Hugging
// Face's checkpoints (`model.layers.0.self_attn.q_proj.weight`), so they load directly.
//
// Its relatives change one or two things each, so they are this model with a switch set
// (see `Checkpoints/LlamaFamily.swift` for how each is read): Qwen2 puts biases on q, k and
// v; Qwen3 normalises each head's queries and keys; Llama 3 stretches RoPE's slow
// frequencies; Gemma scales the embeddings by √d, stores its RMSNorm scales minus one and
// gates with GELU instead of SiLU.

import Foundation
import TensorKit

/// The size of a Llama or Mixtral model (its config.json), and the switches its relatives set.
public struct LlamaConfig: Codable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numLayers: Int
    public var numHeads: Int
    public var numKVHeads: Int
    public var headDim: Int
    public var ropeTheta: Float
    public var rmsNormEps: Float
    public var tieWordEmbeddings: Bool
    public var maxPositions: Int
    /// Mixtral: experts per layer and experts each token is sent to (0 for a dense Llama).
    public var numExperts: Int
    public var expertsPerToken: Int
    /// Qwen2: biases on the q, k and v projections (not on o).
    public var qkvBias: Bool
    /// Qwen3: an RMSNorm over each head's queries and keys, before RoPE.
    public var qkNorm: Bool
    /// Llama 3.1 and later: RoPE's frequencies rescaled for a longer context.
    public var ropeScaling: Llama3RopeScaling?
    /// The gate's activation: SiLU (SwiGLU), or GELU's tanh form for Gemma (GeGLU).
    public var activation: Activation
    /// Gemma: the token embeddings are multiplied by this (√hidden).
    public var embeddingScale: Float?
    /// Gemma: every RMSNorm scales by (1 + weight).
    public var rmsNormUnitOffset: Bool
    /// Attention sees at most this many tokens back (Mistral 7B v0.1, Qwen with
    /// use_sliding_window). The course attends over everything, which is the same thing only
    /// while sequences fit in the window, so longer ones are refused.
    public var slidingWindow: Int?

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int,
                headDim: Int? = nil, ropeTheta: Float = 10000, rmsNormEps: Float = 1e-5, tieWordEmbeddings: Bool = false,
                maxPositions: Int = 2048, numExperts: Int = 0, expertsPerToken: Int = 0,
                qkvBias: Bool = false, qkNorm: Bool = false, ropeScaling: Llama3RopeScaling? = nil, activation: Activation = .silu,
                embeddingScale: Float? = nil, rmsNormUnitOffset: Bool = false, slidingWindow: Int? = nil) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim ?? hiddenSize / numHeads
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.tieWordEmbeddings = tieWordEmbeddings
        self.maxPositions = maxPositions
        self.numExperts = numExperts
        self.expertsPerToken = expertsPerToken
        self.qkvBias = qkvBias
        self.qkNorm = qkNorm
        self.ropeScaling = ropeScaling
        self.activation = activation
        self.embeddingScale = embeddingScale
        self.rmsNormUnitOffset = rmsNormUnitOffset
        self.slidingWindow = slidingWindow
    }

    /// The longest sequence the course computes exactly: the positions, or the sliding window
    /// if it is shorter.
    public var contextLength: Int { min(maxPositions, slidingWindow ?? maxPositions) }
}

/// SwiGLU: down(silu(gate(x)) ⊙ up(x)) — a gated feed-forward without biases. With
/// `activation: .geluTanh` it is GeGLU, Gemma's.
public final class SwiGLU: Module {
    public let gate: Linear, up: Linear, down: Linear
    public let activation: Activation

    /// `names` are the checkpoint's names for the three projections (Llama: gate/up/down_proj;
    /// Mixtral's experts: w1/w3/w2).
    public init(dim: Int, hidden: Int, names: (gate: String, up: String, down: String) = ("gate_proj", "up_proj", "down_proj"),
                activation: Activation = .silu, generator: TorchGenerator = .global) {
        self.activation = activation
        gate = Linear(dim, hidden, bias: false, generator: generator)
        up = Linear(dim, hidden, bias: false, generator: generator)
        down = Linear(hidden, dim, bias: false, generator: generator)
        super.init()
        register(names.gate, gate)
        register(names.up, up)
        register(names.down, down)
    }

    /// (…, d) → (…, d)
    public func callAsFunction(_ x: Tensor) -> Tensor {
        down(activation(gate(x)) * up(x))      // (…, hidden) → (…, d)
    }
}

/// A sparse mixture of experts, as Mixtral's `block_sparse_moe`: a router scores the experts
/// for every token, each token goes to its top-k experts, and their outputs are mixed with the
/// router's softmax probabilities renormalised over the chosen k.
public final class MixtureOfExperts: Module {
    public let router: Linear
    public let experts: [SwiGLU]
    public let topK: Int
    /// How many tokens each expert received in the last call.
    public private(set) var tokensPerExpert: [Int] = []

    public init(dim: Int, hidden: Int, experts count: Int, topK: Int, activation: Activation = .silu, generator: TorchGenerator = .global) {
        precondition(topK >= 1 && topK <= count, "MixtureOfExperts: top-k \(topK) of \(count) experts")
        router = Linear(dim, count, bias: false, generator: generator)
        experts = (0..<count).map { _ in SwiGLU(dim: dim, hidden: hidden, names: ("w1", "w3", "w2"), activation: activation, generator: generator) }
        self.topK = topK
        super.init()
        register("gate", router)
        register("experts", list: experts)
    }

    /// The chosen experts of every token and their mixing weights, (N, k) each.
    public func route(_ x: Tensor) -> (experts: [[Int]], weights: Tensor) {
        let d = x.shape[x.rank - 1]
        let flat = x.reshape([-1, d])                                  // (N, d)
        let probabilities = router(flat).softmax(axis: -1)             // (N, E)
        let n = flat.shape[0], e = experts.count
        var chosen: [[Int]] = []
        let all = probabilities.data
        for row in 0..<n {
            let p = Array(all[(row * e)..<((row + 1) * e)])
            // the k largest, the lower index first on ties (as torch.topk on CPU)
            chosen.append(Array((0..<e).sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.prefix(topK)))
        }
        let picked = probabilities.gather(1, chosen.flatMap { $0 }, indexShape: [n, topK])     // (N, k)
        return (chosen, picked / picked.sum(axis: -1, keepDim: true))                          // renormalised
    }

    /// (…, d) → (…, d). Each expert runs on the tokens routed to it only.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let d = x.shape[x.rank - 1]
        let flat = x.reshape([-1, d])                                  // (N, d)
        let (chosen, weights) = route(x)                               // (N, k)
        var out = Tensor.zeros(flat.shape)
        tokensPerExpert = []
        for (index, expert) in experts.enumerated() {
            var rows: [Int] = [], slots: [Int] = []
            for (row, list) in chosen.enumerated() {
                if let slot = list.firstIndex(of: index) { rows.append(row); slots.append(row * topK + slot) }
            }
            tokensPerExpert.append(rows.count)
            if rows.isEmpty { continue }
            let outputs = expert(flat.indexSelect(0, rows))                                  // (n_e, d)
            let gate = weights.reshape([-1]).indexSelect(0, slots).unsqueeze(-1)            // (n_e, 1)
            out = out + (outputs * gate).scatterRows(rows, count: flat.shape[0])             // (N, d)
        }
        return out.reshape(x.shape)
    }
}

/// One Llama decoder layer: x + attn(norm(x)), then + mlp(norm(·)).
public final class LlamaLayer: Module {
    public let inputNorm: RMSNorm, attention: GroupedQueryAttention, postNorm: RMSNorm
    public let mlp: SwiGLU?, moe: MixtureOfExperts?

    public init(_ c: LlamaConfig, generator: TorchGenerator = .global) {
        inputNorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps, unitOffset: c.rmsNormUnitOffset)
        attention = GroupedQueryAttention(dIn: c.hiddenSize, numHeads: c.numHeads, numKVHeads: c.numKVHeads, headDim: c.headDim,
                                          rope: RotaryEmbedding(headDim: c.headDim, base: c.ropeTheta, scaling: c.ropeScaling),
                                          bias: c.qkvBias, outputBias: false, qkNormEps: c.qkNorm ? c.rmsNormEps : nil,
                                          scale: 1 / Float(c.headDim).squareRoot(), generator: generator)
        postNorm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps, unitOffset: c.rmsNormUnitOffset)
        if c.numExperts > 0 {
            moe = MixtureOfExperts(dim: c.hiddenSize, hidden: c.intermediateSize, experts: c.numExperts, topK: c.expertsPerToken,
                                   activation: c.activation, generator: generator)
            mlp = nil
        } else {
            mlp = SwiGLU(dim: c.hiddenSize, hidden: c.intermediateSize, activation: c.activation, generator: generator)
            moe = nil
        }
        super.init()
        register("input_layernorm", inputNorm)
        register("self_attn", attention)
        register("post_attention_layernorm", postNorm)
        if let mlp { register("mlp", mlp) }
        if let moe { register("block_sparse_moe", moe) }
    }

    /// (B, T, d) → (B, T, d)
    public func callAsFunction(_ x: Tensor, start: Int, cache: KVCache.Layer?) -> Tensor {
        let h = x + attention(inputNorm(x), start: start, cache: cache)              // (B, T, d)
        let normed = postNorm(h)
        return h + (mlp.map { $0(normed) } ?? moe!(normed))                           // (B, T, d)
    }
}

/// Llama / Mixtral for causal language modelling: ids (B, T) → logits (B, T, vocabulary).
public final class LlamaModel: Module {
    public let config: LlamaConfig
    public let embedTokens: Embedding
    public let layers: [LlamaLayer]
    public let norm: RMSNorm
    public let lmHead: Linear

    public init(_ c: LlamaConfig, generator: TorchGenerator = .global) {
        config = c
        embedTokens = Embedding(c.vocabSize, c.hiddenSize, generator: generator)
        layers = (0..<c.numLayers).map { _ in LlamaLayer(c, generator: generator) }
        norm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps, unitOffset: c.rmsNormUnitOffset)
        lmHead = c.tieWordEmbeddings ? Linear(weight: embedTokens.weight, bias: nil)
                                     : Linear(c.hiddenSize, c.vocabSize, bias: false, generator: generator)
        super.init()
        let body = Module()
        body.register("embed_tokens", embedTokens)
        body.register("layers", list: layers)
        body.register("norm", norm)
        register("model", body)
        register("lm_head", lmHead)
    }

    /// The final hidden states (B, T, d); `trace` sees them as Hugging Face lists them.
    public func hiddenStates(_ ids: [Int], shape: [Int], cache: KVCache? = nil, trace: ((Tensor) -> Void)? = nil) -> Tensor {
        precondition(shape.count == 2 && shape.product == ids.count, "LlamaModel: ids must be (batch, tokens), got shape \(shape)")
        let start = cache?.length ?? 0
        var x = embedTokens(ids, shape: shape)                                       // (B, T, d)
        if let scale = config.embeddingScale { x = x * scale }                       // Gemma: (B, T, d) × √d
        for (i, layer) in layers.enumerated() {
            trace?(x)
            x = layer(x, start: start, cache: cache?.layers[i])                      // (B, T, d)
        }
        cache?.length = start + shape[1]
        let out = norm(x)
        trace?(out)
        return out
    }

    public func callAsFunction(_ ids: [Int], shape: [Int], cache: KVCache? = nil) -> Tensor {
        lmHead(hiddenStates(ids, shape: shape, cache: cache))                        // (B, T, V)
    }

    public func makeCache() -> KVCache { KVCache(layers: config.numLayers) }
}
