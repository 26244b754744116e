// Chapter 8 — Add & normalize: residual (shortcut) connections keep gradients alive through
// deep stacks; LayerNorm and RMSNorm keep activations at a steady scale. Pre-norm and
// post-norm are the two ways to combine them.

import CourseKit
import Foundation
import LLMKit
import TensorKit

let options = Options(program: "Chapter08_AddAndNormalize", summary: "residual connections, LayerNorm, RMSNorm, pre- vs post-norm")
let seed = options.int("--seed", default: 123, help: "seed of the examples' weights and inputs")
let shortcutLayers = options.int("--shortcut-layers", default: 5, help: "Linear + GELU layers of 8.1's network (the book's: 5)")
let rowFlag = options.string("--row", default: "2,2,2,2,2", help: "8.2: a row fed to LayerNorm with and without its ε", placeholder: "X,X,…")
let depth = options.int("--depth", default: 24, help: "blocks in the pre-norm vs post-norm stack (8.4)")
let learningRate = options.float("--lr", default: 0.01, help: "peak learning rate of 8.4's training runs")
let warmup = options.int("--warmup", default: 50, help: "warm-up steps of 8.4's runs with warm-up")
let trainingSteps = options.int("--steps", default: 200, help: "training steps of each of 8.4's runs")
options.epilogue = """
Try: --shortcut-layers 7  (a deeper network in 8.1)
     --depth 48            (a deeper stack in 8.4)
     --lr 0.003            (a gentler learning rate: does post-norm still need warm-up?)
     --warmup 10 --steps 400
"""
options.parse()
let row = rowFlag.value.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
if row.count < 2 || row.contains(where: { $0 == nil || !$0!.isFinite }) {
    options.fail("--row must be at least two comma-separated numbers, got \(rowFlag.value)")
}
if shortcutLayers.value < 2 || shortcutLayers.value > 32 { options.fail("--shortcut-layers must be between 2 and 32, got \(shortcutLayers.value)") }
if depth.value < 2 || depth.value > 64 { options.fail("--depth must be between 2 and 64, got \(depth.value)") }
if !(learningRate.value > 0 && learningRate.value < 1) { options.fail("--lr must be between 0 and 1, got \(learningRate.value)") }
if trainingSteps.value < 20 || trainingSteps.value > 5000 || trainingSteps.value % 10 != 0 {
    options.fail("--steps must be a multiple of 10 between 20 and 5000, got \(trainingSteps.value)")
}
if warmup.value < 1 || warmup.value > trainingSteps.value { options.fail("--warmup must be between 1 and --steps (\(trainingSteps.value)), got \(warmup.value)") }

chapterTitle(8, "Add & normalize")

// MARK: - Shortcuts

/// The book's ExampleDeepNeuralNetwork: five Linear + GELU layers, with or without shortcuts.
final class DeepNetwork: Module {
    let layers: [Linear]
    let useShortcut: Bool

    init(sizes: [Int], useShortcut: Bool) {
        layers = (0..<(sizes.count - 1)).map { Linear(sizes[$0], sizes[$0 + 1]) }
        self.useShortcut = useShortcut
        super.init()
        // named layers.N.0 as the book's nn.Sequential(Linear, GELU) inside a ModuleList
        let list = Module()
        for (i, layer) in layers.enumerated() {
            let sequential = Module()
            sequential.register("0", layer)
            list.register(String(i), sequential)
        }
        register("layers", list)
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        var x = input
        for layer in layers {
            let output = layer(x).gelu(approximate: true)
            x = useShortcut && output.shape == x.shape ? x + output : output
        }
        return x
    }
}

