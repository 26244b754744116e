// Chapter 6 — Multi-head attention.
// Several attention heads side by side: first as a list of single heads, then as one
// module that splits a projection into heads. Then the variants real models use:
// multi-query and grouped-query attention, rotary positions, cross-attention.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter06_MultiHeadAttention", summary: "many heads, grouped-query and cross-attention")
let seed = options.int("--seed", default: 123, help: "seed before building each module")
let heads = options.int("--heads", default: 2, help: "number of attention heads")
let kvHeads = options.int("--kv-heads", default: 1, help: "key/value heads of the grouped-query example (divides --heads)")
let dOut = options.int("--d-out", default: 2, help: "output size of each head in the wrapper / of the whole module")
let text = options.string("--text", default: "O Romeo, Romeo! wherefore art thou Romeo?",
                          help: "the line the trained model reads in 6.7 (characters of tiny Shakespeare, at most 128)")
let layerFlag = options.int("--layer", default: -1, help: "6.7: show this layer's head (with --head) instead of the two most telling heads")
let headFlag = options.int("--head", default: -1, help: "6.7: the head to show (with --layer)")
let svgDirectory = options.optionalString("--svg", help: "also write every trained head's heatmap as SVG into DIR", placeholder: "DIR")
options.epilogue = """
Try: --heads 4 --kv-heads 2     (grouped-query attention with 2 groups)
     --text "To be, or not to be, that is the question:" --layer 2 --head 0
     --svg out                  (all 16 trained heads as SVG heatmaps)
"""
options.parse()
if heads.value < 1 || kvHeads.value < 1 || heads.value % kvHeads.value != 0 {
    options.fail("--kv-heads (\(kvHeads.value)) must be at least 1 and divide --heads (\(heads.value))")
}
if dOut.value < 1 { options.fail("--d-out must be at least 1") }
if dOut.value % heads.value != 0 { options.fail("--d-out (\(dOut.value)) must be divisible by --heads (\(heads.value)) for the fused module") }
if (layerFlag.value >= 0) != (headFlag.value >= 0) { options.fail("--layer and --head go together") }

chapterTitle(6, "Multi-head attention")

