// Marian (MarianMT), an encoder–decoder translation model in the 2017 design: one shared
// token embedding scaled by √d, fixed sinusoidal positions, post-norm layers, and a head
// tied to the embedding plus a `final_logits_bias`.

import Foundation
import TensorKit

public struct MarianConfig: Codable, Equatable {
    public var vocabSize: Int, dModel: Int
    public var encoderLayers: Int, decoderLayers: Int
    public var encoderHeads: Int, decoderHeads: Int
    public var encoderFFN: Int, decoderFFN: Int
    public var maxPositions: Int
    public var activation: Activation
    public var scaleEmbedding: Bool

    public init(vocabSize: Int, dModel: Int, encoderLayers: Int, decoderLayers: Int, encoderHeads: Int, decoderHeads: Int,
                encoderFFN: Int, decoderFFN: Int, maxPositions: Int, activation: Activation = .relu, scaleEmbedding: Bool = true) {
        self.vocabSize = vocabSize
        self.dModel = dModel
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        self.encoderHeads = encoderHeads
        self.decoderHeads = decoderHeads
        self.encoderFFN = encoderFFN
        self.decoderFFN = decoderFFN
        self.maxPositions = maxPositions
        self.activation = activation
        self.scaleEmbedding = scaleEmbedding
    }
}

public final class MarianModel: Module {
    public let config: MarianConfig
    public let shared: Embedding
    public let encoderLayers: [EncoderLayer], decoderLayers: [DecoderLayer]
    public let finalLogitsBias: Tensor          // "final_logits_bias" (1, V)
    /// Sinusoidal positions, sines in the first half and cosines in the second. (maxPositions, d)
    public let positions: Tensor

    public init(_ c: MarianConfig, generator: TorchGenerator = .global) {
        config = c
        // N(0, 1/d), as the Transformer paper's embeddings: multiplied by √d they have unit scale
        shared = Embedding(weight: generator.randn([c.vocabSize, c.dModel]) / Float(c.dModel).squareRoot())
        encoderLayers = (0..<c.encoderLayers).map { _ in
            EncoderLayer(dModel: c.dModel, heads: c.encoderHeads, ffn: c.encoderFFN, activation: c.activation, generator: generator)
        }
        decoderLayers = (0..<c.decoderLayers).map { _ in
            DecoderLayer(dModel: c.dModel, heads: c.decoderHeads, ffn: c.decoderFFN, activation: c.activation, generator: generator)
        }
        finalLogitsBias = Tensor.zeros([1, c.vocabSize])
        positions = sinusoidalPositionalEncoding(positions: c.maxPositions, dim: c.dModel, halves: true)
        super.init()
        let body = Module(), encoder = Module(), decoder = Module()
        body.register("shared", shared)
        encoder.register("layers", list: encoderLayers)
        decoder.register("layers", list: decoderLayers)
        body.register("encoder", encoder)
        body.register("decoder", decoder)
        register("model", body)
        register(parameter: "final_logits_bias", finalLogitsBias)
    }

    /// Token embeddings × √d (if scaled) + positions start..<start+T.  (B, T, d)
    func embed(_ ids: [Int], shape: [Int], start: Int = 0) -> Tensor {
        precondition(start + shape[1] <= config.maxPositions, "MarianModel: \(start + shape[1]) tokens exceed \(config.maxPositions) positions")
        let scale = config.scaleEmbedding ? Float(config.dModel).squareRoot() : 1
        return shared(ids, shape: shape) * scale + positions.slice(0, start, start + shape[1])
    }

    /// The source ids (B, S) → the encoder's output (B, S, d).
    public func encode(_ ids: [Int], shape: [Int]) -> Tensor {
        var x = embed(ids, shape: shape)
        for layer in encoderLayers { x = layer(x) }
        return x
    }

    /// Target ids (B, T) and the encoder output → the decoder's final states (B, T, d).
    public func decode(_ ids: [Int], shape: [Int], memory: Tensor, cache: KVCache? = nil, trace: ((Tensor) -> Void)? = nil) -> Tensor {
        let start = cache?.length ?? 0
        var x = embed(ids, shape: shape, start: start)
        for (i, layer) in decoderLayers.enumerated() {
            trace?(x)
            x = layer(x, memory: memory, cache: cache?.layers[i])
        }
        cache?.length = start + shape[1]
        trace?(x)
        return x
    }

    /// Decoder states → logits: the shared embedding as output layer, plus the bias.  (B, T, V)
    public func logits(_ states: Tensor) -> Tensor {
        Tensor.linear(states, weight: shared.weight) + finalLogitsBias
    }
}

extension MarianModel {
    /// Loads a Hugging Face `MarianMTModel` directory.
    public static func load(huggingFace directory: URL) throws -> MarianModel {
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        if let architecture = checkpoint.architecture, architecture != "MarianMTModel" {
            throw InputError(path: checkpoint.configPath, problem: "architecture \(architecture) is not Marian")
        }
        let activationName = try checkpoint.string("activation_function", default: "relu")
        guard let activation = Activation(huggingFace: activationName) else {
            throw InputError(path: checkpoint.configPath, problem: "activation_function \(activationName) is not supported")
        }
        let config = MarianConfig(
            vocabSize: try checkpoint.int("vocab_size"), dModel: try checkpoint.int("d_model"),
            encoderLayers: try checkpoint.int("encoder_layers"), decoderLayers: try checkpoint.int("decoder_layers"),
            encoderHeads: try checkpoint.int("encoder_attention_heads"), decoderHeads: try checkpoint.int("decoder_attention_heads"),
            encoderFFN: try checkpoint.int("encoder_ffn_dim"), decoderFFN: try checkpoint.int("decoder_ffn_dim"),
            maxPositions: try checkpoint.int("max_position_embeddings"), activation: activation,
            scaleEmbedding: checkpoint.bool("scale_embedding", default: false))
        // Sizes the model can be made with, backed by the weights before it is made.
        let c = config
        try checkpoint.requireSizes([("vocab_size", c.vocabSize), ("d_model", c.dModel), ("encoder_layers", c.encoderLayers),
                                     ("decoder_layers", c.decoderLayers), ("encoder_attention_heads", c.encoderHeads),
                                     ("decoder_attention_heads", c.decoderHeads), ("encoder_ffn_dim", c.encoderFFN),
                                     ("decoder_ffn_dim", c.decoderFFN), ("max_position_embeddings", c.maxPositions)])
        guard c.dModel % 2 == 0, c.dModel % c.encoderHeads == 0, c.dModel % c.decoderHeads == 0 else {
            throw checkpoint.configError("d_model \(c.dModel) must be even and divisible by the \(c.encoderHeads) encoder and \(c.decoderHeads) decoder heads")
        }
        // the sinusoidal table (positions × d_model) is computed, not read: its size is not backed by the weights
        guard c.maxPositions <= 1 << 16 else {
            throw checkpoint.configError("max_position_embeddings \(c.maxPositions) is more than the 65,536 positions the course computes")
        }
        try checkpoint.checkShape(["model.shared.weight"], shape: [c.vocabSize, c.dModel])
        try checkpoint.checkShape(["model.encoder.layers.\(c.encoderLayers - 1).fc1.weight"], shape: [c.encoderFFN, c.dModel])
        try checkpoint.checkShape(["model.decoder.layers.\(c.decoderLayers - 1).fc1.weight"], shape: [c.decoderFFN, c.dModel])
        let model = withNoGrad { MarianModel(config, generator: TorchGenerator(seed: 0)) }
        try checkpoint.loadParameters(into: model)
        return model
    }
}
