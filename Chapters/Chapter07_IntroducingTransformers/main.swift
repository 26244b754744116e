// Chapter 7 — Introducing transformers: attention and feed-forward assembled into blocks —
// GPT-2's decoder-only pre-norm block, and the 2017 encoder and decoder blocks — then a
// complete encoder–decoder Transformer trained, in seconds, to reverse digit sequences.

import CourseKit
import Foundation
import LLMKit
import TensorKit

let options = Options(program: "Chapter07_IntroducingTransformers", summary: "blocks, the encoder–decoder, a tiny translation task")
let seed = options.int("--seed", default: 123, help: "seed of the weights and the training data")
let steps = options.int("--steps", default: 300, help: "training steps for the reversal task")
let length = options.int("--length", default: 6, help: "digits per sequence")
let task = options.string("--task", default: "reverse", help: "reverse or sort the digits", placeholder: "TASK")
let svgDirectory = options.optionalString("--svg", help: "also write the cross-attention heatmap as SVG into DIR", placeholder: "DIR")
options.epilogue = """
Try: --task sort          (sorting needs the whole input, not one position)
     --steps 50           (stop early: how good is it?)
"""
options.parse()
if !["reverse", "sort"].contains(task.value) { options.fail("--task must be reverse or sort, got \(task.value)") }
if steps.value < 1 || length.value < 2 || length.value > 30 { options.fail("--steps must be positive and --length between 2 and 30") }

chapterTitle(7, "Introducing transformers")

// MARK: - Blocks

section("7.1 GPT-2's block: decoder-only, pre-norm")
say("""
A decoder-only block (GPT) is causal self-attention then a feed-forward network, each read \
through a LayerNorm and added back to the stream: x + attn(LN(x)), then + ffn(LN(·)). Its \
parameters, for a small width d = 32:
""")
let gptBlock = TransformerBlock(GPTConfig(vocabSize: 10, contextLength: 16, embeddingDim: 32, numHeads: 4, numLayers: 1, qkvBias: true),
                                generator: TorchGenerator(seed: UInt64(seed.value)))
table(["parameter", "shape"], gptBlock.namedParameters().map { [$0.name, describeShape($0.tensor.shape)] })

section("7.2 The 2017 encoder and decoder blocks: post-norm")
say("""
The original Transformer normalises after adding, LN(x + sublayer(x)). Its encoder block \
attends in both directions; its decoder block has three sub-layers — causal self-attention, \
cross-attention to the encoder's output (queries from the decoder, keys and values from \
the encoder), and the feed-forward network:
""")
let encoderLayer = EncoderLayer(dModel: 32, heads: 4, ffn: 64, generator: TorchGenerator(seed: UInt64(seed.value)))
let decoderLayer = DecoderLayer(dModel: 32, heads: 4, ffn: 64, generator: TorchGenerator(seed: UInt64(seed.value)))
let source = TorchGenerator(seed: UInt64(seed.value)).randn([1, 5, 32]), target = TorchGenerator(seed: 1).randn([1, 3, 32])
let encoded = withNoGrad { encoderLayer(source) }
let decoded = withNoGrad { decoderLayer(target, memory: encoded) }
table(["", "input", "output", "sub-layers"], [
    ["encoder block", describeShape(source.shape), describeShape(encoded.shape), "self-attention, feed-forward"],
    ["decoder block", "\(describeShape(target.shape)) + memory \(describeShape(encoded.shape))", describeShape(decoded.shape),
     "masked self-attention, cross-attention, feed-forward"],
])
print("cross-attention weights of the decoder block: \(describeShape(decoderLayer.crossAttention.lastWeights!.shape)) (batch, heads, target, source)")

// MARK: - A complete encoder–decoder