let inputs = Tensor([
    [0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
    [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55],
])                                                  // (6, 3)
let batch = Tensor.stack([inputs, inputs])          // (2, 6, 3)
let (contextLength, dIn) = (batch.shape[1], batch.shape[2])

// MARK: - Wrapper

section("6.1 Heads side by side")
say("""
One attention head learns one notion of relevance. Several heads, each with its own \
weights, can attend to different things at once. The simplest way: run \(heads.value) \
CausalAttention modules and concatenate their outputs (`MultiHeadAttentionWrapper`). \
Seed \(seed.value), d_out \(dOut.value) per head:
""")
Tensor.manualSeed(UInt64(seed.value))
let wrapper = MultiHeadAttentionWrapper(dIn: dIn, dOut: dOut.value, contextLength: contextLength, dropout: 0, numHeads: heads.value)
let wrapped = wrapper(batch)                        // (2, 6, heads·d_out)
show("context vectors", wrapped)

// MARK: - One module

section("6.2 One projection, split into heads")
say("""
Running heads one by one wastes work. `MultiHeadAttention` projects once to d_out numbers, \
views them as \(heads.value) heads of d_out/\(heads.value) each — (B, T, d_out) → (B, T, heads, \
head_dim) → (B, heads, T, head_dim) — attends in every head with one batched matrix product, \
merges the heads back and mixes them with an output projection. Seed \(seed.value), d_out \
\(dOut.value) in all:
""")
Tensor.manualSeed(UInt64(seed.value))
let mha = MultiHeadAttention(dIn: dIn, dOut: dOut.value, contextLength: contextLength, dropout: 0, numHeads: heads.value)
show("context vectors", mha(batch))

section("6.3 The two are the same computation")
say("""
Give the fused module the wrapper's weights — each head's W_query stacked into one matrix, \
and so on — and an identity output projection: it reproduces the wrapper's output.
""")
let d = dOut.value * heads.value
let fused = MultiHeadAttention(dIn: dIn, dOut: d, contextLength: contextLength, dropout: 0, numHeads: heads.value)
try! fused.load([
    "W_query.weight": Tensor.cat(wrapper.heads.map { $0.wQuery.weight }, axis: 0),
    "W_key.weight": Tensor.cat(wrapper.heads.map { $0.wKey.weight }, axis: 0),
    "W_value.weight": Tensor.cat(wrapper.heads.map { $0.wValue.weight }, axis: 0),
    "out_proj.weight": Tensor.eye(d),
    "out_proj.bias": Tensor.zeros([d]),
])
let difference = (fused(batch) - wrapped).abs().max().item
print("largest difference between the fused module and the wrapper: \(String(format: "%.1e", Double(difference)))")

// MARK: - GQA

section("6.4 Fewer keys and values: multi-query and grouped-query attention")
say("""
When generating text, a model keeps every past token's keys and values (the KV cache, \
chapter 13). Sharing one key/value head among several query heads shrinks that cache: \
multi-query attention (MQA) has one kv head, grouped-query attention (GQA) a few.
""")
let configs: [(String, Int, Int, Int, Int, Int)] = [
    // name, layers, query heads, kv heads, head dim, context length
    ("GPT-2 small (MHA)", 12, 12, 12, 64, 1024),
    ("GPT-2 XL (MHA)", 48, 25, 25, 64, 1024),
    ("Llama 2 7B (MHA)", 32, 32, 32, 128, 4096),
    ("Llama 3 8B (GQA, 8 kv heads)", 32, 32, 8, 128, 8192),
    ("Llama 3 70B (GQA, 8 kv heads)", 80, 64, 8, 128, 8192),
    ("a 7B model with MQA", 32, 32, 1, 128, 4096),
]
let rows = configs.map { name, layers, q, kv, hd, context -> [String] in
    let bytes = GroupedQueryAttention.kvCacheBytesPerToken(layers: layers, kvHeads: kv, headDim: hd, bytesPerNumber: 2)
    return [name, String(layers), "\(q) / \(kv)", grouped(bytes / 1024) + " KiB", grouped(context),
            grouped(bytes * context / 1_048_576) + " MiB"]
}
table(["model", "layers", "heads q/kv", "KV cache per token", "context", "for a full context"], rows,
      rightAligned: [1, 2, 3, 4, 5])
say("(16-bit numbers: 2 bytes each; K and V for every layer and kv head; one sequence of the model's full context.)")

Tensor.manualSeed(UInt64(seed.value))
let gqa = GroupedQueryAttention(dIn: 8, numHeads: heads.value, numKVHeads: kvHeads.value, headDim: 4)
Tensor.manualSeed(UInt64(seed.value))
let x8 = Tensor.rand([1, 5, 8])                                       // (1, 5, 8)
print("\nGQA with \(heads.value) query heads and \(kvHeads.value) kv head(s): input \(describeShape(x8.shape)) → output \(describeShape(gqa(x8).shape))")
print("k_proj weight \(describeShape(gqa.kProj.weight.shape)) vs q_proj weight \(describeShape(gqa.qProj.weight.shape)): fewer keys to store")

// MARK: - RoPE

section("6.5 Rotary positions inside attention")
say("""
Llama rotates each query and key by an angle proportional to its position (RoPE). The \
score between a query at position m and a key at position n then depends only on m − n:
""")
let rope = RotaryEmbedding(headDim: 8)
Tensor.manualSeed(UInt64(seed.value))
let qVector = Tensor.randn([1, 8]), kVector = Tensor.randn([1, 8])
var ropeRows: [[String]] = []
for (m, n) in [(3, 1), (7, 5), (12, 10), (5, 1), (9, 5)] {
    let qm = rope.apply(qVector, positions: m..<(m + 1))
    let kn = rope.apply(kVector, positions: n..<(n + 1))
    ropeRows.append([String(m), String(n), String(m - n), fixed((qm * kn).sum().item)])
}
table(["query pos m", "key pos n", "m − n", "q·k"], ropeRows, rightAligned: [0, 1, 2, 3])

// MARK: - Cross-attention

section("6.6 Cross-attention")
say("""
In an encoder–decoder model (translation), the decoder's queries attend to the encoder's \
output: queries from one sequence, keys and values from another, no causal mask. 3 decoder \
tokens attending to 5 encoder tokens:
""")
Tensor.manualSeed(UInt64(seed.value))
let cross = CrossAttention(dModel: 4, numHeads: 2)
let decoderStates = Tensor.rand([1, 3, 4]), encoderStates = Tensor.rand([1, 5, 4])
let crossOut = cross(decoderStates, memory: encoderStates)
print("decoder \(describeShape(decoderStates.shape)) × encoder \(describeShape(encoderStates.shape)) → \(describeShape(crossOut.shape))")
show("weights of head 0 (3 queries × 5 keys)", cross.lastWeights!.select(0, 0).select(0, 0))

// MARK: - Per-head pictures

section("6.7 What trained heads look at")
let (trained, trainedTokenizer): (GPTModel, CheckpointTokenizer)
do { (trained, trainedTokenizer) = try loadShippedModel(dataDirectory: dataDirectory()) } catch { options.fail("\(error)") }
let line = Array(text.value)
let lineIDs: [Int]
do { lineIDs = try trainedTokenizer.encodeChecked(text.value) } catch { options.fail("--text: \(error)") }
if lineIDs.count < 2 || lineIDs.count > trained.config.contextLength {
    options.fail("--text must be 2 to \(trained.config.contextLength) characters, got \(lineIDs.count)")
}
let (layers, trainedHeads) = (trained.config.numLayers, trained.config.numHeads)
if layerFlag.value >= layers || headFlag.value >= trainedHeads {
    options.fail("--layer must be below \(layers) and --head below \(trainedHeads)")
}
say("""
Random weights attend to nothing in particular. The model chapter 14 trained on tiny \
Shakespeare (data/shakespeare-char: \(layers) layers × \(trainedHeads) heads, one token per character) \
reading a real line, "\(text.value)": for each head, the share of attention a character gives \
to itself, to the previous character, to the start of its word (from two characters into a \
word on), to the line's first character, and the mean distance back it looks — averaged over \
the line's characters after the first.
""")
let measured = showTrainedAttention(trained, ids: lineIDs, text: line,
                                    focus: layerFlag.value >= 0 ? (layerFlag.value, headFlag.value) : nil,
                                    svgDirectory: svgDirectory.value)
let layer0 = measured.filter { $0.layer == 0 }
say("""

The first layer's heads spread their attention over everything before, like the "even" row: \
they gather what characters are around (mean distance \(String(format: "%.1f", Double(layer0.map(\.distance).reduce(0, +)) / Double(max(1, layer0.count))))). \
Deeper heads specialise: some look at the character just before, some at the character \
itself, one at the start of the current word — exactly what predicting the next character of \
a word needs. Nobody programmed these habits; training found them. (Other lines give other \
numbers: try --text, and --layer/--head to see any head, --svg for all of them.)
""")

section("What to remember")
say("""
Multi-head attention runs several attention heads in parallel on slices of one projection \
and mixes their outputs. GQA and MQA share keys and values across heads to save memory; \
RoPE encodes relative position inside the attention scores; cross-attention connects a \
decoder to an encoder. Chapter 7 assembles heads into transformer blocks.
""")
