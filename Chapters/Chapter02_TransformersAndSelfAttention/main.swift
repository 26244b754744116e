// Chapter 2 — Transformers and self-attention: the whole picture before the parts.
// Vectors and similarity; one sentence flowing through a tiny untrained GPT with every
// shape printed; the three transformer families and their sizes; and how a model knows
// where each token is (sinusoidal, learned and rotary positions).

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter02_TransformersAndSelfAttention", summary: "the whole picture: vectors, the three families, positions")
let text = options.string("--text", default: "Every effort moves you", help: "the sentence sent through the tiny model")
let seed = options.int("--seed", default: 123, help: "seed of the tiny model's random weights")
let width = options.int("--d-model", default: 16, help: "width of the tiny model's vectors (a multiple of --heads)")
let heads = options.int("--heads", default: 2, help: "attention heads of the tiny model")
let svgDirectory = options.optionalString("--svg", help: "also write the positional-encoding heatmap as SVG into DIR", placeholder: "DIR")
options.epilogue = """
Try: --text "your own sentence"
     --d-model 32 --heads 4
"""
options.parse()
if heads.value < 1 || width.value < 2 || width.value % heads.value != 0 || width.value % 2 != 0 {
    options.fail("--d-model (\(width.value)) must be even and a multiple of --heads (\(heads.value))")
}

chapterTitle(2, "Transformers and self-attention")

// MARK: - Vectors

section("2.1 Words as vectors, similarity as a dot product")
say("""
A model sees a word as a vector of numbers. Words used alike end up with vectors pointing \
alike, and the dot product measures that: a · b = Σ aᵢbᵢ = |a| |b| cos θ. Cosine similarity \
divides out the lengths, leaving only the angle: 1 for the same direction, 0 for unrelated, \
−1 for opposite. Three made-up 3-d vectors:
""")
let vectors: [(String, Tensor)] = [
    ("cat", Tensor([0.9, 0.8, 0.1])),
    ("dog", Tensor([0.8, 0.9, 0.2])),
    ("car", Tensor([0.1, 0.2, 0.9])),
]
for (word, v) in vectors { print("  \(pad(word, 4)) \(v)") }
print("")
var similarityRows: [[String]] = []
for i in 0..<vectors.count {
    for j in (i + 1)..<vectors.count {
        let (a, b) = (vectors[i].1, vectors[j].1)
        let dot = (a * b).sum().item
        let cosine = dot / ((a * a).sum().sqrt().item * (b * b).sum().sqrt().item)
        similarityRows.append(["\(vectors[i].0) · \(vectors[j].0)", fixed(dot), fixed(cosine)])
    }
}
table(["pair", "dot product", "cosine"], similarityRows, rightAligned: [1, 2])
say("Worked out for cat · dog: 0.9·0.8 + 0.8·0.9 + 0.1·0.2 = 0.72 + 0.72 + 0.02 = 1.46.")

// MARK: - One sentence through a tiny GPT