section("7.3 A complete encoder–decoder Transformer")
let (bos, vocabularySize) = (10, 11)          // digits 0–9 and a start token
let config = MarianConfig(vocabSize: vocabularySize, dModel: 32, encoderLayers: 2, decoderLayers: 2, encoderHeads: 4, decoderHeads: 4,
                          encoderFFN: 64, decoderFFN: 64, maxPositions: 64, activation: .relu, scaleEmbedding: true)
Tensor.manualSeed(UInt64(seed.value))
let model = MarianModel(config)
say("""
The 2017 design in full (`MarianModel`, the same code that runs Hugging Face's Marian \
translation models): one embedding shared by source and target and reused as the output \
layer, fixed sinusoidal positions, \(config.encoderLayers) encoder and \(config.decoderLayers) decoder blocks, d = \(config.dModel). \
\(grouped(model.parameterCount)) parameters. The task: read \(length.value) digits, write them \(task.value == "reverse" ? "reversed" : "sorted"). \
The decoder reads the answer so far, starting from a start token, and predicts the next digit.
""")

func example(_ generator: TorchGenerator) -> (source: [Int], target: [Int]) {
    let digits = generator.randint(0, 10, [length.value])
    return (digits, task.value == "reverse" ? Array(digits.reversed()) : digits.sorted())
}

// MARK: - Training

section("7.4 Training")
let trainData = TorchGenerator(seed: UInt64(seed.value) &+ 1)
let optimizer = AdamW(model, learningRate: 3e-3, weightDecay: 0)
let batchSize = 64, t = length.value
var losses: [Float] = []
let start = Date()
/// The logits (B, T, V) of one batch: encode the digits, decode the answer shifted right.
func forward(_ batch: [(source: [Int], target: [Int])]) -> (logits: Tensor, decoderInputs: [Int], targets: [Int]) {
    let sources = batch.flatMap(\.source)
    let decoderInputs = batch.flatMap { [bos] + $0.target.dropLast() }          // shifted right
    let memory = model.encode(sources, shape: [batch.count, t])                  // (B, S, d)
    return (model.logits(model.decode(decoderInputs, shape: [batch.count, t], memory: memory)), decoderInputs,
            batch.flatMap(\.target))                                            // (B, T, V)
}

// The ln V check: before training, compare the loss with a uniform guess.
let firstBatchData = TorchGenerator(seed: UInt64(seed.value) &+ 1)         // the same batch as step 1's
let firstBatch = (0..<batchSize).map { _ in example(firstBatchData) }
let untrained = withNoGrad { forward(firstBatch) }
let untrainedProbabilities = untrained.logits.softmax(axis: -1).data                 // (B·T·V)
let positions = untrained.targets.count
let onTarget = (0..<positions).map { untrainedProbabilities[$0 * vocabularySize + untrained.targets[$0]] }.reduce(0, +) / Float(positions)
let onInput = (0..<positions).map { untrainedProbabilities[$0 * vocabularySize + untrained.decoderInputs[$0]] }.reduce(0, +) / Float(positions)
say("""
The first number to check, before any step: the loss. A model that knows nothing should \
spread its guess evenly over the \(vocabularySize) tokens (10 digits and the start token), \
for a loss of ln \(vocabularySize) — the "ln V check". A start far below ln V means the answer \
leaks into the input; far above, the model is confidently wrong. On the first batch:
""")
table(["before training", ""], [
    ["uniform guess: ln \(vocabularySize)", fixed(log(Float(vocabularySize)))],
    ["untrained model's loss", fixed(untrained.logits.crossEntropy(targets: untrained.targets).item)],
    ["its mean probability for the right digit", fixed(onTarget)],
    ["its mean probability for the token it reads", fixed(onInput)],
], rightAligned: [1])
say("""
Above ln V, because this model starts out copying: its output layer is the shared embedding \
(7.3), and each decoder position's state still carries the embedding of the token it reads, \
scaled by √d, so the dot product with that same embedding is large. It gives the token it \
reads \(fixed(onInput * 100, 1)) % of its probability, the right digit about 1/\(vocabularySize). Training \
unlearns the copy first, then learns the task:
""")
for step in 1...steps.value {
    let batch = (0..<batchSize).map { _ in example(trainData) }
    let (logits, _, targets) = forward(batch)
    let loss = logits.crossEntropy(targets: targets)
    optimizer.zeroGrad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item)
    if step == 1 || step % max(1, steps.value / 6) == 0 || step == steps.value {
        print("step \(pad(String(step), 4, right: true))  loss \(fixed(loss.item))")
    }
}
let seconds = Date().timeIntervalSince(start)
print("loss curve: \(sparkline(losses, width: 50))")
FileHandle.standardError.write(Data(String(format: "trained %d steps in %.1f s\n", steps.value, seconds).utf8))

