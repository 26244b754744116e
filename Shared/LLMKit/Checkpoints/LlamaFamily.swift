// The Llama family as config.json names its members: which `architectures` (or `model_type`)
// is which, what each member's missing fields default to in `transformers`, and what each
// changes in the recipe. One model type (`LlamaModel`) runs them all.

import Foundation
import TensorKit

/// A member of the Llama family the course runs, as config.json names it.
///
///     LlamaFamilyMember(architecture: "Qwen3ForCausalLM")   // .qwen3
public enum LlamaFamilyMember: String, CaseIterable, Sendable {
    case llama, mistral, mixtral, qwen2, qwen3, gemma

    /// The class name in `architectures`.
    public var architecture: String {
        switch self {
        case .llama: return "LlamaForCausalLM"
        case .mistral: return "MistralForCausalLM"
        case .mixtral: return "MixtralForCausalLM"
        case .qwen2: return "Qwen2ForCausalLM"
        case .qwen3: return "Qwen3ForCausalLM"
        case .gemma: return "GemmaForCausalLM"
        }
    }

    /// The `model_type` (the raw value).
    public var modelType: String { rawValue }

    public init?(architecture: String) {
        guard let member = Self.allCases.first(where: { $0.architecture == architecture }) else { return nil }
        self = member
    }

    /// The member a config.json describes: by `architectures` if it names one, else by
    /// `model_type`; nil if neither is a member.
    init?(config checkpoint: HuggingFaceCheckpoint) {
        if let name = checkpoint.architecture {
            guard let member = LlamaFamilyMember(architecture: name) else { return nil }
            self = member
        } else if let type = checkpoint.config["model_type"] as? String, let member = LlamaFamilyMember(rawValue: type) {
            self = member
        } else {
            return nil
        }
    }

    /// What `transformers` assumes for a field config.json leaves out (its config classes'
    /// defaults): they differ between members.
    struct Defaults {
        var headDim: Int?            // nil: hidden_size / num_attention_heads
        var tieWordEmbeddings: Bool
        var ropeTheta: Float
        var rmsNormEps: Float
        var hiddenAct: String
        var maxPositions: Int
        var slidingWindow: Int?      // Mistral's, when the key is absent
    }

    var defaults: Defaults {
        switch self {
        case .llama: return Defaults(tieWordEmbeddings: false, ropeTheta: 10000, rmsNormEps: 1e-6, hiddenAct: "silu", maxPositions: 2048)
        case .mistral: return Defaults(tieWordEmbeddings: false, ropeTheta: 10000, rmsNormEps: 1e-6, hiddenAct: "silu",
                                       maxPositions: 131_072, slidingWindow: 4096)
        case .mixtral: return Defaults(tieWordEmbeddings: false, ropeTheta: 1_000_000, rmsNormEps: 1e-5, hiddenAct: "silu", maxPositions: 131_072)
        case .qwen2: return Defaults(tieWordEmbeddings: false, ropeTheta: 10000, rmsNormEps: 1e-6, hiddenAct: "silu", maxPositions: 32768)
        case .qwen3: return Defaults(headDim: 128, tieWordEmbeddings: false, ropeTheta: 10000, rmsNormEps: 1e-6, hiddenAct: "silu", maxPositions: 32768)
        case .gemma: return Defaults(headDim: 256, tieWordEmbeddings: true, ropeTheta: 10000, rmsNormEps: 1e-6,
                                     hiddenAct: "gelu_pytorch_tanh", maxPositions: 8192)
        }
    }
}

extension LlamaConfig {
    /// The configuration in the config.json of any member of the family (Llama 1–3, Mistral,
    /// Mixtral, Qwen2/2.5, Qwen3, Gemma). An option the course does not implement is an error
    /// naming it, never silently ignored.
    public init(huggingFace checkpoint: HuggingFaceCheckpoint) throws {
        guard let member = LlamaFamilyMember(config: checkpoint) else {
            let name = checkpoint.architecture ?? (checkpoint.config["model_type"] as? String).map { "model_type \($0)" } ?? "no architecture"
            throw InputError(path: checkpoint.configPath, problem: "\(name) is not a member of the Llama family the course implements",
                             hint: "supported: " + LlamaFamilyMember.allCases.map(\.architecture).joined(separator: ", "))
        }
        try self.init(huggingFace: checkpoint, as: member)
    }

