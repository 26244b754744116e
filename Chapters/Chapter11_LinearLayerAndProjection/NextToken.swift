// `Chapter11_LinearLayerAndProjection next MODEL --prompt TEXT [--top-k K]`: what any
// checkpoint (a directory, or a Hub id in the cache) thinks comes next. The prompt is encoded with the directory's own tokenizer
// (a Hugging Face tokenizer.json, GPT-2's files, a SentencePiece tokenizer.model, or a chapter-14
// checkpoint's), the model runs once, and the last position's logits become probabilities
// (softmax); the k most likely tokens are printed with them. `--prompt-ids 1,2,3` skips the
// tokenizer.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

/// Runs `next MODEL` (`arguments` is what follows `next`).
func runNextTokenCommand(_ arguments: [String], prompt: String, promptIDs: String?, topK: Int, options: Options) -> Never {
    guard arguments.count == 1 else { options.fail("usage: next MODEL [--prompt TEXT | --prompt-ids 1,2,3] [--top-k K]") }
    guard topK >= 1 else { options.fail("--top-k must be at least 1, got \(topK)") }
    do {
        let directory = try resolveModelDirectory(arguments[0])               // a directory, or a Hub id in the cache
        let model = try LoadedModel.load(huggingFace: directory)
        guard model.outputName == "logits" else {
            throw InputError(path: directory.path, problem: "is an encoder (BERT): it gives hidden states, not next-token scores")
        }
        if case .marian = model {
            throw InputError(path: directory.path, problem: "is an encoder–decoder (Marian): its next token depends on a source text too")
        }
        var tokenizer: CheckpointTokenizer?
        let ids: [Int]
        if let promptIDs {
            let parts = promptIDs.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else {
                throw InputError(path: "--prompt-ids", problem: "'\(promptIDs)' is not a comma-separated list of integers")
            }
            ids = parts.map { $0! }
        } else {
            tokenizer = try CheckpointTokenizer.load(from: directory, gpt2Files: dataDirectory().appendingPathComponent("gpt2"))
            ids = try tokenizer!.encodeChecked(prompt)
        }
        guard !ids.isEmpty else { throw InputError(path: "--prompt", problem: "is empty") }
        if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) {
            throw InputError(path: "--prompt", problem: "has the id \(bad), outside the model's vocabulary of \(model.vocabularySize)",
                             hint: "the tokenizer and the model come from different checkpoints?")
        }
        let logits = try model.forward(ids, shape: [1, ids.count])                    // (1, T, V)
        let vocabulary = logits.shape[2]
        let last = Array(logits.data[(ids.count - 1) * vocabulary..<ids.count * vocabulary])   // (V,)
        // softmax in double precision: p_i = exp(z_i − max z) / Σ_j exp(z_j − max z)
        let largest = Double(last.max()!)
        let exps = last.map { exp(Double($0) - largest) }
        let total = exps.reduce(0, +)
        let order = last.indices.sorted { exps[$0] != exps[$1] ? exps[$0] > exps[$1] : $0 < $1 }.prefix(topK)
        print("prompt: \(ids.count) tokens \(ids.count <= 32 ? "\(ids)" : "[\(ids.prefix(32).map(String.init).joined(separator: ", ")), …]")")
        if let tokenizer { print("text:   \(quoted(tokenizer.tokenizer.decode(ids)))") }
        print("the \(order.count) most likely next tokens of \(vocabulary):")
        let rows = order.enumerated().map { rank, id in
            [String(rank + 1), String(id), tokenizer.map { quoted($0.display(id)) } ?? "", fixed(last[id]),
             String(format: "%.4f", exps[id] / total)]
        }
        table(["rank", "id", "token", "logit", "probability"], rows, rightAligned: [0, 1, 3, 4])
        exit(0)
    } catch {
        options.fail("\(error)")
    }
}
