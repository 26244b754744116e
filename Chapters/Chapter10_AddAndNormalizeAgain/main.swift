// Chapter 10 — Add & normalize, again: the complete transformer block with both residual
// paths, blocks stacked, and what GPT-2's sizes cost in parameters and memory.

import CourseKit
import Foundation
import LLMKit
import TensorKit

let options = Options(program: "Chapter10_AddAndNormalizeAgain", summary: "the complete block, stacked; GPT-2's sizes")
let seed = options.int("--seed", default: 123, help: "seed of the input and the block's weights")
let layers = options.int("--layers", default: 12, help: "how many blocks to stack in 10.3")
let postNorm = options.flag("--post-norm", help: "build the blocks post-norm, LN(x + f(x)), as the 2017 Transformer (chapter 8)")
options.epilogue = """
Try: --layers 48   (GPT-2 XL's depth)
     --post-norm   (the LayerNorms after the additions: watch 10.3's last column)
"""
options.parse()
let placement: NormPlacement = postNorm.value ? .post : .pre
if layers.value < 1 || layers.value > 64 { options.fail("--layers must be between 1 and 64, got \(layers.value)") }

chapterTitle(10, "Add & normalize, again: the complete block")

// MARK: - One block

section("10.1 The complete transformer block")
if placement == .pre {
    say("A GPT block has two sub-layers, each wrapped the same way: normalise, transform, add back.")
    print("""

      x ─┬─> LayerNorm ─> attention ─> dropout ─(+)─ h ─┬─> LayerNorm ─> feed-forward ─> dropout ─(+)─> out
         └──────────────── residual ─────────────┘      └──────────────── residual ───────────────┘

    """)
} else {
    say("Built post-norm (--post-norm), each sub-layer is wrapped the 2017 way: transform, add back, normalise.")
    print("""

      x ─┬─> attention ─> dropout ─(+)─> LayerNorm ─ h ─┬─> feed-forward ─> dropout ─(+)─> LayerNorm ─> out
         └────────── residual ──────┘                   └──────────── residual ────────┘

    """)
}
say("""
As in the book: torch.manual_seed(\(seed.value)), x = torch.rand(2, 4, 768), then a block with \
GPT_CONFIG_124M (in evaluation mode here, so dropout is off and the numbers are repeatable)\
\(placement == .post ? ", built post-norm: not the book's numbers" : ""):
""")
let config = GPTConfig.gpt2Small124M
Tensor.manualSeed(UInt64(seed.value))
let x = Tensor.rand([2, 4, 768])                                          // (B, T, d)
let block = TransformerBlock(config, placement: placement)
block.eval()
let (afterAttention, output) = withNoGrad { () -> (Tensor, Tensor) in
    // pre-norm: h = x + attn(LN₁(x)), out = h + mlp(LN₂(h)); post-norm: h = LN₁(x + attn(x)), …
    let h = placement.apply(x, norm: { block.ln1($0) }, sublayer: { block.attn($0) })      // first residual path
    return (h, placement.apply(h, norm: { block.ln2($0) }, sublayer: { block.mlp($0) }))  // second residual path
}
print("input shape:  \(describeShape(x.shape))")
print("output shape: \(describeShape(output.shape))")
let direct = withNoGrad { block(x) }
print("the block's own forward gives the same: \((direct - output).abs().max().item == 0)")
show("output[0, :, :4]", output.select(0, 0).slice(1, 0, 4))
var releasedConfig = config
releasedConfig.qkvBias = true
let releasedBlock = TransformerBlock(releasedConfig, generator: TorchGenerator(seed: 0))   // only counted
print("\nparameters in one block: \(grouped(block.parameterCount)) (the book's config, without QKV bias)")
print("GPT-2 as released adds 3 × 768 QKV biases: \(grouped(releasedBlock.parameterCount))")
table(["part", "shape", "parameters"], block.namedParameters().map { name, t in
    [name, describeShape(t.shape), grouped(t.count)]
}, rightAligned: [2])

