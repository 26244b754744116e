// Chapter 5 — Causal attention.
// A language model predicts the next word, so while reading word t it must not see words
// after t. Two ways to hide the future, shown to agree; dropout on attention weights;
// batches; and the `CausalAttention` module.

import CourseKit
import Foundation
import LLMKit
import TensorKit

let options = Options(program: "Chapter05_CausalAttention", summary: "hiding the future: the causal mask, dropout, batches")
let seedLinear = options.int("--seed-linear", default: 789, help: "seed of the SelfAttentionV2 weights used in 5.1–5.3")
let seed = options.int("--seed", default: 123, help: "seed before dropout and before building CausalAttention")
let dropRate = options.float("--dropout", default: 0.5, help: "dropout rate shown in 5.4")
let maskValueFlag = options.string("--mask-value", default: "-inf", help: "5.3: the score given to future positions before the softmax (-inf or a number)",
                                   placeholder: "VALUE")
let svgDirectory = options.optionalString("--svg", help: "also write the attention heatmap as an SVG file into DIR", placeholder: "DIR")
options.epilogue = """
Try: --dropout 0.1       (GPT-2's rate)
     --mask-value -1e9   (a large negative number instead of −∞; and -10?)
     --svg out           (writes out/chapter05-causal-attention.svg)
"""
options.parse()
if !(0..<1).contains(dropRate.value) { options.fail("--dropout must be in [0, 1), got \(dropRate.value)") }
let maskValue: Float
switch maskValueFlag.value {
case "-inf": maskValue = -.infinity
default:
    guard let v = Float(maskValueFlag.value), v.isFinite, v <= 0 else {
        options.fail("--mask-value must be -inf or a number at most 0, got \(maskValueFlag.value)")
    }
    maskValue = v
}
let maskName = maskValue == -.infinity ? "-inf" : maskValueFlag.value

chapterTitle(5, "Causal attention")

let words = ["Your", "journey", "starts", "with", "one", "step"]
let inputs = Tensor([
    [0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
    [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55],
])    // (6, 3)
let t = inputs.shape[0]

// MARK: - Unmasked weights

section("5.1 Attention weights, before hiding anything")
say("""
Start from chapter 4's SelfAttentionV2 (seed \(seedLinear.value)). Every word attends to every \
word, including the ones after it — which a model that predicts the next word must not see.
""")
Tensor.manualSeed(UInt64(seedLinear.value))
let sa = SelfAttentionV2(dIn: 3, dOut: 2)
let queries = sa.wQuery(inputs), keys = sa.wKey(inputs)            // (6, 2) each
let scores = queries.matmul(keys.T)                                // (6, 6)
let dK = Float(keys.shape[1])
let weights = (scores / dK.squareRoot()).softmax(axis: -1)         // (6, 6)
show("attention weights", weights)

// MARK: - Multiply and renormalise

section("5.2 Hide the future: multiply by a mask, renormalise")
let lowerTriangle = Tensor.ones([t, t]).tril()                     // (6, 6) ones on and below the diagonal
show("mask (torch.tril of ones)", lowerTriangle)
let maskedSimple = weights * lowerTriangle                          // (6, 6)
show("weights × mask", maskedSimple)
let rowSums = maskedSimple.sum(axis: -1, keepDim: true)            // (6, 1)
let renormalised = maskedSimple / rowSums                           // (6, 6)
show("divided by each row's sum", renormalised)

// MARK: - -inf

section("5.3 Hide the future before the softmax: −∞")
say("""
Simpler and cheaper: set the future scores to −∞ before the softmax. e^(−∞) = 0, so those \
positions get exactly zero weight and the rest still sum to 1 — no second normalisation.
""")
let future = Tensor.ones([t, t]).triu(1)                            // (6, 6) ones above the diagonal
let maskedScores = scores.maskedFill(future, maskValue)              // (6, 6)
show("scores with the future set to \(maskName)", maskedScores)
let causalWeights = (maskedScores / dK.squareRoot()).softmax(axis: -1)   // (6, 6)
show("softmax(masked scores / √d_k)", causalWeights)
let gap = (causalWeights - renormalised).abs().max().item
print("largest difference from 5.2: \(String(format: "%.1e", Double(gap)))"
      + (gap < 1e-6 ? " — the two methods agree" : " — the future is not hidden: the two methods disagree"))
if maskValue != -.infinity {
    let leaked = (causalWeights * future).sum().item
    print("weight given to future positions, all rows together: \(String(format: "%.3e", Double(leaked)))")
}
print("")
print(heatmap(causalWeights, rowLabels: words, columnLabels: words, range: 0...1), terminator: "")
say("Read a row as \"this word attends to…\": above the diagonal every weight is 0, the future is hidden.")

// MARK: - Dropout

section("5.4 Dropout on the attention weights")
say("""
In training, dropout zeroes a random \(Int(dropRate.value * 100))% of the attention weights and \
scales the rest by 1/(1 − p) = \(fixed(1 / (1 - dropRate.value), 2)), so the expected total stays the \
same. It stops the model from relying on a few positions. In evaluation mode it does nothing.
""")
Tensor.manualSeed(UInt64(seed.value))
let dropout = Dropout(dropRate.value)
show("dropout(ones(6, 6)) in training mode", dropout(Tensor.ones([t, t])))
Tensor.manualSeed(UInt64(seed.value))      // the book seeds again before this one
show("dropout(attention weights) in training mode", dropout(causalWeights))
dropout.eval()
show("dropout(attention weights) in evaluation mode", dropout(causalWeights))
say("""
(These are the book's masks: the course's generator draws the keep-or-drop decisions as \
PyTorch's CPU kernel does. Only PyTorch builds that use Intel's MKL draw them differently.)
""")

// MARK: - Batches and the module

section("5.5 A batch, and the CausalAttention module")
say("""
Models process several sequences at once. Stacking the input twice gives a batch of shape \
(2, 6, 3); `CausalAttention` (Shared/LLMKit/Attention.swift) applies the mask to each \
sequence of the batch. Seed \(seed.value), dropout 0, as in the book:
""")
let batch = Tensor.stack([inputs, inputs])                         // (2, 6, 3)
print("batch shape: \(describeShape(batch.shape))")
Tensor.manualSeed(UInt64(seed.value))
let causal = CausalAttention(dIn: 3, dOut: 2, contextLength: t, dropout: 0)
let contextVectors = causal(batch)                                 // (2, 6, 2)
show("context vectors", contextVectors)
let firstWeights = causal.lastWeights!.select(0, 0)                // (6, 6)
show("its attention weights for the first sequence", firstWeights)

if let directory = svgDirectory.value {
    print("")
    options.saveFigure(Figures.heatmap(causalWeights, rowLabels: words, columnLabels: words,
                            title: "Causal attention weights", range: 0...1), "chapter05-causal-attention.svg", into: directory)
}

section("What to remember")
say("""
Causal attention sets the scores of future tokens to −∞ before the softmax, so each token \
attends only to itself and the past. Dropout on the weights regularises training. Chapter 6 \
runs several such heads in parallel.
""")