    /// Reads config.json as `member`; each property beside the key it comes from.
    init(huggingFace c: HuggingFaceCheckpoint, as member: LlamaFamilyMember) throws {
        try c.refuseUnimplementedOptions()
        let d = member.defaults
        let hidden = try c.int("hidden_size")
        let heads = try c.int("num_attention_heads")
        let rope = try c.rotaryEmbedding(defaultTheta: d.ropeTheta)
        self.init(vocabSize: try c.int("vocab_size"),
                  hiddenSize: hidden,
                  intermediateSize: try c.int("intermediate_size"),
                  numLayers: try c.int("num_hidden_layers"),
                  numHeads: heads,
                  numKVHeads: try c.int("num_key_value_heads", default: heads),
                  headDim: try c.int("head_dim", default: d.headDim ?? hidden / max(heads, 1)),
                  ropeTheta: rope.theta,                                   // rope_theta (or rope_parameters.rope_theta)
                  rmsNormEps: try c.float("rms_norm_eps", default: d.rmsNormEps),
                  tieWordEmbeddings: c.bool("tie_word_embeddings", default: d.tieWordEmbeddings),
                  maxPositions: try c.int("max_position_embeddings", default: d.maxPositions),
                  numExperts: try c.int("num_local_experts", default: 0),
                  expertsPerToken: try c.int("num_experts_per_tok", default: 0),
                  ropeScaling: rope.scaling,                               // rope_scaling {"rope_type": "llama3", …}
                  activation: try c.gateActivation(member: member, default: d.hiddenAct))   // hidden_act
        for (key, value) in [("num_attention_heads", numHeads), ("num_key_value_heads", numKVHeads), ("head_dim", headDim)] where value < 1 {
            throw InputError(path: c.configPath, problem: "\(key) is \(value); it must be at least 1")
        }
        try c.requireSizes([("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                            ("num_hidden_layers", numLayers)])
        try c.requireSizes([("num_local_experts", numExperts), ("num_experts_per_tok", expertsPerToken)], atLeast: 0)
        guard numExperts == 0 || (1...numExperts).contains(expertsPerToken) else {
            throw c.configError("num_experts_per_tok \(expertsPerToken) is not between 1 and num_local_experts \(numExperts)")
        }
        guard ropeTheta.isFinite && ropeTheta > 0, rmsNormEps.isFinite && rmsNormEps >= 0 else {
            throw c.configError("rope_theta \(ropeTheta) and rms_norm_eps \(rmsNormEps) must be finite and positive")
        }
        if numHeads % numKVHeads != 0 {
            throw InputError(path: c.configPath, problem: "num_attention_heads \(numHeads) is not a multiple of num_key_value_heads \(numKVHeads)")
        }
        if headDim % 2 != 0 { throw InputError(path: c.configPath, problem: "head_dim \(headDim) is odd; RoPE rotates pairs") }
        if member == .mixtral && (numExperts < 1 || expertsPerToken < 1 || expertsPerToken > numExperts) {
            throw InputError(path: c.configPath, problem: "num_local_experts \(numExperts) and num_experts_per_tok \(expertsPerToken) do not make a mixture of experts")
        }
        switch member {
        case .llama:
            try c.refuseTrue("attention_bias", "biases on the attention projections")
            try c.refuseTrue("mlp_bias", "biases on the feed-forward projections")
        case .mistral, .mixtral:
            slidingWindow = try c.optionalInt("sliding_window", default: d.slidingWindow)
        case .qwen2:
            qkvBias = true                                                 // q_proj.bias, k_proj.bias, v_proj.bias: always
            slidingWindow = try c.qwenSlidingWindow(layers: numLayers)
        case .qwen3:
            try c.refuseTrue("attention_bias", "biases on the attention projections")
            qkNorm = true                                                  // self_attn.q_norm, self_attn.k_norm: always
            slidingWindow = try c.qwenSlidingWindow(layers: numLayers)
        case .gemma:
            try c.refuseTrue("attention_bias", "biases on the attention projections")
            try c.refuseTrue("use_bidirectional_attention", "attention without the causal mask")
            embeddingScale = gemmaEmbeddingScale(hiddenSize: hidden)       // embed_tokens(ids) × √hidden_size
            rmsNormUnitOffset = true                                       // every *norm.weight is used as (1 + weight)
        }
    }
}

/// Gemma's embedding multiplier √hidden_size, as `transformers` makes it: a float32 tensor of
/// the Python double `hidden_size**0.5`, then cast to the weights' dtype. The course computes
/// in float32 (half-precision weights are widened), so it is √d rounded to float32 — exactly 8
/// for d = 64. (A model run in bfloat16 by `transformers` multiplies by √d rounded to
/// bfloat16 instead: 55.5 rather than 55.4256 for d = 3,072.)
public func gemmaEmbeddingScale(hiddenSize: Int) -> Float {
    Float(Double(hiddenSize).squareRoot())
}
