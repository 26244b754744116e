// `finetune lora` (the book's appendix E): the classifier of `finetune classify`, trained
// through LoRA adapters on every Linear layer with everything else frozen. `--book` counts
// the trainable parameters of the book's own model: GPT-2 124M with a 2-class head.

import CourseKit
import Foundation
import LLMKit
import TensorKit

func runLoRA(_ arguments: [String]) {
    let command = FineTuneCommand("lora", summary: "train the classifier through LoRA adapters only (the book's appendix E)",
                                  arguments: arguments, epochs: 4, learningRate: 2e-3, evalEvery: 50, lora: 8)
    ClassificationRun(command, isLoRA: true).run()
}

/// The book's counts, computed from the module tree of a GPT-2 124M classifier (random
/// weights: the counts do not depend on them) with rank-16, alpha-16 adapters.
func showBookCounts(_ command: FineTuneCommand) {
    chapterTitle(14, "After pre-training: LoRA's trainable parameters")
    // The book's BASE_CONFIG for "gpt2-small (124M)": query/key/value biases, no dropout.
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768, numHeads: 12, numLayers: 12,
                           dropRate: 0, qkvBias: true, tiedHead: true)
    let generator = TorchGenerator(seed: 123)
    let started = Date()
    let body = withNoGrad { GPTModel(config, generator: generator) }
    let recipe = FineTuneRecipe(task: "classify", base: "GPT-2 124M (random weights)", labels: ["not spam", "spam"],
                                loraRank: 16, loraAlpha: 16, padID: 50256)
    let prepared = withNoGrad { FineTuneModel(body: body, recipe: recipe, generator: generator) }
    say("""
    The book's GPT-2 124M (BASE_CONFIG: width 768, 12 layers, 12 heads, query/key/value \
    biases) with its language-model head replaced by a 2-class head, as in chapter 6 — built \
    here with random weights, since counting does not need trained ones. Counted from the \
    module tree as the book counts, sum(p.numel() for p in model.parameters() if p.requires_grad):
    """)
    print("Total trainable parameters before: \(grouped(prepared.countBeforeFreezing))")
    print("Total trainable parameters after: \(grouped(prepared.countAfterFreezing))")
    print("Total trainable LoRA parameters: \(grouped(prepared.trainableCount))")
    let adapters = LoRA.adapters(in: prepared.module)
    let rows = adapters.filter { $0.name.hasPrefix("h.0.") || !$0.name.hasPrefix("h.") }.map { name, adapter in
        [name, "\(grouped(adapter.base.inFeatures)) → \(grouped(adapter.base.outFeatures))", String(adapter.a.count),
         grouped(adapter.a.reduce(0) { $0 + $1.count } + adapter.b.reduce(0) { $0 + $1.count })]
    }
    say("""
    Rank 16, alpha 16, on every Linear layer: \(adapters.count) layers get adapters, each part \
    r·(in + out) numbers. GPT-2 stores the query, key and value projections as one layer, \
    c_attn (768 → 2,304); the book has three, W_query, W_key and W_value, each with its own \
    adapter — so c_attn gets three (one per part), and the count is the book's:
    """)
    table(["layer (block 0 and the head)", "in → out", "adapters", "LoRA numbers"], rows, rightAligned: [2, 3])
    say("""
    × 12 blocks + the head = \(grouped(prepared.trainableCount)), \
    \(fixed(Float(prepared.countBeforeFreezing) / Float(prepared.trainableCount), 1))× fewer than the whole model.
    """)
    timing(command, "Built and counted in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
}
