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
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
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
/// With `packed`, every linear layer's weight (the tied head too) is kept in that format.
func benchmarkGenerate(cache: Bool, packed: PackedFormat? = nil) {
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768, numHeads: 12, numLayers: 12,
                           qkvBias: true, tiedHead: true)
    let model = withNoGrad { GPTModel(config, generator: TorchGenerator(seed: 0)) }
    model.eval()
    model.packWeights(packed)
    let prompt = TorchGenerator(seed: 1).randint(0, 50257, [16])
    _ = generate(model, prompt: prompt, maxNewTokens: 8, useCache: cache)            // warm-up
    let start = now()
    let out = generate(model, prompt: prompt, maxNewTokens: 64, useCache: cache)
    precondition(out.count == 64, "generate: \(out.count) tokens")
    let name = "generate-gpt2-124m-" + (packed.map { $0 == .bfloat16 ? "bf16" : $0 == .float16 ? "f16" : "int8" } ?? (cache ? "cache" : "nocache"))
    report(name, 64 / (now() - start), "tokens/s")
    report(name + "-peak-memory", peakMemoryMB(), "MB")
}

/// Tokens per second of one full training step (forward, cross-entropy, backward, AdamW) of
/// torch_bench.py's named configs: "char" (vocabulary 65) and "bpe" (GPT-2's 50257), both
/// with a 4-layer, 4-head, 128-wide body and context 128, the head tied to the embedding.
func benchmarkTrain(_ name: String, profileSteps: Int? = nil, context: Int = 128, reportName: String? = nil) {
    let (vocab, tokens) = name == "char" ? (65, 16 * 128) : (50257, 8 * 128)
    let batch = max(1, tokens / context)
    let config = GPTConfig(vocabSize: vocab, contextLength: context, embeddingDim: 128, numHeads: 4, numLayers: 4,
                           qkvBias: true, tiedHead: true)
    let g = TorchGenerator(seed: 0)
    let model = GPTModel(config, generator: g)
    let optimizer = AdamW(model, learningRate: 3e-4, weightDecay: 0.1)
    let x = g.randint(0, vocab, [batch * context]), y = g.randint(0, vocab, [batch * context])
    func step() {
        let loss = model(x, shape: [batch, context]).reshape([-1, vocab]).crossEntropy(targets: y)
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
    }
    if let profileSteps {    // for callgrind: a fixed amount of work, no timing loop
        for _ in 0..<profileSteps { step() }
        return
    }
    let seconds = meanTime(seconds: 8, step)
    let label = reportName ?? "train-\(name)"
    report(label, Double(batch * context) / seconds, "tokens/s")
    report(label + "-peak-memory", peakMemoryMB(), "MB")
    // Buffers of 4 KB or more that steps past the warm-up still take from the allocator
    // rather than from dead tensors (BufferPool): 0 means a step reuses all its storage.
    BufferPool.resetStatistics()
    for _ in 0..<4 { step() }
    report(label + "-fresh-buffers-per-step", Double(BufferPool.statistics.fresh) / 4, "buffers")
}

