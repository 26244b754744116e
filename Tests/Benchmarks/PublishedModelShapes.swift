// Generation with models of the shapes learners download (Hugging Face's SmolLM2-135M and
// Qwen2.5-0.5B), random weights in float32: what speed and memory to expect before the
// weights are on disk. The README's "Run a real model" quotes these.

import Foundation
import LLMKit
import TensorKit

/// SmolLM2-135M(-Instruct)'s config.json: a Llama, 30 layers of 576, 9 heads sharing 3 key/value
/// heads, SwiGLU 1,536 wide, vocabulary 49,152, head tied to the embedding.
let smolLM2Shape = LlamaConfig(vocabSize: 49152, hiddenSize: 576, intermediateSize: 1536, numLayers: 30, numHeads: 9, numKVHeads: 3,
                               ropeTheta: 100_000, tieWordEmbeddings: true, maxPositions: 8192)

/// Qwen2.5-0.5B(-Instruct)'s config.json: 24 layers of 896, 14 heads sharing 2 key/value heads,
/// SwiGLU 4,864 wide, vocabulary 151,936, tied head. (Qwen2 also has biases on q, k and v:
/// 1,280 numbers a layer, left out of this Llama-shaped stand-in.)
let qwen25HalfBShape = LlamaConfig(vocabSize: 151_936, hiddenSize: 896, intermediateSize: 4864, numLayers: 24, numHeads: 14, numKVHeads: 2,
                                   ropeTheta: 1_000_000, rmsNormEps: 1e-6, tieWordEmbeddings: true, maxPositions: 32768)

/// Greedy generation with the KV cache, a 16-token prompt and 64 new tokens (as
/// `generate-gpt2-124m-cache`), after a warm-up; then the process's peak memory.
func benchmarkGeneratePublishedShape(_ name: String, _ config: LlamaConfig) {
    let model = withNoGrad { LlamaModel(config, generator: TorchGenerator(seed: 0)) }
    model.eval()
    let prompt = TorchGenerator(seed: 1).randint(0, config.vocabSize, [16])
    _ = generate(model, prompt: prompt, maxNewTokens: 8)                                   // warm-up
    let start = now()
    let out = generate(model, prompt: prompt, maxNewTokens: 64)
    precondition(out.count == 64, "generate: \(out.count) tokens")
    report("generate-\(name)-shape-f32", 64 / (now() - start), "tokens/s")
    report("generate-\(name)-shape-f32-peak-memory", peakMemoryMB(), "MB")
}
