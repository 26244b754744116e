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
            try validate(path: checkpoint.configPath)
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
        try validate(path: checkpoint.configPath)
    }

    /// Checks that these sizes make a model — every size at least 1, the width divisible by
    /// the heads, a dropout rate in [0, 1), a finite LayerNorm ε ≥ 0 — or throws an
    /// `InputError` naming `path`, the file they came from.
    ///
    ///     try GPTConfig(vocabSize: 65, contextLength: 0, …).validate(path: "training.json")
    ///     // training.json: the model's context length is 0; it must be at least 1
    public func validate(path: String) throws {
        let sizes = [("vocabulary size", vocabSize), ("context length", contextLength), ("embedding width", embeddingDim),
                     ("number of heads", numHeads), ("number of layers", numLayers)]
        for (name, size) in sizes where size < 1 {
            throw InputError(path: path, problem: "the model's \(name) is \(size); it must be at least 1")
        }
        guard embeddingDim % numHeads == 0 else {
            throw InputError(path: path, problem: "the model's embedding width \(embeddingDim) is not divisible by its \(numHeads) heads")
        }
        guard dropRate >= 0 && dropRate < 1 else {
            throw InputError(path: path, problem: "the model's dropout rate \(dropRate) is not in [0, 1)")
        }
        guard layerNormEps.isFinite && layerNormEps >= 0 else {
            throw InputError(path: path, problem: "the model's LayerNorm epsilon \(layerNormEps) is not a finite number ≥ 0")
        }
    }
}

extension HuggingFaceCheckpoint {
    /// Checks, without reading any numbers, that the weights hold every tensor of a GPT-2 of
    /// `config` in its shape (the errors `load(gpt2Weights:)` would give). Done before a model
    /// of that size is made, so a config.json whose sizes the weights do not back is an error,
    /// not an allocation of whatever it asks for.
    ///
    ///     try checkpoint.checkGPT2Shapes(try GPTConfig(huggingFace: checkpoint))
    ///     // model.safetensors: tensor transformer.wte.weight has shape [1000, 32], expected [1000, 64]
    public func checkGPT2Shapes(_ config: GPTConfig) throws {
        try GPTModel.forEachGPT2Weight(config) { key, shape, transposed in
            try checkShape([key, "transformer." + key], shape: transposed ? [shape[1], shape[0]] : shape)
        }
    }
}

extension HuggingFaceCheckpoint {
    /// True if some layer's `attn.c_attn.bias` holds a number other than zero.
    func hasNonzeroQKVBias(layers: Int) throws -> Bool {
        // each layer has tensors of its own: no more layers than tensors are worth looking at
        for i in 0..<min(layers, weights.names.count) {
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
        try checkpoint.checkGPT2Shapes(config)          // before the model is made: a config far larger than the weights is refused
        let model = withNoGrad { GPTModel(config, generator: generator) }
        try model.load(gpt2Weights: checkpoint)
        try LoRA.mergeSaved(into: model, directory: directory)      // a LoRA fine-tuning's adapters, if any
        model.eval()
        return model
    }

    /// Calls `body` with each tensor of a GPT-2 checkpoint of `config`: its name without the
    /// `transformer.` prefix, its shape in this model, and whether the checkpoint stores it
    /// transposed (GPT-2's Conv1D weights are (in, out)).
    static func forEachGPT2Weight(_ config: GPTConfig, _ body: (_ key: String, _ shape: [Int], _ transposed: Bool) throws -> Void) rethrows {
        let d = config.embeddingDim
        try body("wte.weight", [config.vocabSize, d], false)
        try body("wpe.weight", [config.contextLength, d], false)
        for i in 0..<config.numLayers {
            let p = "h.\(i)."
            try body(p + "ln_1.weight", [d], false); try body(p + "ln_1.bias", [d], false)
            try body(p + "attn.c_attn.weight", [3 * d, d], true)
            if config.qkvBias { try body(p + "attn.c_attn.bias", [3 * d], false) }   // a model without QKV bias ignores it
            try body(p + "attn.c_proj.weight", [d, d], true); try body(p + "attn.c_proj.bias", [d], false)
            try body(p + "ln_2.weight", [d], false); try body(p + "ln_2.bias", [d], false)
            try body(p + "mlp.c_fc.weight", [4 * d, d], true); try body(p + "mlp.c_fc.bias", [4 * d], false)
            try body(p + "mlp.c_proj.weight", [d, 4 * d], true); try body(p + "mlp.c_proj.bias", [d], false)
        }
        try body("ln_f.weight", [d], false); try body("ln_f.bias", [d], false)
        if !config.tiedHead { try body("lm_head.weight", [config.vocabSize, d], false) }
    }

    /// Copies a GPT-2 checkpoint's weights into this model (its shapes must match).
    public func load(gpt2Weights checkpoint: HuggingFaceCheckpoint) throws {
        var values: [String: Tensor] = [:]
        try GPTModel.forEachGPT2Weight(config) { key, shape, transposed in
            let stored = transposed ? [shape[1], shape[0]] : shape
            let t = try checkpoint.tensor([key, "transformer." + key], shape: stored)
            values[key] = transposed ? t.widened().T.detach() : t   // Conv1D weights become float32 (Linear's layout)
        }
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
