// GPT-2 from a Hugging Face directory (`GPT2LMHeadModel`): keys with or without the
// `transformer.` prefix, Conv1D weights stored (in, out) and transposed here into Linear's
// (out, in), the head tied to the token embedding, and the `attn.bias` mask buffers ignored.

import Foundation
import TensorKit

extension GPTConfig {
    /// The configuration of a GPT-2 checkpoint (its config.json).
    /// A checkpoint written by the course keeps its exact configuration (QKV bias, dropout,
    /// untied head) under "course_config"; that one is used when present — except that a model
    /// the course saved without QKV bias (as zeros, GPT-2's layout) and then trained elsewhere
    /// (PyTorch trains those zeros like any weight) gets its biases back.
    public init(huggingFace checkpoint: HuggingFaceCheckpoint) throws {
        if let course = checkpoint.config["course_config"] {
            do {
                self = try JSONDecoder().decode(GPTConfig.self, from: JSONSerialization.data(withJSONObject: course))
            } catch {
                throw InputError(path: checkpoint.configPath, problem: "course_config is not a valid GPT configuration (\(error))")
            }
            if !qkvBias { qkvBias = try checkpoint.hasNonzeroQKVBias(layers: numLayers) }
            return
        }
        let activation = try checkpoint.string("activation_function", default: "gelu_new")
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu"].contains(activation) else {
            throw InputError(path: checkpoint.configPath, problem: "activation_function \(activation) is not supported",
                                  hint: "GPT-2 uses gelu_new")
        }
        self.init(vocabSize: try checkpoint.int("vocab_size"), contextLength: try checkpoint.int("n_positions"),
                  embeddingDim: try checkpoint.int("n_embd"), numHeads: try checkpoint.int("n_head"),
                  numLayers: try checkpoint.int("n_layer"), dropRate: 0, qkvBias: true,
                  tiedHead: checkpoint.bool("tie_word_embeddings", default: true),
                  geluApproximate: activation != "gelu", layerNormEps: try checkpoint.float("layer_norm_epsilon", default: 1e-5))
        if embeddingDim % numHeads != 0 {
            throw InputError(path: checkpoint.configPath, problem: "n_embd \(embeddingDim) is not divisible by n_head \(numHeads)")
        }
    }
}

extension HuggingFaceCheckpoint {
    /// True if some layer's `attn.c_attn.bias` holds a number other than zero.
    func hasNonzeroQKVBias(layers: Int) throws -> Bool {
        for i in 0..<layers {
            for key in ["h.\(i).attn.c_attn.bias", "transformer.h.\(i).attn.c_attn.bias"] where weights.info(key) != nil {
                if try weights.tensor(key).data.contains(where: { $0 != 0 }) { return true }
            }
        }
        return false
    }
}

extension GPTModel {
    /// Loads a Hugging Face GPT-2 checkpoint directory (or one the course wrote), in eval
    /// mode. `dropRate` overrides the configuration's dropout (for fine-tuning), whose layers
    /// draw from `generator`.
    public static func load(huggingFace directory: URL, dropRate: Float? = nil,
                            generator: TorchGenerator = TorchGenerator(seed: 0)) throws -> GPTModel {
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        if let architecture = checkpoint.architecture, architecture != "GPT2LMHeadModel", architecture != "GPT2Model" {
            throw InputError(path: checkpoint.configPath, problem: "architecture \(architecture) is not GPT-2",
                                  hint: "this loader reads GPT2LMHeadModel checkpoints")
        }
        var config = try GPTConfig(huggingFace: checkpoint)
        if let dropRate { config.dropRate = dropRate }
        let model = withNoGrad { GPTModel(config, generator: generator) }
        try model.load(gpt2Weights: checkpoint)
        try LoRA.mergeSaved(into: model, directory: directory)      // a LoRA fine-tuning's adapters, if any
        model.eval()
        return model
    }

    /// Copies a GPT-2 checkpoint's weights into this model (its shapes must match).
    public func load(gpt2Weights checkpoint: HuggingFaceCheckpoint) throws {
        let d = config.embeddingDim
        var values: [String: Tensor] = [:]
        func get(_ key: String, _ shape: [Int], transposed: Bool = false) throws {
            let stored = transposed ? [shape[1], shape[0]] : shape
            let t = try checkpoint.tensor([key, "transformer." + key], shape: stored)
            values[key] = transposed ? t.widened().T.detach() : t   // Conv1D weights become float32 (Linear's layout)
        }
        try get("wte.weight", [config.vocabSize, d])
        try get("wpe.weight", [config.contextLength, d])
        for i in 0..<config.numLayers {
            let p = "h.\(i)."
            try get(p + "ln_1.weight", [d]); try get(p + "ln_1.bias", [d])
            try get(p + "attn.c_attn.weight", [3 * d, d], transposed: true)
            if config.qkvBias { try get(p + "attn.c_attn.bias", [3 * d]) }   // a model without QKV bias ignores it
            try get(p + "attn.c_proj.weight", [d, d], transposed: true); try get(p + "attn.c_proj.bias", [d])
            try get(p + "ln_2.weight", [d]); try get(p + "ln_2.bias", [d])
            try get(p + "mlp.c_fc.weight", [4 * d, d], transposed: true); try get(p + "mlp.c_fc.bias", [4 * d])
            try get(p + "mlp.c_proj.weight", [d, 4 * d], transposed: true); try get(p + "mlp.c_proj.bias", [d])
        }
        try get("ln_f.weight", [d]); try get("ln_f.bias", [d])
        if !config.tiedHead { try get("lm_head.weight", [config.vocabSize, d]) }
        do {
            try load(values)
        } catch let error as ModuleLoadError {
            throw InputError(path: checkpoint.weights.url.path, problem: error.description)
        }
    }

    /// The Hugging Face name of each parameter (`transformer.h.0.attn.c_attn.weight`) and
    /// whether it is stored transposed there (Conv1D), for comparing with HF's gradients.
    public static func huggingFaceName(_ name: String) -> (name: String, transposed: Bool) {
        let conv1D = name.hasSuffix("c_attn.weight") || name.hasSuffix("c_proj.weight") || name.hasSuffix("c_fc.weight")
        return (name == "lm_head.weight" ? name : "transformer." + name, conv1D)
    }
}
