// A chat session from a model directory: the model (config.json + weights), its tokenizer.json,
// its chat template, and the ids that end a reply.

import Foundation
import TensorKit
import Tokenizers

extension ChatSession {
    /// Loads the model, tokenizer and chat template of `directory` (a Hugging Face model
    /// directory). A reply stops at the end-of-sequence ids of generation_config.json (else
    /// config.json, else tokenizer_config.json) and at the template's `eos_token`: Qwen2.5's
    /// generation config names `<|endoftext|>` and `<|im_end|>`, Llama 3.1's `<|eot_id|>` among others.
    ///
    ///     let chat = try ChatSession.load(from: URL(fileURLWithPath: "SmolLM2-135M-Instruct"))
    ///     chat.stopIDs           // [2]: <|im_end|>
    ///
    /// A 16-bit checkpoint stays as stored (its matrices read in place); `quantize` packs the
    /// linear layers' weights as bfloat16, float16 or int8 blocks.
    public static func load(from directory: URL, system: String? = nil, keepsCache: Bool = true,
                            quantize: PackedFormat? = nil) throws -> ChatSession {
        let model: CausalLanguageModel
        switch try CheckpointWeights.$keepsHalfPrecision.withValue(true, operation: { try LoadedModel.load(huggingFace: directory) }) {
        case .gpt2(let m): model = m; if let quantize { m.packWeights(quantize) }
        case .llama(let m): model = m; if let quantize { m.packWeights(quantize) }
        default: throw InputError(path: directory.path, problem: "chat needs a decoder-only model (GPT-2, Llama, Mistral, Mixtral, Qwen, Gemma)")
        }
        let pretrained = try PretrainedTokenizer(directory: directory)
        guard pretrained.kind == .huggingFace, let tokenizer = pretrained.tokenizer as? HuggingFaceTokenizer else {
            throw TokenizerError(directory.path, "has no tokenizer.json (only \(pretrained.kind.rawValue))",
                                 hint: "chat needs a tokenizer.json: it knows the special tokens the template writes (<|im_start|>, <s>, …)")
        }
        guard tokenizer.vocabularySize <= model.vocabularySize else {
            throw InputError(path: directory.path, problem: "the tokenizer has \(tokenizer.vocabularySize) tokens but the model only \(model.vocabularySize)",
                             hint: "tokenizer.json and config.json come from different models")
        }
        let template = try ChatTemplate.load(from: directory)
        var stops = Set(pretrained.eosIDs)
        if let eos = template.eosToken, let id = tokenizer.id(of: eos) { stops.insert(id) }
        return try ChatSession(model: model, tokenizer: tokenizer, template: template, stopIDs: stops, system: system,
                               keepsCache: keepsCache)
    }
}