section("2.2 One sentence through a tiny, untrained GPT")
let tokenizer: GPT2Tokenizer
do { tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2")) } catch { options.fail("\(error)") }
let ids = tokenizer.encode(text.value)
if ids.isEmpty { options.fail("--text is empty") }
let tokens = ids.map { tokenizer.decode([$0]) }
let config = GPTConfig(vocabSize: 50257, contextLength: max(16, ids.count), embeddingDim: width.value,
                       numHeads: heads.value, numLayers: 1, dropRate: 0, qkvBias: true)
Tensor.manualSeed(UInt64(seed.value))
let model = GPTModel(config)
model.eval()
let (t, d, nh) = (ids.count, config.embeddingDim, config.numHeads)
say("""
"\(text.value)" → GPT-2's tokenizer (chapter 1) → \(t) tokens \(tokens.map { "\"\($0)\"" }.joined(separator: " ")) → \
ids \(ids). A GPT with one block, width d = \(d), \(nh) heads and random weights (seed \(seed.value)) — every stage \
and its shape, for a batch of B = 1:
""")
var stages: [[String]] = []
func stage(_ name: String, _ x: Tensor, _ note: String) { stages.append([name, describeShape(x.shape), note]) }
let result: Tensor = withNoGrad {
    let tokenVectors = model.wte(ids, shape: [1, t])                      // (1, T, d)
    stage("token embeddings", tokenVectors, "one row of wte per id")
    let positionVectors = model.wpe(Array(0..<t), shape: [t])             // (T, d)
    stage("position embeddings", positionVectors, "one row of wpe per position")
    var x = tokenVectors + positionVectors                                 // (1, T, d)
    stage("input to the block", x, "their sum")
    let block = model.blocks[0]
    let normed = block.ln1(x)                                             // (1, T, d)
    stage("LayerNorm", normed, "each vector to mean 0, variance 1")
    let qkv = block.attn.cAttn(normed)                                    // (1, T, 3d)
    stage("queries, keys, values", qkv, "one projection, split in three")
    let attended = block.attn(normed)                                     // (1, T, d)
    stage("attention weights", block.attn.lastWeights!, "(B, heads, T, T): who looks at whom")
    stage("attention output", attended, "heads merged, projected")
    x = x + attended                                                      // (1, T, d)
    stage("+ residual", x, "added back to the input")
    let hidden = block.mlp.cFc(block.ln2(x))                              // (1, T, 4d)
    stage("feed-forward, expanded", hidden, "4× wider, then GELU")
    x = x + block.mlp(block.ln2(x))                                       // (1, T, d)
    stage("+ residual", x, "block output")
    let final = model.lnF(x)                                              // (1, T, d)
    stage("final LayerNorm", final, "")
    let logits = model.lmHead(final)                                      // (1, T, V)
    stage("logits", logits, "a score for every one of 50,257 tokens")
    return logits
}
table(["stage", "shape", "what it is"], stages)
let lastLogits = result.select(1, t - 1).select(0, 0)                          // (V,)
let lastProbabilities = lastLogits.softmax(axis: -1)                            // (V,)
let best = lastProbabilities.argmax()
let worst = (-lastProbabilities).argmax()
let vocabulary = Float(config.vocabSize)
let logitMean = lastLogits.mean().item
let logitSpread = lastLogits.variance(axis: 0, unbiased: false).sqrt().item
// −log p of every possible next token, averaged: what the loss would be if the target were any token.
let meanOverVocabulary = (-lastLogits.logSoftmax(axis: -1)).mean().item
say("""

After the last token, the model's most likely next token is id \(best) "\(tokenizer.decode([best]))" with probability \
\(fixed(lastProbabilities[best], 6)) and its least likely id \(worst) "\(tokenizer.decode([worst]))" with \(fixed(lastProbabilities[worst], 6)); a \
uniform guess would give every token 1/\(grouped(config.vocabSize)) = \(fixed(1 / vocabulary, 6)). Untrained is not \
uniform: the \(grouped(config.vocabSize)) logits are random numbers, mean \(fixed(logitMean)), standard deviation σ = \
\(fixed(logitSpread)) (the final LayerNorm gives each vector d = \(d) numbers of variance about 1, the head's \
weights are uniform in ±1/√d, of variance 1/(3d), so a logit has variance about d · 1/(3d) = 1/3 and σ ≈ 0.58). \
Softmax turns their spread into probabilities e^z / Σ e^z: the largest of 50,257 such numbers lies about 4σ above \
their mean, so the top token gets roughly e^(4σ − σ²/2) ≈ \(fixed(exp(4 * logitSpread - logitSpread * logitSpread / 2), 1)) times \
1/V, the bottom ones far less.

The loss a model is trained on is −log of the probability it gives the true next token (chapter 14). \
Before training:
""")
let sentenceLoss: Float? = t > 1
    ? result.select(0, 0).slice(0, 0, t - 1).crossEntropy(targets: Array(ids.dropFirst())).item   // (T−1, V) against ids 1…T−1
    : nil
table(["", "loss"], [
    ["this sentence's own next tokens (\(t - 1) of them)", sentenceLoss.map { fixed($0) } ?? "— (one token: nothing to predict)"],
    ["averaged over all \(grouped(config.vocabSize)) possible next tokens", fixed(meanOverVocabulary)],
    ["   which for random logits is about ln V + σ²/2", fixed(log(vocabulary) + logitSpread * logitSpread / 2)],
    ["a uniform guess: ln V = ln \(grouped(config.vocabSize))", fixed(log(vocabulary))],
], rightAligned: [1])
say("""
With \(t - 1) target(s), the first line falls on either side of ln V by chance; averaged over every \
possible target, an untrained model scores a little worse than a uniform guess, by about σ²/2. \
ln V is the first number to check when training starts (chapter 7 does) and the one every \
trained model must beat. Chapters 3–11 build each of these stages; chapter 14 trains them.
""")

// MARK: - Families

section("2.3 Three families of transformers")
say("""
Encoder-only models (BERT) read a whole text in both directions and produce a vector per \
token: good for classifying and searching. Decoder-only models (GPT) read left to right \
and predict the next token: they generate text. Encoder–decoder models (the original 2017 \
Transformer, Marian, T5) encode a source text and decode a target from it: translation. \
Their sizes, counted by the course's own code (Shared/LLMKit/ParameterCounts.swift) from \
their standard configurations:
""")
let gpt2 = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768, numHeads: 12, numLayers: 12,
                     qkvBias: true, tiedHead: true)
