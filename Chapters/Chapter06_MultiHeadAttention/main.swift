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
let text = options.string("--text", default: "The cat sat on the mat because it was tired", help: "sentence for the per-head heatmaps")
let svgDirectory = options.optionalString("--svg", help: "also write per-head heatmaps as SVG files into DIR", placeholder: "DIR")
options.epilogue = """
Try: --heads 4 --kv-heads 2     (grouped-query attention with 2 groups)
     --text "your own sentence" --svg out
"""
options.parse()
if heads.value < 1 || kvHeads.value < 1 || heads.value % kvHeads.value != 0 {
    options.fail("--kv-heads (\(kvHeads.value)) must be at least 1 and divide --heads (\(heads.value))")
}
if dOut.value < 1 { options.fail("--d-out must be at least 1") }
if dOut.value % heads.value != 0 { options.fail("--d-out (\(dOut.value)) must be divisible by --heads (\(heads.value)) for the fused module") }

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

section("6.7 What each head looks at")
let tokenizer: GPT2Tokenizer
do { tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2")) } catch { options.fail("\(error)") }
let ids = tokenizer.encode(text.value)
let labels = ids.map { tokenizer.decode([$0]).trimmingCharacters(in: .whitespaces) }
say("""
"\(text.value)" is \(ids.count) GPT-2 tokens. An untrained 2-head attention layer over random \
16-d embeddings of them (seed \(seed.value)): each head has its own pattern, all causal.
""")
Tensor.manualSeed(UInt64(seed.value))
let embedding = Embedding(50257, 16)
let tokenVectors = embedding(ids, shape: [1, ids.count])                 // (1, T, 16)
let sentenceAttention = MultiHeadAttention(dIn: 16, dOut: 16, contextLength: ids.count, dropout: 0, numHeads: 2)
_ = sentenceAttention(tokenVectors)
let headWeights = sentenceAttention.lastWeights!.select(0, 0)            // (2, T, T)
for h in 0..<2 {
    print("head \(h):")
    print(heatmap(headWeights.select(0, h), rowLabels: labels, columnLabels: labels, range: 0...1, decimals: 1), terminator: "")
    if let directory = svgDirectory.value {
        options.saveFigure(Figures.heatmap(headWeights.select(0, h), rowLabels: labels, columnLabels: labels,
                                           title: "Head \(h) attention weights", range: 0...1), "chapter06-head\(h).svg", into: directory)
    }
}

section("What to remember")
say("""
Multi-head attention runs several attention heads in parallel on slices of one projection \
and mixes their outputs. GQA and MQA share keys and values across heads to save memory; \
RoPE encodes relative position inside the attention scores; cross-attention connects a \
decoder to an encoder. Chapter 7 assembles heads into transformer blocks.
""")
