// Growing a pre-trained GPT's tables: more token ids (new characters, an end-of-text token)
// and more positions than it was trained with. Fine-tuning data can need both — the course's
// character model knows 65 characters and 128 positions; an Alpaca prompt alone is 125
// characters, some with characters (#, digits) tiny Shakespeare never uses.

import TensorKit
import Tokenizers

extension GPTModel {
    /// A copy of this model with `vocabSize` token ids and `contextLength` positions (each at
    /// least the current one). Known rows keep their values. A new token's embedding is the
    /// mean of the old ones (a neutral start, as Hugging Face's `resize_token_embeddings`
    /// does); new positions repeat the learned ones — position p starts as p mod the old
    /// context length — as Longformer extended RoBERTa's 512 positions to 4,096. Training
    /// then has to teach the model what the new rows mean.
    public func extended(vocabSize newVocab: Int, contextLength newContext: Int, generator: TorchGenerator) -> GPTModel {
        let (oldVocab, oldContext, d) = (config.vocabSize, config.contextLength, config.embeddingDim)
        precondition(newVocab >= oldVocab && newContext >= oldContext,
                     "GPTModel.extended: cannot shrink \(oldVocab) ids × \(oldContext) positions to \(newVocab) × \(newContext)")
        var newConfig = config
        newConfig.vocabSize = newVocab
        newConfig.contextLength = newContext
        let model = withNoGrad { GPTModel(newConfig, generator: generator) }
        var values = stateDict()
        let tokens = wte.weight.data, positions = wpe.weight.data
        var mean = [Float](repeating: 0, count: d)
        for row in 0..<oldVocab { for j in 0..<d { mean[j] += tokens[row * d + j] / Float(oldVocab) } }
        var newTokens = tokens
        for _ in oldVocab..<newVocab { newTokens += mean }
        values["wte.weight"] = Tensor(shape: [newVocab, d], data: newTokens)                          // (V', d)
        var newPositions: [Float] = []
        newPositions.reserveCapacity(newContext * d)
        for p in 0..<newContext { newPositions += positions[((p % oldContext) * d)..<((p % oldContext + 1) * d)] }
        values["wpe.weight"] = Tensor(shape: [newContext, d], data: newPositions)                     // (T', d)
        if !config.tiedHead, let head = values["lm_head.weight"] {
            values["lm_head.weight"] = Tensor(shape: [newVocab, d], data: head.data + [Float](repeating: 0, count: (newVocab - oldVocab) * d))
        }
        try! model.load(values)   // the same names and the new shapes: cannot fail
        model.train(isTraining)
        return model
    }
}

extension CharTokenizer {
    /// The character that ends a text: U+0003, ASCII's END OF TEXT control character, which
    /// no text of the course contains. A character model learns to write it after an answer.
    public static let endOfText: Unicode.Scalar = "\u{3}"

    /// This vocabulary with the characters of `text` it lacks, and the end-of-text character,
    /// appended in code-point order (existing ids keep their meaning).
    public func adding(charactersOf text: String) -> CharTokenizer {
        let known = Set(characters)
        let missing = Set(text.unicodeScalars).union([CharTokenizer.endOfText]).subtracting(known).sorted { $0.value < $1.value }
        return CharTokenizer(characters: characters + missing)
    }

    /// The id of the end-of-text character, if the vocabulary has it.
    public var endOfTextID: Int? { characters.firstIndex(of: CharTokenizer.endOfText) }
}
