// Chapter 9 — The feed-forward network: after attention mixes information between tokens,
// a small two-layer network transforms each token on its own. Expand, activate, project;
// ReLU and GELU; the gated SwiGLU of Llama; and a mixture of experts, as in Mixtral.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter09_FeedForwardNetwork", summary: "expand, activate, project; GELU, SwiGLU, mixture of experts")
let seed = options.int("--seed", default: 123, help: "seed of the weights and inputs")
let experts = options.int("--experts", default: 4, help: "experts in the mixture of 9.4")
let topK = options.int("--top-k", default: 2, help: "experts each token is sent to")
let text = options.string("--text", default: "The cat sat on the mat because it was tired", help: "the sentence routed through the experts")
let svgDirectory = options.optionalString("--svg", help: "also write the activation plot as an SVG file into DIR", placeholder: "DIR")
options.epilogue = "Try: --experts 8 --top-k 1   (Switch-Transformer style routing)"
options.parse()
if experts.value < 1 || topK.value < 1 || topK.value > experts.value {
    options.fail("--top-k (\(topK.value)) must be between 1 and --experts (\(experts.value))")
}

chapterTitle(9, "The feed-forward network")

// MARK: - Expand, activate, project

section("9.1 Expand, activate, project")
say("""
Each token's vector goes through the same two layers: up to 4× the width, a non-linear \
activation, back down. Attention moves information between positions; this is where each \
position computes with what it gathered. As in the book: torch.manual_seed(\(seed.value)), \
FeedForward(GPT_CONFIG_124M), x = torch.rand(2, 3, 768):
""")
Tensor.manualSeed(UInt64(seed.value))
let ffn = FeedForward(GPTConfig.gpt2Small124M)
let x = Tensor.rand([2, 3, 768])                                      // (B, T, d)
let hidden = ffn.cFc(x)                                                // (B, T, 4d)
let out = ffn(x)                                                       // (B, T, d)
table(["stage", "shape"], [["input", describeShape(x.shape)], ["expanded (c_fc)", describeShape(hidden.shape)],
                           ["GELU", describeShape(hidden.shape)], ["projected back (c_proj)", describeShape(out.shape)]])
print("parameters: \(grouped(ffn.parameterCount)) — two thirds of a GPT-2 block")

// MARK: - Activations

section("9.2 ReLU and GELU")
say("""
ReLU(x) = max(0, x) is cut off sharply at 0. GELU(x) = x·Φ(x), with Φ the normal \
distribution's cumulative probability, is smooth and lets small negative values through. \
GPT-2 was trained with the tanh approximation 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))).
""")
let points: [Float] = [-3, -2, -1, -0.5, 0, 0.5, 1, 2, 3]
let xs = Tensor(points)
table(["x", "ReLU", "GELU (exact)", "GELU (tanh)"], points.indices.map { i in
    [fixed(points[i], 1), fixed(xs.relu()[i]), fixed(xs.gelu()[i]), fixed(xs.gelu(approximate: true)[i])]
}, rightAligned: [0, 1, 2, 3])
let dense = Tensor.arange(-5, 5.001, step: 0.01)
let gap = (dense.gelu() - dense.gelu(approximate: true)).abs().max().item
print("\nlargest difference between exact and tanh GELU on [−5, 5]: \(String(format: "%.1e", Double(gap)))\n")
let grid = Tensor.arange(-3, 3.001, step: 0.1)
print(plot(x: grid.data, series: [("ReLU", "r", grid.relu().data), ("GELU", "g", grid.gelu().data), ("SiLU", "s", grid.silu().data)], height: 13), terminator: "")
if let directory = svgDirectory.value {
    print("")
    options.saveFigure(Figures.lineChart(x: grid.data.map(Double.init), series: [
        ("ReLU", grid.relu().data.map(Double.init)), ("GELU", grid.gelu().data.map(Double.init)), ("SiLU", grid.silu().data.map(Double.init))],
        title: "Activation functions", xLabel: "x", yLabel: "activation(x)"), "chapter09-activations.svg", into: directory)
}

// MARK: - SwiGLU

section("9.3 SwiGLU: a gated feed-forward")
say("""
Llama's feed-forward multiplies two expansions, one passed through SiLU (x·sigmoid(x)) as a \
gate: down(SiLU(gate(x)) ⊙ up(x)). Three matrices instead of two; Llama shrinks the hidden \
width to about 8/3·d so the parameter count stays that of a 4·d ReLU/GELU network:
""")
Tensor.manualSeed(UInt64(seed.value))
let d = 768
let swiglu = SwiGLU(dim: d, hidden: 2048)
let gated = swiglu(x)
table(["", "hidden width", "parameters", "output shape"], [
    ["GELU feed-forward", "3072", grouped(ffn.parameterCount), describeShape(out.shape)],
    ["SwiGLU (no biases)", "2048", grouped(swiglu.parameterCount), describeShape(gated.shape)],
], rightAligned: [1, 2])

// MARK: - Mixture of experts

section("9.4 A mixture of experts")
let tokenizer: GPT2Tokenizer
do { tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2")) } catch { options.fail("\(error)") }
let ids = tokenizer.encode(text.value)
if ids.isEmpty { options.fail("--text is empty") }
say("""
Mixtral replaces the one feed-forward network with \(8) experts and a router: for every token \
the router scores the experts, the token goes to its top 2, and their outputs are mixed with \
the router's softmax probabilities renormalised over the chosen ones. The model has the \
parameters of all the experts but each token pays for only 2. Here: \(experts.value) SwiGLU experts \
(d = 16), top-\(topK.value), untrained, on the \(ids.count) tokens of "\(text.value)":
""")
Tensor.manualSeed(UInt64(seed.value))
let moe = MixtureOfExperts(dim: 16, hidden: 32, experts: experts.value, topK: topK.value)
let embedding = Embedding(50257, 16)
let vectors = embedding(ids, shape: [1, ids.count])                      // (1, T, 16)
let (chosen, weights) = moe.route(vectors)                               // (T, k)
let mixed = moe(vectors)                                                 // (1, T, 16)
table(["token", "experts", "weights"], ids.indices.map { t in
    [quoted(tokenizer.decode([ids[t]])), chosen[t].map(String.init).joined(separator: ", "),
     (0..<topK.value).map { fixed(weights[t, $0]) }.joined(separator: ", ")]
})
print("")
print(barChart(labels: (0..<experts.value).map { "expert \($0)" }, values: moe.tokensPerExpert.map(Float.init), width: 30, decimals: 0), terminator: "")
print("output shape: \(describeShape(mixed.shape)); each row of weights sums to 1")
say("""
Training adds a load-balancing loss so that no expert is starved or swamped; untrained, the \
router's choices depend only on the random weights.
""")

section("What to remember")
say("""
The feed-forward sub-layer transforms each position independently: expand, activate \
(GELU in GPT-2, a SiLU gate in Llama), project back. A mixture of experts keeps many such \
networks and runs only a few per token. Chapter 10 assembles the complete block.
""")
