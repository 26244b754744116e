// How many numbers a transformer has, from its configuration alone — without allocating it.
// Tests check each formula against a real module's `parameterCount`.

/// Parameter counts of the three transformer families, layer by layer.
public enum ParameterCount {
    /// A GPT (decoder-only): token and position embeddings, per block two LayerNorms, the
    /// query/key/value projection (bias optional), the output projection, the 4× feed-forward,
    /// then the final LayerNorm and the output head (shared with the token embedding if tied).
    public static func gpt(_ c: GPTConfig) -> Int {
        let d = c.embeddingDim
        let attention = 3 * d * d + (c.qkvBias ? 3 * d : 0) + d * d + d
        let feedForward = d * 4 * d + 4 * d + 4 * d * d + d
        let block = 2 * (2 * d) + attention + feedForward
        let embeddings = c.vocabSize * d + c.contextLength * d
        return embeddings + c.numLayers * block + 2 * d + (c.tiedHead ? 0 : c.vocabSize * d)
    }

    /// An encoder-only BERT: word, position and token-type embeddings with a LayerNorm; per
    /// layer self-attention (4 projections with bias), a LayerNorm, the feed-forward, a
    /// LayerNorm; and the pooler (a d × d layer on the [CLS] vector).
    public static func bert(vocabulary: Int, positions: Int, typeVocabulary: Int = 2, dim d: Int,
                            layers: Int, feedForward ff: Int, pooler: Bool = true) -> Int {
        let embeddings = (vocabulary + positions + typeVocabulary) * d + 2 * d
        let layer = 4 * (d * d + d) + 2 * d + (d * ff + ff + ff * d + d) + 2 * d
        return embeddings + layers * layer + (pooler ? d * d + d : 0)
    }

    /// The 2017 encoder–decoder Transformer with one embedding shared by the encoder input, the
    /// decoder input and the output layer; post-norm layers; fixed sinusoidal positions (no
    /// parameters). Encoder layer: self-attention + feed-forward + 2 LayerNorms; decoder layer:
    /// self-attention + cross-attention + feed-forward + 3 LayerNorms.
    public static func encoderDecoder(vocabulary: Int, dim d: Int, encoderLayers: Int, decoderLayers: Int,
                                      feedForward ff: Int) -> Int {
        let attention = 4 * (d * d + d)
        let feed = d * ff + ff + ff * d + d
        let encoderLayer = attention + feed + 2 * (2 * d)
        let decoderLayer = 2 * attention + feed + 3 * (2 * d)
        return vocabulary * d + encoderLayers * encoderLayer + decoderLayers * decoderLayer
    }
}
