// Chapter 3 — Simplified self-attention.
// Six words, three numbers each: attention scores by a loop and by a matrix product,
// three ways to normalise them, one context vector, then all of them at once.

import CourseKit
import Foundation
import LLMKit
import TensorKit

let options = Options(program: "Chapter03_SimplifiedSelfAttention",
                      summary: "attention scores, softmax and context vectors by hand")
let queryWord = options.string("--query", default: "journey", help: "the word whose context vector is worked out step by step", placeholder: "WORD")
let text = options.optionalString("--text", help: "your own sentence instead of the book's (each word gets a random 3-d embedding)")
let seed = options.int("--seed", default: 123, help: "seed for the random embeddings of --text")
let scale = options.float("--scale", default: 1, help: "multiply every input vector by this number first (longer vectors, larger scores)")
let svgDirectory = options.optionalString("--svg", help: "also write the attention heatmap as an SVG file into DIR", placeholder: "DIR")
options.epilogue = """
Try: --query step    (whose context is computed step by step)
     --text "the cat sat on the mat" --query cat
     --scale 10          (the same directions, ten times longer: what happens to the weights?)
"""
options.parse()
if !(scale.value > 0 && scale.value <= 1000) { options.fail("--scale must be above 0 and at most 1000, got \(scale.value)") }

chapterTitle(3, "Simplified self-attention")

// MARK: - The inputs

section("3.1 Six words as vectors")
let words: [String]
var inputs: Tensor
if let sentence = text.value {
    words = sentence.split(separator: " ").map(String.init)
    if words.isEmpty { options.fail("--text is empty") }
    // one vector per distinct word, as an embedding table gives: a repeated word repeats its vector
    var distinct: [String] = []
    for w in words where !distinct.contains(w) { distinct.append(w) }
    Tensor.manualSeed(UInt64(seed.value))
    let table = Tensor.rand([distinct.count, 3])                                   // (distinct words, 3)
    inputs = table.indexSelect(0, words.map { distinct.firstIndex(of: $0)! })      // (T, 3)
    say("""
    Your sentence has \(words.count) words, \(distinct.count) of them different. Real models learn their \
    embeddings; here each different word gets a random 3-d vector from PyTorch's generator \
    seeded with \(seed.value) (a repeated word gets the same vector, as from an embedding table).
    """)
} else {
    words = ["Your", "journey", "starts", "with", "one", "step"]
    inputs = Tensor([
        [0.43, 0.15, 0.89],  // Your     (x¹)
        [0.55, 0.87, 0.66],  // journey  (x²)
        [0.57, 0.85, 0.64],  // starts   (x³)
        [0.22, 0.58, 0.33],  // with     (x⁴)
        [0.77, 0.25, 0.10],  // one      (x⁵)
        [0.05, 0.80, 0.55],  // step     (x⁶)
    ])                       // (6, 3)
    say("""
    The sentence "Your journey starts with one step" as six 3-dimensional embeddings, the \
    book's example. Real embeddings have hundreds of dimensions; three are enough to follow \
    every number by hand.
    """)
}
if scale.value != 1 {
    inputs = inputs * scale.value                                   // (T, 3)
    say("--scale \(scale.value): every vector multiplied by \(scale.value) — the same directions, longer vectors.")
}
show("inputs", inputs)

guard let q = words.firstIndex(of: queryWord.value) else {
    options.fail("--query \(queryWord.value) is not one of the words: \(words.joined(separator: ", "))")
}
let query = inputs.select(0, q)    // (3,)

// MARK: - Scores

