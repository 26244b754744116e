// One entry point for every architecture the course reads: look at config.json's
// `architectures`, load the matching model, run it.

import Foundation
import TensorKit

/// A loaded Hugging Face model of one of the architectures the course implements: GPT-2, the
/// Llama family (Llama 1–3, Mistral, Mixtral, Qwen2, Qwen3, Gemma), Marian and BERT.
public enum LoadedModel {
    case gpt2(GPTModel)
    case llama(LlamaModel)
    case marian(MarianModel)
    case bert(BertModel)

    /// The `architectures` names the course reads.
    public static let supportedArchitectures = ["GPT2LMHeadModel"] + LlamaFamilyMember.allCases.map(\.architecture) + ["MarianMTModel", "BertModel"]

    /// Loads `directory` (config.json + model.safetensors or its shards), choosing the model by
    /// `architectures`, or by `model_type` when config.json names no architecture.
    ///
    ///     let model = try LoadedModel.load(huggingFace: URL(fileURLWithPath: "SmolLM2-135M"))
    public static func load(huggingFace directory: URL) throws -> LoadedModel {
        let checkpoint = try HuggingFaceCheckpoint(directory: directory)
        let modelType = checkpoint.config["model_type"] as? String
        switch checkpoint.architecture ?? modelType ?? "" {
        case "GPT2LMHeadModel", "GPT2Model", "gpt2": return .gpt2(try GPTModel.load(huggingFace: directory))
        case let name where LlamaFamilyMember(architecture: name) != nil || LlamaFamilyMember(rawValue: name) != nil:
            return .llama(try LlamaModel.load(huggingFace: directory))
        case "MarianMTModel", "marian": return .marian(try MarianModel.load(huggingFace: directory))
        case let name where name.hasPrefix("Bert") || name == "bert": return .bert(try BertModel.load(huggingFace: directory))
        case let name:
            let named = [checkpoint.architecture.map { "architecture \($0)" }, modelType.map { "model_type \($0)" }].compactMap { $0 }
            throw InputError(path: checkpoint.configPath,
                             problem: name.isEmpty ? "names no architecture and no model_type" : "\(named.joined(separator: " and ")) is not one the course implements",
                             hint: "supported: " + supportedArchitectures.joined(separator: ", "))
        }
    }

    /// The name of the output this model produces: `logits`, or `last_hidden_state` for BERT.
    public var outputName: String {
        if case .bert = self { return "last_hidden_state" }
        return "logits"
    }

    /// Runs the model in evaluation mode on ids (B, T); Marian also needs the decoder's ids.
    public func forward(_ ids: [Int], shape: [Int], decoderIDs: (shape: [Int], values: [Int])? = nil) throws -> Tensor {
        try withNoGrad {
            switch self {
            case .gpt2(let m):
                m.eval()
                guard shape[1] <= m.config.contextLength else {
                    throw InputError(path: "input_ids", problem: "\(shape[1]) tokens exceed the model's context of \(m.config.contextLength)")
                }
                return m(ids, shape: shape)
            case .llama(let m):
                m.eval()
                if let window = m.config.slidingWindow, shape[1] > window {
                    throw InputError(path: "input_ids", problem: "\(shape[1]) tokens exceed the model's sliding window of \(window) (config.json sliding_window)",
                                     hint: "the course attends over the whole sequence, which is the model's computation only up to the window")
                }
                return m(ids, shape: shape)
            case .bert(let m):
                m.eval()
                guard shape[1] <= m.config.maxPositions else {
                    throw InputError(path: "input_ids", problem: "\(shape[1]) tokens exceed the model's \(m.config.maxPositions) positions")
                }
                return m(ids, shape: shape)
            case .marian(let m):
                m.eval()
                guard let decoder = decoderIDs else {
                    throw InputError(path: "decoder_input_ids", problem: "is missing", hint: "an encoder–decoder model needs the decoder's input ids too")
                }
                guard decoder.shape[0] == shape[0] else {
                    throw InputError(path: "decoder_input_ids", problem: "batch \(decoder.shape[0]) differs from input_ids' batch \(shape[0])")
                }
                for (name, length) in [("input_ids", shape[1]), ("decoder_input_ids", decoder.shape[1])] where length > m.config.maxPositions {
                    throw InputError(path: name, problem: "\(length) tokens exceed the model's \(m.config.maxPositions) positions")
                }
                let memory = m.encode(ids, shape: shape)
                return m.logits(m.decode(decoder.values, shape: decoder.shape, memory: memory))
            }
        }
    }

    /// The vocabulary size, for checking ids.
    public var vocabularySize: Int {
        switch self {
        case .gpt2(let m): return m.config.vocabSize
        case .llama(let m): return m.config.vocabSize
        case .marian(let m): return m.config.vocabSize
        case .bert(let m): return m.config.vocabSize
        }
    }
}
