// Chapter 13 — The autoregressive loop and the KV cache: generate text one token at a time,
// then stop recomputing the past: keep every layer's keys and values, and feed the model
// only the newest token.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter13_AutoregressiveLoopAndKVCache", summary: "the generation loop and the KV cache")
let prompt = options.optionalString("--prompt", help: "the text to continue (also for generate)")
let promptIDs = options.optionalString("--prompt-ids", help: "generate: the prompt as token ids, e.g. 1,2,3", placeholder: "IDS")
let maxNewTokens = options.int("--max-new-tokens", default: 20, help: "how many tokens to generate")
let greedyFlag = options.flag("--greedy", help: "generate: always take the most likely token (the default unless sampling flags are given)")
let temperature = options.float("--temperature", default: 1, help: "generate: sample with this temperature")
let topK = options.int("--top-k", default: 0, help: "generate: keep only the k most likely tokens (0: all)")
let topP = options.float("--top-p", default: 1, help: "generate: nucleus sampling threshold")
let seed = options.int("--seed", default: 123, help: "seed of the model's weights (demo) and of sampling")
let noCache = options.flag("--no-cache", help: "generate without the KV cache")
let json = options.flag("--json", help: "generate: end with one JSON line {\"ids\": […], \"tokens_per_second\": x}")
let noTiming = options.flag("--no-timing", help: "print no measured speeds (for repeatable output)")
options.positional("generate MODEL_DIR", help: "generate from a Hugging Face GPT-2 or Llama directory")
options.epilogue = """
Try: --prompt "The cat" --max-new-tokens 40
     generate path/to/gpt2 --prompt "Hello, I am" --max-new-tokens 30 --temperature 0.8 --top-k 50
"""
options.parse()
if maxNewTokens.value < 1 { options.fail("--max-new-tokens must be at least 1") }
let sampling = temperature.wasGiven || topK.wasGiven || topP.wasGiven
if sampling && greedyFlag.value { options.fail("--greedy cannot be combined with --temperature, --top-k or --top-p") }
if temperature.value <= 0 || topK.value < 0 || !(0 < topP.value && topP.value <= 1) {
    options.fail("--temperature must be positive, --top-k at least 0, --top-p in (0, 1]")
}
let sampler = Sampler(greedy: !sampling, temperature: temperature.value, topK: topK.value, topP: topP.value, seed: UInt64(seed.value))

// MARK: - generate MODEL_DIR

if options.positional.first == "generate" {
    guard options.positional.count == 2 else { options.fail("usage: generate MODEL_DIR [--prompt TEXT | --prompt-ids 1,2,3] …") }
    let directory = URL(fileURLWithPath: options.positional[1])
    let model: CausalLanguageModel
    do {
        switch try LoadedModel.load(huggingFace: directory) {
        case .gpt2(let m): model = m
        case .llama(let m): model = m
        default: options.fail("\(directory.path): generate needs a decoder-only model (GPT-2, Llama, Mixtral)")
        }
    } catch { options.fail("\(error)") }
    var tokenizer: GPT2Tokenizer?
    var ids: [Int]
    if let text = promptIDs.value {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { options.fail("--prompt-ids: '\(text)' is not a comma-separated list of integers") }
        ids = parts.map { $0! }
    } else if let text = prompt.value {
        do {
            let own = FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.json").path)
            tokenizer = try GPT2Tokenizer(directory: own ? directory : dataDirectory().appendingPathComponent("gpt2"))
        } catch { options.fail("\(error)") }
        ids = tokenizer!.encode(text)
    } else {
        options.fail("generate needs --prompt TEXT or --prompt-ids 1,2,3")
    }
    if ids.isEmpty { options.fail("the prompt is empty") }
    if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) { options.fail("--prompt-ids: \(bad) is outside the vocabulary of \(model.vocabularySize)") }
    if ids.count >= model.contextLength { options.fail("the prompt is \(ids.count) tokens; the model's context is \(model.contextLength)") }
    let start = Date()
    let generated = generate(model, prompt: ids, maxNewTokens: maxNewTokens.value, sampler: sampler, useCache: !noCache.value) { id in
        if !json.value {
            print(tokenizer.map { $0.decode([id]) } ?? "\(id) ", terminator: "")
            fflush(stdout)
        }
    }
    let seconds = Date().timeIntervalSince(start)
    if json.value {
        print("{\"ids\": [\(generated.map(String.init).joined(separator: ", "))], \"tokens_per_second\": \(String(format: "%.2f", Double(generated.count) / seconds))}")
    } else {
        print("")
    }
    exit(0)
}
if let extra = options.positional.first { options.fail("unknown command \(extra) (the only command is generate)") }

// MARK: - The loop