section("8.1 Shortcut connections")
say("""
Gradients flow backwards through every layer, and each layer multiplies them by its \
derivative. Through many layers they can shrink towards zero: the first layers then barely \
learn (vanishing gradients). A shortcut adds a layer's input to its output, x + f(x), so the \
gradient always has a path that is multiplied by 1. The book's experiment: \(shortcutLayers.value == 5 ? "five" : "\(shortcutLayers.value)") layers of \
Linear + GELU, input [1, 0, −1], target 0, mean squared error; seed \(seed.value) for each network. \
The mean absolute gradient of each layer's weights:
""")
let sizes = [Int](repeating: 3, count: shortcutLayers.value) + [1]
let sample = Tensor([[1, 0, -1]])
var gradientRows: [[String]] = []
var means: [[Double]] = []
for useShortcut in [false, true] {
    Tensor.manualSeed(UInt64(seed.value))
    let network = DeepNetwork(sizes: sizes, useShortcut: useShortcut)
    let output = network(sample)
    let loss = (output - Tensor([[0]])).squared().mean()
    loss.backward()
    means.append(network.namedParameters().filter { $0.name.hasSuffix("weight") }.map { Double($0.tensor.grad!.abs().mean().item) })
}
for i in 0..<shortcutLayers.value {
    gradientRows.append(["layers.\(i).0.weight", String(format: "%.4e", means[0][i]), String(format: "%.4e", means[1][i])])
}
table(["parameter", "without shortcuts", "with shortcuts"], gradientRows, rightAligned: [1, 2])
say("""
Without shortcuts the gradient of the first layer is \(String(format: "%.0f", means[0].last! / means[0].first!)) times smaller than the last one's; \
with them it stays of the same order all the way down (\(String(format: "%.1f", means[1].last! / means[1].first!)) times). \
\(shortcutLayers.value == 5 ? "(The book prints the same numbers: 2.0174e-04 … 5.0496e-03 without, 2.2170e-01 … 1.3259e+00 with.)" : "")
""")

// MARK: - LayerNorm

section("8.2 Layer normalisation, from scratch")
say("""
LayerNorm rescales each token's vector to mean 0 and variance 1, so the numbers entering \
each layer stay in a range where training is stable. The book's example: torch.manual_seed(\(seed.value)), \
a batch of 2 inputs with 5 features, a Linear(5, 6) + ReLU layer:
""")
Tensor.manualSeed(UInt64(seed.value))
let batch = Tensor.randn([2, 5])                                  // (2, 5)
let layer = Linear(5, 6)
let out = layer(batch).relu()                                      // (2, 6)
show("layer output", out)
let mean = out.mean(axis: -1, keepDim: true)                       // (2, 1)
let variance = out.variance(axis: -1, keepDim: true)               // (2, 1), unbiased like torch.var
show("mean of each row", mean)
show("variance of each row", variance)
let normalized = (out - mean) / variance.sqrt()                    // (2, 6)
show("(out − mean) / √variance", normalized)
print("its row means:     \(normalized.mean(axis: -1, keepDim: true).detach().formatted(precision: 4))")
print("its row variances: \(normalized.variance(axis: -1, keepDim: true).detach())")
say("""

The LayerNorm module adds three things: a small ε under the square root (no division by \
zero), the biased variance (divide by n, as PyTorch's LayerNorm does), and a learned scale \
and shift, starting at 1 and 0, so the model can undo the normalisation where it helps:

    LayerNorm(x) = (x − mean) / √(var + ε) · scale + shift
""")
let norm = LayerNorm(5)
let normedBatch = norm(batch)
show("LayerNorm(5)(batch)", normedBatch)
print("row means:     \(normedBatch.mean(axis: -1, keepDim: true).detach().formatted(precision: 4))")
print("row variances: \(normedBatch.variance(axis: -1, unbiased: false, keepDim: true).detach())")
let probe = Tensor(row.map { $0! })                                           // (n,)
say("""

Why ε: a row whose numbers are all equal has variance 0, and x − mean is 0 too — without ε \
that is 0/0. LayerNorm divides by √(var + ε) instead (--row tries another row):
""")
print("row:                           \(probe)")
print("LayerNorm, ε = 1e-5:           \(withNoGrad { LayerNorm(row.count)(probe) })")
print("without ε, (x − mean) / √var: \(withNoGrad { (probe - probe.mean()) / probe.variance(axis: 0, unbiased: false).sqrt() })")

// MARK: - RMSNorm

section("8.3 RMSNorm")
say("""
Llama, Mistral and most recent models use RMSNorm: it skips the mean and the shift and only \
divides by the root mean square — cheaper, and in practice as good:

    RMSNorm(x) = x / √(mean(x²) + ε) · scale
""")
let rmsNorm = RMSNorm(5, eps: 1e-5)
let rmsBatch = rmsNorm(batch)
show("RMSNorm(5)(batch)", rmsBatch)
print("row root-mean-squares: \((rmsBatch * rmsBatch).mean(axis: -1, keepDim: true).sqrt().detach())")
print("row means (not forced to 0): \(rmsBatch.mean(axis: -1, keepDim: true).detach())")

