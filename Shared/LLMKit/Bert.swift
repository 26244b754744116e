// BERT, the encoder-only transformer: word + position + token-type embeddings, LayerNorm,
// then post-norm layers of bidirectional self-attention and a GELU feed-forward. It outputs
// one vector per token (`last_hidden_state`). Names follow Hugging Face's `BertModel`.

import Foundation
import TensorKit

public struct BertConfig: Codable, Equatable {
    public var vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int
    public var maxPositions: Int, typeVocabSize: Int
    public var layerNormEps: Float
    public var activation: Activation

    public init(vocabSize: Int, hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, maxPositions: Int = 512,
                typeVocabSize: Int = 2, layerNormEps: Float = 1e-12, activation: Activation = .gelu) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.typeVocabSize = typeVocabSize
        self.layerNormEps = layerNormEps
        self.activation = activation
    }
}

/// One BERT layer: LayerNorm(x + attention(x)), then LayerNorm(h + FFN(h)).
public final class BertLayer: Module {
    public let query: Linear, key: Linear, value: Linear, attentionOutput: Linear, attentionNorm: LayerNorm
    public let intermediate: Linear, output: Linear, outputNorm: LayerNorm
    let heads: Int
    let activation: Activation

    public init(_ c: BertConfig, generator: TorchGenerator = .global) {
        let d = c.hiddenSize
        query = Linear(d, d, generator: generator)
        key = Linear(d, d, generator: generator)
        value = Linear(d, d, generator: generator)
        attentionOutput = Linear(d, d, generator: generator)
        attentionNorm = LayerNorm(d, eps: c.layerNormEps)
        intermediate = Linear(d, c.intermediateSize, generator: generator)
        output = Linear(c.intermediateSize, d, generator: generator)
        outputNorm = LayerNorm(d, eps: c.layerNormEps)
        heads = c.heads
        activation = c.activation
        super.init()
        // attention.self.{query,key,value}, attention.output.{dense,LayerNorm},
        // intermediate.dense, output.{dense,LayerNorm}
        let attention = Module(), selfPart = Module(), attentionOut = Module(), intermediatePart = Module(), outputPart = Module()
        selfPart.register("query", query)
        selfPart.register("key", key)
        selfPart.register("value", value)
        attentionOut.register("dense", attentionOutput)
        attentionOut.register("LayerNorm", attentionNorm)
        attention.register("self", selfPart)
        attention.register("output", attentionOut)
        intermediatePart.register("dense", intermediate)
        outputPart.register("dense", output)
        outputPart.register("LayerNorm", outputNorm)
        register("attention", attention)
        register("intermediate", intermediatePart)
        register("output", outputPart)
    }

    /// (B, T, d) → (B, T, d); `mask` (additive) hides padding.
    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil) -> Tensor {
        let (attended, _) = multiHeadAttention(x, query: query, key: key, value: value, output: attentionOutput,
                                               heads: heads, causal: false, mask: mask)
        let h = attentionNorm(x + attended)                                    // add & norm
        return outputNorm(h + output(activation(intermediate(h))))             // add & norm
    }
}

public final class BertModel: Module {
    public let config: BertConfig
    public let wordEmbeddings: Embedding, positionEmbeddings: Embedding, tokenTypeEmbeddings: Embedding
    public let embeddingNorm: LayerNorm
    public let layers: [BertLayer]

    public init(_ c: BertConfig, generator: TorchGenerator = .global) {
        config = c
        wordEmbeddings = Embedding(c.vocabSize, c.hiddenSize, generator: generator)
        positionEmbeddings = Embedding(c.maxPositions, c.hiddenSize, generator: generator)
        tokenTypeEmbeddings = Embedding(c.typeVocabSize, c.hiddenSize, generator: generator)
        embeddingNorm = LayerNorm(c.hiddenSize, eps: c.layerNormEps)
        layers = (0..<c.layers).map { _ in BertLayer(c, generator: generator) }
        super.init()
        let embeddings = Module(), encoder = Module()
        embeddings.register("word_embeddings", wordEmbeddings)
        embeddings.register("position_embeddings", positionEmbeddings)
        embeddings.register("token_type_embeddings", tokenTypeEmbeddings)
        embeddings.register("LayerNorm", embeddingNorm)
        encoder.register("layer", list: layers)
        register("embeddings", embeddings)
        register("encoder", encoder)
    }

