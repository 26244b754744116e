// Chapter 4 — Self-attention with trainable weights.
// Queries, keys and values: three learned projections of every token, scaled dot-product
// attention, then the same as a module — with raw matrices (v1) and with Linear layers (v2).

import CourseKit
import Foundation
import LLMKit
import TensorKit

let options = Options(program: "Chapter04_SelfAttentionWithWeights",
                      summary: "queries, keys and values with trainable weights")
let seedV1 = options.int("--seed", default: 123, help: "seed before drawing W_query, W_key, W_value with rand (v1)")
let seedV2 = options.int("--seed-linear", default: 789, help: "seed before initialising the Linear layers (v2)")
let dOut = options.int("--d-out", default: 2, help: "size of each query, key and value vector")
let queryWord = options.string("--query", default: "journey", help: "the word worked out step by step", placeholder: "WORD")
options.epilogue = """
Try: --d-out 4        (bigger projections)
     --seed 1         (other random weights: the scores change, the method does not)
"""
options.parse()
if dOut.value < 1 { options.fail("--d-out must be at least 1, got \(dOut.value)") }

chapterTitle(4, "Self-attention with trainable weights")

let words = ["Your", "journey", "starts", "with", "one", "step"]
let inputs = Tensor([
    [0.43, 0.15, 0.89],  // Your
    [0.55, 0.87, 0.66],  // journey
    [0.57, 0.85, 0.64],  // starts
    [0.22, 0.58, 0.33],  // with
    [0.77, 0.25, 0.10],  // one
    [0.05, 0.80, 0.55],  // step
])                       // (6, 3)
guard let q = words.firstIndex(of: queryWord.value) else {
    options.fail("--query \(queryWord.value) is not one of: \(words.joined(separator: ", "))")
}
let (dIn, dK) = (inputs.shape[1], dOut.value)

// MARK: - Weights

section("4.1 Three weight matrices")
say("""
Chapter 3 compared the embeddings directly. A model instead learns three matrices that \
project each embedding into a query (what am I looking for?), a key (what do I contain?) \
and a value (what do I pass on?). Here they are random: torch.manual_seed(\(seedV1.value)), \
then torch.rand(\(dIn), \(dK)) three times, with the course's PyTorch-compatible generator.
""")
show("inputs", inputs)
Tensor.manualSeed(UInt64(seedV1.value))
let wQuery = Tensor.rand([dIn, dK])    // (d_in, d_out)
let wKey = Tensor.rand([dIn, dK])      // (d_in, d_out)
let wValue = Tensor.rand([dIn, dK])    // (d_in, d_out)
show("W_query", wQuery)
show("W_key", wKey)
show("W_value", wValue)

// MARK: - One query

section("4.2 Query, keys and values for \"\(words[q])\"")
let x = inputs.select(0, q)               // (d_in,)
let query = x.matmul(wQuery)              // (d_out,)
show("query = x · W_query", query)
let keys = inputs.matmul(wKey)            // (6, d_out)
let values = inputs.matmul(wValue)        // (6, d_out)
show("keys = inputs · W_key", keys)
show("values = inputs · W_value", values)

section("4.3 Scaled dot-product attention")
let ownScore = query.matmul(keys.select(0, q))     // ()
print("score of \"\(words[q])\" with itself, query · key: \(ownScore)")
let scores = query.matmul(keys.T)                  // (6,)
show("scores = query · keysᵀ", scores)
say("""
Before the softmax the scores are divided by √d_k = √\(dK). Dot products of longer vectors \
grow larger, and softmax of large numbers is nearly one-hot, with tiny gradients: the \
scaling keeps training stable.
""")
let weights = (scores / Float(dK).squareRoot()).softmax(axis: -1)   // (6,)
show("weights = softmax(scores / √d_k)", weights)
let context = weights.matmul(values)                                 // (d_out,)
show("context vector = weights · values", context)

// MARK: - Modules

section("4.4 SelfAttention v1: the same in a module")
say("""
`SelfAttentionV1` (Shared/LLMKit/Attention.swift) holds the three matrices as parameters \
and does the steps above for all six words at once. Seeded the same way, it reproduces the \
context vector of \"\(words[q])\" in row \(q + 1).
""")
Tensor.manualSeed(UInt64(seedV1.value))
let v1 = SelfAttentionV1(dIn: dIn, dOut: dK)
show("SelfAttentionV1(inputs)", v1(inputs))

section("4.5 SelfAttention v2: Linear layers")
say("""
`SelfAttentionV2` uses Linear layers without bias instead of raw matrices. nn.Linear \
stores its weight transposed, (d_out, d_in), and draws it uniformly in ±1/√d_in — a better \
start for training than rand's [0, 1). Seed \(seedV2.value), as in the book:
""")
Tensor.manualSeed(UInt64(seedV2.value))
let v2 = SelfAttentionV2(dIn: dIn, dOut: dK)
show("W_query.weight", v2.wQuery.weight)
show("SelfAttentionV2(inputs)", v2(inputs))

section("4.6 v1 and v2 compute the same function")
say("""
Copy v2's weights into v1 — transposed, since Linear stores (d_out, d_in) — and both give \
the same output: only the initialisation differs.
""")
let copy = SelfAttentionV1(dIn: dIn, dOut: dK)
try! copy.load(["W_query": v2.wQuery.weight.T, "W_key": v2.wKey.weight.T, "W_value": v2.wValue.weight.T])
let difference = (copy(inputs) - v2(inputs)).abs().max().item
print("largest difference between v1 with v2's weights and v2: \(String(format: "%.1e", Double(difference)))")

section("What to remember")
say("""
Queries, keys and values are learned projections of the same embeddings. Attention weights \
are softmax(Q·Kᵀ/√d_k); context vectors are those weights times V. Chapter 5 stops a \
token from looking at the tokens after it.
""")
