// The course's speed, measured: `swift run -c release Benchmarks [filter]`.
// Prints one JSON object per line: {"name": "matmul-512", "value": 123.4, "unit": "GFLOP/s"}.
// Shapes follow ../shared/tools/torch_bench.py, so the two sides can be compared run for run.

import Foundation
import LLMKit
import TensorKit
import Tokenizers

/// Seconds since an arbitrary start, monotonic.
func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Runs `body` once to warm up, then repeatedly for `seconds`, and returns the mean time of
/// one run — the same measure as torch_bench.py's `bench`, so the two sides compare directly.
func meanTime(seconds: Double = 2.0, _ body: () -> Void) -> Double {
    body()
    let start = now()
    var runs = 0
    while now() - start < seconds {
        body()
        runs += 1
    }
    return (now() - start) / Double(runs)
}

func report(_ name: String, _ value: Double, _ unit: String) {
    print("{\"name\": \"\(name)\", \"value\": \(String(format: "%.2f", value)), \"unit\": \"\(unit)\"}")
    fflush(stdout)
}

// MARK: - Benchmarks

/// Square float32 matmul C = A·B of uniform random matrices, as `a @ b` in torch_bench.py.
func benchmarkMatmul(_ n: Int) {
    let g = TorchGenerator(seed: 0)
    let a = g.rand([n, n]), b = g.rand([n, n])
    var c = [Float](repeating: 0, count: n * n)
    let seconds = meanTime {
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    gemm(m: n, n: n, k: n, a: ap.baseAddress!, lda: n, transA: false,
                         b: bp.baseAddress!, ldb: n, transB: false, c: cp.baseAddress!, ldc: n, accumulate: false)
                }
            }
        }
    }
    report("matmul-\(n)", 2 * Double(n * n * n) / seconds / 1e9, "GFLOP/s")
}


/// GPT-2 small's shape with random weights: a 16-token prompt, 64 greedy new tokens, as
/// torch_bench.py's `generate` (Hugging Face GPT2LMHeadModel, default config).
func benchmarkGenerate(cache: Bool) {
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768, numHeads: 12, numLayers: 12,
                           qkvBias: true, tiedHead: true)
    let model = withNoGrad { GPTModel(config, generator: TorchGenerator(seed: 0)) }
    model.eval()
    let prompt = TorchGenerator(seed: 1).randint(0, 50257, [16])
    _ = generate(model, prompt: prompt, maxNewTokens: 8, useCache: cache)            // warm-up
    let start = now()
    let out = generate(model, prompt: prompt, maxNewTokens: 64, useCache: cache)
    precondition(out.count == 64, "generate: \(out.count) tokens")
    report("generate-gpt2-124m-\(cache ? "cache" : "nocache")", 64 / (now() - start), "tokens/s")
    report("generate-gpt2-124m-\(cache ? "cache" : "nocache")-peak-memory", peakMemoryMB(), "MB")
}

/// Tokens per second of one full training step (forward, cross-entropy, backward, AdamW) of
/// torch_bench.py's named configs: "char" (vocabulary 65) and "bpe" (GPT-2's 50257), both
/// with a 4-layer, 4-head, 128-wide body and context 128, the head tied to the embedding.
func benchmarkTrain(_ name: String, profileSteps: Int? = nil) {
    let (vocab, batch) = name == "char" ? (65, 16) : (50257, 8)
    let config = GPTConfig(vocabSize: vocab, contextLength: 128, embeddingDim: 128, numHeads: 4, numLayers: 4,
                           qkvBias: true, tiedHead: true)
    let g = TorchGenerator(seed: 0)
    let model = GPTModel(config, generator: g)
    let optimizer = AdamW(model, learningRate: 3e-4, weightDecay: 0.1)
    let x = g.randint(0, vocab, [batch * 128]), y = g.randint(0, vocab, [batch * 128])
    func step() {
        let loss = model(x, shape: [batch, 128]).reshape([-1, vocab]).crossEntropy(targets: y)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
    }
    if let profileSteps {    // for callgrind: a fixed amount of work, no timing loop
        for _ in 0..<profileSteps { step() }
        return
    }
    let seconds = meanTime(seconds: 8, step)
    report("train-\(name)", Double(batch * 128) / seconds, "tokens/s")
    report("train-\(name)-peak-memory", peakMemoryMB(), "MB")
}

/// One uncached forward pass of GPT-2 small's body (2 layers) at 64 tokens: a target for
/// profilers (`valgrind --tool=callgrind .build/release/Benchmarks profile-forward`).
func profileForward() {
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768, numHeads: 12, numLayers: 2,
                           qkvBias: true, tiedHead: true)
    let model = withNoGrad { GPTModel(config, generator: TorchGenerator(seed: 0)) }
    model.eval()
    let ids = TorchGenerator(seed: 1).randint(0, 50257, [64])
    let seconds = meanTime(seconds: 3) { _ = withNoGrad { model.lastLogits(ids, shape: [1, 64], cache: nil) } }
    report("profile-forward", seconds * 1000, "ms")
}

let benchmarks: [(name: String, run: () -> Void)] = [
    ("matmul-128", { benchmarkMatmul(128) }),
    ("matmul-256", { benchmarkMatmul(256) }),
    ("matmul-512", { benchmarkMatmul(512) }),
    ("matmul-1024", { benchmarkMatmul(1024) }),
    ("gpt2-encode", { report("gpt2-encode", benchmarkGPT2Encode(), "MB/s") }),   // TokenizerBenchmarks.swift
    ("train-char", { benchmarkTrain("char") }),
    ("train-bpe", { benchmarkTrain("bpe") }),
    ("generate-gpt2-124m-cache", { benchmarkGenerate(cache: true) }),
    ("generate-gpt2-124m-nocache", { benchmarkGenerate(cache: false) }),
    ("profile-forward", profileForward),
    ("profile-train-char", { benchmarkTrain("char", profileSteps: 2) }),
]

let filter = CommandLine.arguments.dropFirst().first
for benchmark in benchmarks where filter.map({ benchmark.name.contains($0) }) ?? true {
    resetPeakMemory()
    benchmark.run()
}