    /// ids (B, T) → one vector per token (B, T, d). Token types default to 0 (one sentence);
    /// `attentionMask` (B·T of 1 for real tokens, 0 for padding) hides padding.
    public func callAsFunction(_ ids: [Int], shape: [Int], tokenTypes: [Int]? = nil, attentionMask: [Int]? = nil,
                               trace: ((Tensor) -> Void)? = nil) -> Tensor {
        precondition(shape.count == 2 && shape.product == ids.count, "BertModel: ids must be (batch, tokens), got shape \(shape)")
        let (b, t) = (shape[0], shape[1])
        precondition(t <= config.maxPositions, "BertModel: \(t) tokens exceed \(config.maxPositions) positions")
        var x = wordEmbeddings(ids, shape: shape)                                           // (B, T, d)
            + positionEmbeddings(Array(0..<t))                                              // (T, d)
            + tokenTypeEmbeddings(tokenTypes ?? [Int](repeating: 0, count: ids.count), shape: shape)
        x = embeddingNorm(x)
        // padding: a large negative score for the keys of padding tokens, (B, 1, 1, T)
        let mask = attentionMask.map { m in
            Tensor(shape: [b, 1, 1, t], data: m.map { $0 == 0 ? -Float.greatestFiniteMagnitude : 0 })
        }
        for layer in layers {
            trace?(x)
            x = layer(x, mask: mask)
        }
        trace?(x)
        return x
    }
}

extension BertModel {
    /// Loads a Hugging Face `BertModel` directory (the pooler, if present, is not used).
    public static func load(huggingFace directory: URL) throws -> BertModel {
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        if let architecture = checkpoint.architecture, !architecture.hasPrefix("Bert") {
            throw InputError(path: checkpoint.configPath, problem: "architecture \(architecture) is not BERT")
        }
        let activationName = try checkpoint.string("hidden_act", default: "gelu")
        guard let activation = Activation(huggingFace: activationName) else {
            throw InputError(path: checkpoint.configPath, problem: "hidden_act \(activationName) is not supported")
        }
        let config = BertConfig(vocabSize: try checkpoint.int("vocab_size"), hiddenSize: try checkpoint.int("hidden_size"),
                                layers: try checkpoint.int("num_hidden_layers"), heads: try checkpoint.int("num_attention_heads"),
                                intermediateSize: try checkpoint.int("intermediate_size"),
                                maxPositions: try checkpoint.int("max_position_embeddings", default: 512),
                                typeVocabSize: try checkpoint.int("type_vocab_size", default: 2),
                                layerNormEps: try checkpoint.float("layer_norm_eps", default: 1e-12), activation: activation)
        // Sizes the model can be made with, backed by the weights before it is made.
        let c = config
        try checkpoint.requireSizes([("vocab_size", c.vocabSize), ("hidden_size", c.hiddenSize), ("num_hidden_layers", c.layers),
                                     ("num_attention_heads", c.heads), ("intermediate_size", c.intermediateSize),
                                     ("max_position_embeddings", c.maxPositions), ("type_vocab_size", c.typeVocabSize)])
        guard c.hiddenSize % c.heads == 0 else {
            throw checkpoint.configError("hidden_size \(c.hiddenSize) is not divisible by num_attention_heads \(c.heads)")
        }
        for (name, shape) in [("embeddings.word_embeddings.weight", [c.vocabSize, c.hiddenSize]),
                              ("embeddings.position_embeddings.weight", [c.maxPositions, c.hiddenSize]),
                              ("embeddings.token_type_embeddings.weight", [c.typeVocabSize, c.hiddenSize]),
                              ("encoder.layer.\(c.layers - 1).intermediate.dense.weight", [c.intermediateSize, c.hiddenSize])] {
            try checkpoint.checkShape([name, "bert." + name], shape: shape)
        }
        let model = withNoGrad { BertModel(config, generator: TorchGenerator(seed: 0)) }
        // keys with or without the "bert." prefix
        try checkpoint.loadParameters(into: model) { [$0, "bert." + $0] }
        return model
    }
}