section("10.2 What each residual path adds")
func rms(_ t: Tensor) -> String { fixed((t * t).mean().sqrt().item) }
table(["stage", "root-mean-square value"], [
    ["input x", rms(x)],
    [placement == .pre ? "after x + attention(LN(x))" : "after LN(x + attention(x))", rms(afterAttention)],
    [placement == .pre ? "after h + feed-forward(LN(h))" : "after LN(h + feed-forward(h))", rms(output)],
], rightAligned: [1])
say(placement == .pre ? """
The input passes through untouched along the residual paths; each sub-layer only adds a \
correction. That is what lets gradients reach the first layers of a deep stack (chapter 8).
""" : """
Post-norm rescales the stream after every addition: each vector leaves a LayerNorm (scale 1, \
shift 0 at initialisation) with mean 0 and variance 1, so its root-mean-square is 1.
""")

// MARK: - A stack

section("10.3 Blocks stacked")
say(placement == .pre ? """
A GPT is the same block repeated. With \(layers.value) freshly initialised blocks (d = 768), the \
shape never changes, and the residual stream grows slowly as each block adds to it:
""" : """
A GPT is the same block repeated. With \(layers.value) freshly initialised post-norm blocks \
(d = 768), the shape never changes and the stream's size stays at 1: every block ends with a \
LayerNorm. (Pre-norm, the default, lets it grow; that is why a pre-norm GPT needs a final \
LayerNorm before its head.)
""")
Tensor.manualSeed(UInt64(seed.value))
var stream = Tensor.rand([1, 4, 768])
var stackRows: [[String]] = [["input", describeShape(stream.shape), rms(stream)]]
for i in 0..<layers.value {
    let b = TransformerBlock(config, placement: placement)
    b.eval()
    stream = withNoGrad { b(stream) }
    if i < 3 || i == layers.value - 1 || (i + 1) % 4 == 0 {
        stackRows.append(["after block \(i + 1)", describeShape(stream.shape), rms(stream)])
    }
}
table(["", "shape", "root-mean-square value"], stackRows, rightAligned: [2])

// MARK: - Sizes

section("10.4 GPT-2's sizes")
say("""
Parameters and float32 memory (4 bytes each), computed from the configurations by \
`ParameterCount.gpt` (Shared/LLMKit/ParameterCounts.swift). The book's configuration has no \
QKV bias and a separate output head; GPT-2 as released has QKV biases and ties the head to \
the token embedding.
""")
let sizes: [(String, GPTConfig)] = [("small", .gpt2Small124M), ("medium", .gpt2Medium), ("large", .gpt2Large), ("XL", .gpt2XL)]
var sizeRows: [[String]] = []
for (name, c) in sizes {
    var released = c
    released.qkvBias = true
    released.tiedHead = true
    let bookCount = ParameterCount.gpt(c), releasedCount = ParameterCount.gpt(released)
    sizeRows.append(["GPT-2 \(name)", "\(c.numLayers) × d \(c.embeddingDim), \(c.numHeads) heads", grouped(bookCount),
                     String(format: "%.2f MB", Double(bookCount) * 4 / 1_048_576), grouped(releasedCount)])
}
table(["model", "shape", "book's config", "float32", "as released (tied)"], sizeRows, rightAligned: [2, 3, 4])
say("""
(The book: 163,009,536 parameters and 621.83 MB for GPT-2 small; 124,412,160 with the head \
tied. Memory counts the weights only; training also keeps a gradient and AdamW's two moment \
estimates for every weight — four times the memory in all.)
""")

section("What to remember")
say("""
A transformer block is LayerNorm → attention → add, then LayerNorm → feed-forward → add. \
Blocks keep the shape (B, T, d), so they stack; the size of a GPT is mostly its blocks \
(12·d² each) and its embedding (vocabulary × d). Chapter 11 turns the last block's output \
into next-token probabilities.
""")
