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
let noScale = options.flag("--no-scale", help: "4.3: softmax of the raw scores, without dividing by √d_k")
options.epilogue = """
Try: --d-out 4        (bigger projections)
     --seed 1         (other random weights: the scores change, the method does not)
     --no-scale --d-out 64   (how peaked do the weights get without the scaling?)
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
if noScale.value {
    say("""
    --no-scale: the softmax reads the raw scores. (The modules of 4.4 and 4.5 still divide by \
    √d_k, so their row \(q + 1) no longer equals the context vector below.)
    """)
} else {
    say("""
    Before the softmax the scores are divided by √d_k = √\(dK). Dot products of longer vectors \
    grow larger, and softmax of large numbers is nearly one-hot, with tiny gradients: the \
    scaling keeps training stable (4.7 measures it).
    """)
}
let weights = (noScale.value ? scores : scores / Float(dK).squareRoot()).softmax(axis: -1)   // (6,)
show(noScale.value ? "weights = softmax(scores)" : "weights = softmax(scores / √d_k)", weights)
print("largest weight: \(fixed(weights.max().item))")
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

// MARK: - Why √d_k

section("4.7 Why divide by √d_k")
let pairs = 20_000
say("""
If the entries of a query and a key are independent with mean 0 and variance 1, each product \
qᵢkᵢ has variance 1 and their sum q·k over d entries has variance d: the scores spread out as \
the vectors grow. Dividing by √d brings the variance back to 1 whatever d is. Measured on \
\(grouped(pairs)) random pairs (torch.randn after manual_seed(\(seedV1.value))) for each d, then what it \
does to a softmax over 8 keys (1,000 random queries): its largest weight, and its \
sensitivity Σ pᵢ(1 − pᵢ) — the trace of softmax's Jacobian, how much the weights can still \
move when the scores do (0.875 for 8 equal weights, 0 for one-hot):
""")
Tensor.manualSeed(UInt64(seedV1.value))
var scalingRows: [[String]] = []
for d in [2, 8, 32, 128, 512] {
    let qs = Tensor.randn([pairs, d]), ks = Tensor.randn([pairs, d])               // (N, d) each
    let dots = (qs * ks).sum(axis: 1)                                              // (N,)
    let scaled = dots / Float(d).squareRoot()                                      // (N,)
    let query8 = Tensor.randn([1000, 1, d]), keys8 = Tensor.randn([1000, 8, d])   // (1000, 1, d), (1000, 8, d)
    let raw = query8.matmul(keys8.transpose(1, 2)).reshape([1000, 8])             // (1000, 8)
    func peak(_ s: Tensor) -> (Float, Float) {
        let p = s.softmax(axis: -1)                                                // (1000, 8)
        return (p.max(axis: -1).mean().item, (p * (1 - p)).sum(axis: -1).mean().item)
    }
    let (unscaledMax, unscaledSensitivity) = peak(raw)
    let (scaledMax, scaledSensitivity) = peak(raw / Float(d).squareRoot())
    scalingRows.append([String(d), fixed(dots.variance(axis: 0, unbiased: false).item, 2), fixed(scaled.variance(axis: 0, unbiased: false).item, 3),
                        fixed(unscaledMax, 3), fixed(unscaledSensitivity, 3), fixed(scaledMax, 3), fixed(scaledSensitivity, 3)])
}
table(["d", "var(q·k)", "var(q·k/√d)", "max weight", "Σ p(1−p)", "max weight, /√d", "Σ p(1−p), /√d"], scalingRows,
      rightAligned: Set(0...6))
say("""
Unscaled, the softmax turns nearly one-hot as d grows — the largest weight goes to 1, the \
sensitivity to 0, and with it the gradient that reaches the queries and keys. Scaled, both \
stay nearly constant whatever d is. (GPT-2 small's heads have d = 64.)
""")

section("What to remember")
say("""
Queries, keys and values are learned projections of the same embeddings. Attention weights \
are softmax(Q·Kᵀ/√d_k); context vectors are those weights times V. Chapter 5 stops a \
token from looking at the tokens after it.
""")