// MARK: - Evaluation

section("7.5 How well does it \(task.value)?")
/// Greedy decoding: start from the start token, append the most likely digit, repeat.
func translate(_ sources: [[Int]]) -> [[Int]] {
    withNoGrad {
        let n = sources.count
        let memory = model.encode(sources.flatMap { $0 }, shape: [n, t])
        var outputs = [[Int]](repeating: [bos], count: n)
        for _ in 0..<t {
            let length = outputs[0].count
            let logits = model.logits(model.decode(outputs.flatMap { $0 }, shape: [n, length], memory: memory))  // (n, L, V)
            let last = logits.select(1, length - 1)                                                              // (n, V)
            let next = last.slice(1, 0, 10).argmax(axis: 1)                                                      // digits only
            for i in 0..<n { outputs[i].append(next[i]) }
        }
        return outputs.map { Array($0.dropFirst()) }
    }
}
model.eval()
let testData = TorchGenerator(seed: 999)
let tests = (0..<200).map { _ in example(testData) }
let predictions = translate(tests.map(\.source))
let correctDigits = zip(predictions, tests).map { p, e in zip(p, e.target).filter { $0 == $1 }.count }.reduce(0, +)
let correctSequences = zip(predictions, tests).filter { $0 == $1.target }.count
print("on 200 new sequences: \(String(format: "%.1f", 100 * Double(correctDigits) / Double(200 * t)))% of digits and \(correctSequences) of 200 sequences exactly right")
for i in 0..<4 {
    print("  \(tests[i].source.map(String.init).joined()) → \(predictions[i].map(String.init).joined())  (expected \(tests[i].target.map(String.init).joined()))")
}

section("7.6 Where each output looks")
say("""
The cross-attention weights of the last decoder block, averaged over its heads, for the \
first test sequence: row i is output digit i, column j is input digit j. To reverse, output \
i should look at input \(t) − 1 − i: the anti-diagonal.
""")
withNoGrad {
    let first = tests[0]
    let memory = model.encode(first.source, shape: [1, t])
    _ = model.decode([bos] + predictions[0].dropLast(), shape: [1, t], memory: memory)
}
let crossWeights = model.decoderLayers.last!.crossAttention.lastWeights!.select(0, 0).mean(axis: 0)   // (T, S)
let inputLabels = tests[0].source.enumerated().map { "in\($0.offset):\($0.element)" }
let outputLabels = predictions[0].enumerated().map { "out\($0.offset):\($0.element)" }
print(heatmap(crossWeights, rowLabels: outputLabels, columnLabels: inputLabels, range: 0...1), terminator: "")
if let directory = svgDirectory.value {
    print("")
    options.saveFigure(Figures.heatmap(crossWeights, rowLabels: outputLabels, columnLabels: inputLabels,
                                       title: "Cross-attention: output digit × input digit", range: 0...1),
                       "chapter07-cross-attention.svg", into: directory)
}

section("What to remember")
say("""
Blocks are attention + feed-forward with residual connections and normalisation. An \
encoder–decoder connects two stacks through cross-attention: the decoder asks, at every \
step, which input positions matter now — and training discovers the answer by itself.
""")
