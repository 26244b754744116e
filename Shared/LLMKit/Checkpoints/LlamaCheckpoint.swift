// Llama and Mixtral from Hugging Face directories (`LlamaForCausalLM`, `MixtralForCausalLM`).
// The module names are the checkpoint's names, so every parameter is read by its own name.

import Foundation
import TensorKit

extension LlamaConfig {
    /// The configuration in a Llama or Mixtral config.json.
    public init(huggingFace checkpoint: HuggingFaceCheckpoint) throws {
        let heads = try checkpoint.int("num_attention_heads")
        let hidden = try checkpoint.int("hidden_size")
        var theta: Float = 10000
        if let parameters = checkpoint.config["rope_parameters"] as? [String: Any], let t = parameters["rope_theta"] as? NSNumber {
            theta = t.floatValue
        } else {
            theta = try checkpoint.float("rope_theta", default: 10000)
        }
        if let scaling = checkpoint.config["rope_scaling"], !(scaling is NSNull) {
            throw InputError(path: checkpoint.configPath, problem: "rope_scaling is set; the course implements plain RoPE only")
        }
        self.init(vocabSize: try checkpoint.int("vocab_size"), hiddenSize: hidden, intermediateSize: try checkpoint.int("intermediate_size"),
                  numLayers: try checkpoint.int("num_hidden_layers"), numHeads: heads,
                  numKVHeads: try checkpoint.int("num_key_value_heads", default: heads),
                  headDim: try checkpoint.int("head_dim", default: hidden / heads), ropeTheta: theta,
                  rmsNormEps: try checkpoint.float("rms_norm_eps", default: 1e-6),
                  tieWordEmbeddings: checkpoint.bool("tie_word_embeddings", default: false),
                  maxPositions: try checkpoint.int("max_position_embeddings", default: 2048),
                  numExperts: try checkpoint.int("num_local_experts", default: 0),
                  expertsPerToken: try checkpoint.int("num_experts_per_tok", default: 0))
        if numHeads % numKVHeads != 0 {
            throw InputError(path: checkpoint.configPath, problem: "num_attention_heads \(numHeads) is not a multiple of num_key_value_heads \(numKVHeads)")
        }
    }
}

extension LlamaModel {
    /// Loads a Hugging Face Llama or Mixtral checkpoint directory.
    public static func load(huggingFace directory: URL) throws -> LlamaModel {
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        let known = ["LlamaForCausalLM", "MixtralForCausalLM", "MistralForCausalLM"]
        if let architecture = checkpoint.architecture, !known.contains(architecture) {
            throw InputError(path: checkpoint.configPath, problem: "architecture \(architecture) is not Llama or Mixtral",
                             hint: "this loader reads \(known.joined(separator: ", "))")
        }
        let config = try LlamaConfig(huggingFace: checkpoint)
        let model = withNoGrad { LlamaModel(config, generator: TorchGenerator(seed: 0)) }
        try checkpoint.loadParameters(into: model)
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