let families: [[String]] = [
    ["BERT-base", "encoder-only", "12 layers, d 768, 30,522 tokens",
     grouped(ParameterCount.bert(vocabulary: 30522, positions: 512, dim: 768, layers: 12, feedForward: 3072))],
    ["GPT-2 small", "decoder-only", "12 layers, d 768, 50,257 tokens", grouped(ParameterCount.gpt(gpt2))],
    ["Transformer (base)", "encoder–decoder", "6 + 6 layers, d 512, 37,000 tokens",
     grouped(ParameterCount.encoderDecoder(vocabulary: 37000, dim: 512, encoderLayers: 6, decoderLayers: 6, feedForward: 2048))],
]
table(["model", "family", "configuration", "parameters"], families, rightAligned: [3])
say("""
(The 2017 paper quotes "65M" for its base model; the count here shares one embedding \
between the encoder, the decoder and the output layer, as the paper describes, and has no \
parameters for positions.)
""")

// MARK: - Positions

section("2.4 Where is each token? Positional encodings")
say("""
Attention compares every token with every other, but nothing in it knows their order: \
"dog bites man" and "man bites dog" would look the same. Three ways to add position:
""")
print("Sinusoidal (2017): PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d))")
let encodings = sinusoidalPositionalEncoding(positions: 12, dim: 12)        // (12, 12)
print(heatmap(encodings, rowLabels: (0..<12).map { "pos \($0)" }, columnLabels: (0..<12).map { "d\($0)" },
              range: -1...1, decimals: 2), terminator: "")
say("""
Low dimensions oscillate fast, high ones slowly: each position gets a unique pattern, and \
PE(pos + k) is a fixed rotation of PE(pos), so relative offsets are easy to read off.
""")
say("""

Learned (GPT-2, BERT): a table with one trainable vector per position, like the token \
embedding — `wpe` above, of shape \(describeShape(model.wpe.weight.shape)) here and [1024, 768] \
in GPT-2. Simple, but it knows nothing beyond the longest position it was trained on.
""")
say("""

Rotary (RoPE, Llama): no vector is added; instead each query and key is rotated by an \
angle proportional to its position. The score q·k then depends only on how far apart \
the two tokens are:
""")
let rope = RotaryEmbedding(headDim: 8)
Tensor.manualSeed(UInt64(seed.value))
let q = Tensor.randn([1, 8]), k = Tensor.randn([1, 8])
var ropeRows: [[String]] = []
for (m, n) in [(0, 0), (5, 5), (2, 0), (9, 7), (20, 18), (3, 0), (13, 10)] {
    let score = (rope.apply(q, positions: m..<(m + 1)) * rope.apply(k, positions: n..<(n + 1))).sum().item
    ropeRows.append([String(m), String(n), String(m - n), fixed(score)])
}
table(["query at", "key at", "offset", "q·k"], ropeRows, rightAligned: [0, 1, 2, 3])

if let directory = svgDirectory.value {
    print("")
    options.saveFigure(Figures.heatmap(sinusoidalPositionalEncoding(positions: 32, dim: 32), rowLabels: (0..<32).map { "\($0)" },
                            columnLabels: (0..<32).map { "\($0)" }, title: "Sinusoidal positional encoding (32 positions × 32 dims)", range: -1...1), "chapter02-sinusoidal.svg", into: directory)
}

section("What to remember")
say("""
A transformer turns tokens into vectors, lets every vector gather information from the \
others (attention), transforms each one (feed-forward), and repeats; positions are added \
or built into attention. The next chapters build self-attention step by step.
""")