chapterTitle(13, "The autoregressive loop and the KV cache")
let tokenizer: GPT2Tokenizer
do { tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2")) } catch { options.fail("\(error)") }
let text = prompt.value ?? "Every effort moves you"
let promptTokens = tokenizer.encode(text)
if promptTokens.isEmpty { options.fail("--prompt is empty") }

section("13.1 The loop")
print("""

     ┌───────────────────────────────────────────────────────────┐
     ▼                                                           │
  tokens ──> model ──> logits of the last position ──> pick one ──┴──> append
             (crop to the context window; stop at <|endoftext|> or after N tokens)

""", terminator: "")
let config = GPTConfig(vocabSize: 50257, contextLength: 512, embeddingDim: 128, numHeads: 4, numLayers: 4, qkvBias: true, tiedHead: true)
Tensor.manualSeed(UInt64(seed.value))
let model = withNoGrad { GPTModel(config) }
model.eval()
say("""
The course's own trained model arrives with chapter 14; until then this chapter uses an \
untrained GPT (\(config.numLayers) layers, d = \(config.embeddingDim), GPT-2's tokenizer, random weights from seed \(seed.value)), \
so the text is nonsense — the loop is what matters. "\(text)" is \(promptTokens.count) tokens; \
\(maxNewTokens.value) more, greedily, printed as they are made:
""")
print(text, terminator: "")
let generated = generate(model, prompt: promptTokens, maxNewTokens: maxNewTokens.value, stopAt: tokenizer.endOfText) { id in
    print(tokenizer.decode([id]), terminator: "")
    fflush(stdout)
}
print("\n\nids: \(promptTokens) + \(generated)")

// MARK: - The cache

section("13.2 The KV cache")
say("""
Without a cache, step t runs the model on all t tokens again, although the keys and values \
of the first t − 1 tokens are exactly what they were a step ago. The cache keeps them, per \
layer: the prompt is processed once (the prefill), then each step feeds one token, computes \
its query, key and value, appends the key and value to the cache, and attends over all of \
them. Step by step, for the prompt above:
""")
let cache = model.makeCache()
var rows: [[String]] = []
var ids = promptTokens
withNoGrad {
    var pending = promptTokens
    for step in 0..<5 {
        let logits = model(pending, shape: [1, pending.count], cache: cache)         // (1, new, V)
        let keys = cache.layers[0].keys!
        rows.append([step == 0 ? "prefill" : "step \(step)", String(pending.count), describeShape(keys.shape),
                     grouped(cache.bytes), describeShape(logits.shape)])
        let next = logits.select(1, pending.count - 1).select(0, 0).argmax()
        ids.append(next)
        pending = [next]
    }
}
table(["", "tokens fed", "keys of layer 0 (B, heads, T, hd)", "cache bytes (all layers)", "logits"], rows, rightAligned: [1, 3])
let perToken = 2 * 12 * 768 * 4
say("""

Each cached token costs 2 (K and V) × layers × d × 4 bytes. For GPT-2 small: 2 × 12 × 768 × 4 \
= \(grouped(perToken)) bytes per token, \(String(format: "%.0f", Double(perToken) * 1024 / 1_048_576)) MiB for its full context of 1,024 tokens \
(chapter 6 shows how grouped-query attention shrinks this).
""")

section("13.3 Same tokens, less work")
let uncached = generate(model, prompt: promptTokens, maxNewTokens: maxNewTokens.value, useCache: false, stopAt: tokenizer.endOfText)
print("cached and uncached generation give the same \(generated.count) tokens: \(uncached == generated)")
say("\nSpeed, generating 32 tokens after prompts of growing length (random token ids):")
var speedRows: [[String]] = []
for length in [32, 128, 256, 480] {
    let randomPrompt = TorchGenerator(seed: 7).randint(0, 50257, [length])
    var rates: [Double] = []
    for useCache in [true, false] {
        let start = Date()
        let out = generate(model, prompt: randomPrompt, maxNewTokens: 32, useCache: useCache)
        rates.append(Double(out.count) / Date().timeIntervalSince(start))
    }
    speedRows.append([String(length)] + (noTiming.value ? ["—", "—", "—"]
        : [String(format: "%.0f", rates[0]), String(format: "%.0f", rates[1]), String(format: "%.1f×", rates[0] / rates[1])]))
}
table(["prompt tokens", "tokens/s with cache", "without", "speed-up"], speedRows, rightAligned: [0, 1, 2, 3])
say("""
Without the cache each step costs time proportional to the whole sequence; with it, only the \
new token's work plus attention over the cache. The longer the text, the larger the gain.
""")

section("What to remember")
say("""
Generation is a loop: model, pick, append. The KV cache turns each step from reprocessing \
the whole sequence into processing one token, at the price of memory that grows with the \
sequence: 2 × layers × d numbers per token. Chapter 14 trains a model worth generating from.
""")