/// Cached decoding deep into the context: after a prompt of `context` − 16 random tokens has
/// been prefilled into the cache (not timed), 16 greedy steps of one token each are timed.
/// GPT-2 small's shape with random weights.
func benchmarkGenerateAtContext(_ context: Int) {
    let config = GPTConfig(vocabSize: 50257, contextLength: 1024, embeddingDim: 768, numHeads: 12, numLayers: 12,
                           qkvBias: true, tiedHead: true)
    let model = withNoGrad { GPTModel(config, generator: TorchGenerator(seed: 0)) }
    model.eval()
    let prompt = TorchGenerator(seed: 1).randint(0, 50257, [context - 16])
    withNoGrad {
        let cache = model.makeCache()
        var next = model.lastLogits(prompt, shape: [1, prompt.count], cache: cache).argmax()     // prefill
        let start = now()
        for _ in 0..<16 { next = model.lastLogits([next], shape: [1, 1], cache: cache).argmax() }
        report("generate-gpt2-124m-cache-at-\(context)", 16 / (now() - start), "tokens/s")
    }
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
    ("hf-gpt2-encode", { report("hf-gpt2-encode", benchmarkHuggingFaceGPT2Encode(), "MB/s") }),
    ("train-char", { benchmarkTrain("char") }),
    ("train-bpe", { benchmarkTrain("bpe") }),
    ("train-char-unfused-attention", {
        TensorKitConfig.fusedAttention = false                 // the step-by-step attention ops, for comparison
        benchmarkTrain("char", reportName: "train-char-unfused-attention")
        TensorKitConfig.fusedAttention = true
    }),
    ("train-char-context-64", { benchmarkTrain("char", context: 64, reportName: "train-char-context-64") }),
    ("train-char-context-128", { benchmarkTrain("char", context: 128, reportName: "train-char-context-128") }),
    ("train-char-context-256", { benchmarkTrain("char", context: 256, reportName: "train-char-context-256") }),
    ("train-char-context-512", { benchmarkTrain("char", context: 512, reportName: "train-char-context-512") }),
    ("train-char-context-1024", { benchmarkTrain("char", context: 1024, reportName: "train-char-context-1024") }),
    ("generate-gpt2-124m-cache-at-64", { benchmarkGenerateAtContext(64) }),
    ("generate-gpt2-124m-cache-at-256", { benchmarkGenerateAtContext(256) }),
    ("generate-gpt2-124m-cache-at-512", { benchmarkGenerateAtContext(512) }),
    ("generate-gpt2-124m-cache-at-1024", { benchmarkGenerateAtContext(1024) }),
    ("generate-gpt2-124m-cache", { benchmarkGenerate(cache: true) }),
    ("generate-gpt2-124m-nocache", { benchmarkGenerate(cache: false) }),
    ("generate-gpt2-124m-bf16", { benchmarkGenerate(cache: true, packed: .bfloat16) }),
    ("generate-gpt2-124m-f16", { benchmarkGenerate(cache: true, packed: .float16) }),
    ("generate-gpt2-124m-int8", { benchmarkGenerate(cache: true, packed: .int8) }),
    ("generate-smollm2-135m-shape", { benchmarkGeneratePublishedShape("smollm2-135m", smolLM2Shape) }),       // PublishedModelShapes.swift
    ("generate-qwen2.5-0.5b-shape", { benchmarkGeneratePublishedShape("qwen2.5-0.5b", qwen25HalfBShape) }),
    ("profile-forward", profileForward),
    ("profile-train-char", {
        let steps = ProcessInfo.processInfo.environment["PROFILE_STEPS"].flatMap { Int($0) } ?? 2
        benchmarkTrain("char", profileSteps: steps)
    }),
]

keepFreedMemory()      // freed memory is kept for reuse (glibc): see TensorKit's Allocator.swift
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--only", arguments.count == 2 {
    // one benchmark in this process (the parent below starts one process per benchmark)
    guard let benchmark = benchmarks.first(where: { $0.name == arguments[1] }) else {
        FileHandle.standardError.write(Data("error: no benchmark named \(arguments[1])\n".utf8))
        exit(2)
    }
    benchmark.run()
    exit(0)
}
// Each benchmark runs in a fresh process of its own, so that its peak memory is its own (the
// allocator keeps freed memory, so a process's resident size never falls back). Without a
// filter everything runs but the profiling targets (which time nothing useful).
let filter = arguments.first
for benchmark in benchmarks where filter.map({ benchmark.name.contains($0) }) ?? !benchmark.name.hasPrefix("profile-") {
    let child = Process()
    child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    child.arguments = ["--only", benchmark.name]
    do { try child.run() } catch {
        FileHandle.standardError.write(Data("error: cannot start \(CommandLine.arguments[0]): \(error)\n".utf8))
        exit(1)
    }
    child.waitUntilExit()
    if child.terminationStatus != 0 { exit(child.terminationStatus) }
}