// MARK: - Pre-norm vs post-norm

section("8.4 Pre-norm and post-norm")
say("""
Where does the normalisation go? The 2017 Transformer (and BERT, Marian) normalise after \
adding: x ← LN(x + f(x)) — post-norm. GPT-2 and later normalise the input of each sub-layer \
and add the result unnormalised: x ← x + f(LN(x)) — pre-norm, which leaves a path from the \
loss to the first layer that no LayerNorm rescales. A stack of \(depth.value) random blocks \
(f = Linear–GELU–Linear, d = 16), the same weights arranged both ways; the size of the \
gradient reaching each block's input, ‖∂loss/∂xᵢ‖, for a fixed random loss:
""")
let d = 16
Tensor.manualSeed(UInt64(seed.value))
let blocks = (0..<depth.value).map { _ in ResidualBlock(width: d) }
let input = Tensor.randn([4, d]), direction = Tensor.randn([4, d])              // (4, d) each
let preGradients = gradientsReachingEachBlock(blocks, input: input, direction: direction, placement: .pre)
let postGradients = gradientsReachingEachBlock(blocks, input: input, direction: direction, placement: .post)
var normRows: [[String]] = []
for i in 0..<depth.value where i < 3 || i >= depth.value - 2 || i % 4 == 3 {
    normRows.append(["block \(i + 1)", String(format: "%.3e", Double(preGradients[i])), String(format: "%.3e", Double(postGradients[i]))])
}
table(["input of", "pre-norm", "post-norm"], normRows, rightAligned: [1, 2])
say("""
At initialisation the two hardly differ here: with PyTorch's default initialisation each f \
adds little to x, so a post-norm LayerNorm divides by almost 1 and the gradient passes \
nearly unchanged. The difference shows in training. The same kind of stack, \(depth.value) \
blocks and a linear head, fitted to a fixed random function (batches of 64, mean squared \
error, AdamW at learning rate \(learningRate.value)), four runs from the same weights: pre- and \
post-norm, with the learning rate constant from step 1 or warmed up linearly over the first \
\(warmup.value) steps. Mean loss over each stretch of steps:
""")
var runs: [(name: String, run: StackTraining)] = []
for placement in [NormPlacement.pre, .post] {
    for warm in [false, true] {
        let run = trainStack(depth: depth.value, width: d, placement: placement, learningRate: learningRate.value,
                             warmupSteps: warm ? warmup.value : 0, steps: trainingSteps.value, seed: UInt64(seed.value))
        runs.append(("\(placement.rawValue)-norm" + (warm ? ", warm-up" : ""), run))
    }
}
let stretch = trainingSteps.value / 10
var lossRows: [[String]] = []
for k in 0..<10 {
    let range = (k * stretch)..<((k + 1) * stretch)
    lossRows.append(["\(range.lowerBound + 1)–\(range.upperBound)"]
                    + runs.map { fixed($0.run.losses[range].reduce(0, +) / Float(stretch)) })
}
table(["steps"] + runs.map(\.name), lossRows, rightAligned: Set(1...runs.count))
let targetVariance = runs[0].run.targetVariance
print("variance of the targets (the loss of always predicting their mean): \(fixed(targetVariance))")
say("""

Pre-norm trains with or without warm-up. Post-norm without warm-up stalls near the targets' \
variance: the large first updates of Adam (its early steps are about lr in size whatever the \
gradient) push the deep post-norm stack where its output no longer depends on the input, and \
every gradient on its way back is rescaled by each LayerNorm; warmed up, the same stack \
trains. This is what Xiong et al. (2020, "On Layer Normalization in the Transformer \
Architecture") measured on real Transformers. GPT-2's paper moved LayerNorm to the input of \
each sub-block without saying why (it cites pre-activation residual networks, He et al. 2016); \
most models since are pre-norm, and keep a warm-up anyway.
""")

section("What to remember")
say("""
Residual connections (x + f(x)) give gradients a direct path through deep networks; \
normalisation (LayerNorm, or RMSNorm without the mean) keeps every layer's input at a steady \
scale. GPT puts the norm before each sub-layer (pre-norm). Chapter 9 builds the feed-forward \
sub-layer; chapter 10 assembles the complete block.
""")
