// The Llama family from Hugging Face directories (`LlamaForCausalLM`, `MixtralForCausalLM`,
// `Qwen2ForCausalLM`, `Qwen3ForCausalLM`, `GemmaForCausalLM`, …; see LlamaFamily.swift).
// The module names are the checkpoint's names, so every parameter is read by its own name.

import Foundation
import TensorKit

extension LlamaModel {
    /// Loads a Hugging Face checkpoint directory of any member of the Llama family.
    ///
    ///     let model = try LlamaModel.load(huggingFace: URL(fileURLWithPath: "Qwen2.5-0.5B-Instruct"))
    public static func load(huggingFace directory: URL) throws -> LlamaModel {
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        let config = try LlamaConfig(huggingFace: checkpoint)
        // The weights must back every size before a model of those sizes is made: the
        // embedding (vocabulary × width), the last layer's projections (heads, width, the
        // feed-forward's or last expert's width).
        let last = "model.layers.\(config.numLayers - 1)."
        try checkpoint.checkShape(["model.embed_tokens.weight"], shape: [config.vocabSize, config.hiddenSize])
        try checkpoint.checkShape([last + "self_attn.q_proj.weight"], shape: [config.numHeads * config.headDim, config.hiddenSize])
        try checkpoint.checkShape([last + "self_attn.k_proj.weight"], shape: [config.numKVHeads * config.headDim, config.hiddenSize])
        if config.numExperts > 0 {
            try checkpoint.checkShape([last + "block_sparse_moe.gate.weight"], shape: [config.numExperts, config.hiddenSize])
            try checkpoint.checkShape([last + "block_sparse_moe.experts.\(config.numExperts - 1).w1.weight"],
                                      shape: [config.intermediateSize, config.hiddenSize])
        } else {
            try checkpoint.checkShape([last + "mlp.gate_proj.weight"], shape: [config.intermediateSize, config.hiddenSize])
        }
        let model = withNoGrad { LlamaModel(config, generator: TorchGenerator(seed: 0)) }
        try checkpoint.loadParameters(into: model)
        // A tensor the model has no place for means config.json describes another model (a
        // Qwen2 read as a Llama would silently lose its biases). A tied head's copy and the
        // rotary frequencies old files saved are not weights.
        let used = Set(model.namedParameters().map(\.name))
        let unused = checkpoint.weights.names.filter {
            !used.contains($0) && !(config.tieWordEmbeddings && $0 == "lm_head.weight") && !$0.hasSuffix("rotary_emb.inv_freq")
        }
        if !unused.isEmpty {
            throw InputError(path: checkpoint.weights.url.path,
                             problem: "holds \(unused.count) tensor\(unused.count == 1 ? "" : "s") the model config.json describes has no place for: \(unused.prefix(4).joined(separator: ", "))\(unused.count > 4 ? ", …" : "")",
                             hint: "config.json and the weights do not fit together: is its architectures entry the model's?")
        }
        return model
    }
}

extension HuggingFaceCheckpoint {
    /// Reads every parameter of `module` from the tensor of the same name (shapes checked);
    /// `rename` maps a module name to the checkpoint's where they differ.
    public func loadParameters(into module: Module, rename: (String) -> [String] = { [$0] }) throws {
        var values: [String: Tensor] = [:]
        for (name, p) in module.namedParameters() {
            values[name] = try tensor(rename(name), shape: p.shape)
        }
        do {
            try module.load(values)
        } catch let error as ModuleLoadError {
            throw InputError(path: weights.url.path, problem: error.description)
        }
    }
}