section("3.2 Attention scores for the query \"\(words[q])\"")
say("""
How much should "\(words[q])" attend to each word? Simplified self-attention answers with the \
dot product: the larger ω = x⁽ⁱ⁾ · query, the more alike the two vectors point.
""")
print("By a loop over the words, one dot product at a time:")
var loopScores = [Float](repeating: 0, count: words.count)
for i in 0..<words.count {
    var dot: Float = 0
    for j in 0..<3 { dot += inputs[i, j] * query[j] }
    loopScores[i] = dot
    print("  ω(\(words[q]), \(pad(words[i] + ")", 9))= \(fixed(dot))")
}
let scores = inputs.matmul(query)    // (T, 3) × (3,) → (T,)
print("\nAs one matrix–vector product, inputs · query:")
show("attention scores", scores)
let loopAgrees = zip(loopScores, scores.data).allSatisfy { Swift.abs($0 - $1) < 1e-6 }
print("The loop and the product agree: \(loopAgrees)")

// MARK: - Normalisation

section("3.3 From scores to weights")
say("""
Scores are turned into weights that are positive and sum to 1. Dividing by the sum does \
that for positive scores, but softmax is what models use: it works for any score, and it \
stretches differences, so larger scores get a larger share.
""")
let bySum = scores / scores.sum()
show("dividing by the sum", bySum)
print("sum: \(fixed(bySum.sum().item))")

let naive = scores.exp() / scores.exp().sum()
show("naive softmax, exp(ω) / Σ exp(ω)", naive)
print("sum: \(fixed(naive.sum().item))")

let weights = scores.softmax(axis: 0)
show("stable softmax (subtracts the maximum first)", weights)
print("sum: \(fixed(weights.sum().item))")
say("""
The naive formula overflows once a score passes about 88 (e^89 is larger than the biggest \
float32). The stable one subtracts the largest score before exponentiating — the result is \
the same, because the factor e^(−max) cancels.
""")
let big = Tensor([1000, 1001])
print("naive softmax of [1000, 1001]:  \(big.exp() / big.exp().sum())")
print("stable softmax of [1000, 1001]: \(big.softmax(axis: 0))")

// MARK: - Context vector

section("3.4 The context vector of \"\(words[q])\"")
say("""
The context vector z is the weighted sum of all input vectors, with the attention weights \
as the weights: it is "\(words[q])" enriched with what the other words contribute.
""")
var loopContext = [Float](repeating: 0, count: 3)
for i in 0..<words.count {
    for j in 0..<3 { loopContext[j] += weights[i] * inputs[i, j] }
}
let context = weights.matmul(inputs)    // (T,) × (T, 3) → (3,)
show("context vector (weights · inputs)", context)
let contextAgrees = zip(loopContext, context.data).allSatisfy { Swift.abs($0 - $1) < 1e-6 }
print("A loop over the words gives the same vector: \(contextAgrees)")

// MARK: - All at once

section("3.5 Every word at once")
say("""
Doing this for every word is three matrix products: scores Ω = X Xᵀ, weights A = softmax \
of each row, context vectors Z = A X. This is `SimplifiedSelfAttention` in Shared/LLMKit.
""")
let attention = SimplifiedSelfAttention(inputs)
show("attention scores Ω = X · Xᵀ", attention.scores)
show("attention weights A = softmax(Ω, dim=-1)", attention.weights)
print("row sums: \(attention.weights.sum(axis: -1))")
show("context vectors Z = A · X", attention.context)
print("Row \(q + 1) is the context vector of \"\(words[q])\" from 3.4.")

section("3.6 Who attends to whom")
say("Each row is one word's attention weights; darker cells get more of its attention.")
print(heatmap(attention.weights, rowLabels: words, columnLabels: words, range: 0...1), terminator: "")

if let directory = svgDirectory.value {
    print("")
    options.saveFigure(Figures.heatmap(attention.weights, rowLabels: words, columnLabels: words,
                            title: "Simplified self-attention weights", range: 0...1), "chapter03-attention-weights.svg", into: directory)
}

section("What to remember")
say("""
Attention is a weighted average. The weights come from similarity (dot products) made into \
probabilities (softmax). Nothing here is trained yet: chapter 4 adds the query, key and \
value weights that let a model learn what "similar" should mean.
""")
