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
let maxNewTokens = options.int("--max-new-tokens", default: 20, help: "how many tokens to generate (chat: per reply, default 512)")
let greedyFlag = options.flag("--greedy", help: "generate: always take the most likely token (the default unless sampling flags are given)")
let temperature = options.float("--temperature", default: 1, help: "generate: sample with this temperature")
let topK = options.int("--top-k", default: 0, help: "generate: keep only the k most likely tokens (0: all)")
let topP = options.float("--top-p", default: 1, help: "generate: nucleus sampling threshold")
let seed = options.int("--seed", default: 123, help: "seed of sampling (13.1's sampled text, and generate's)")
let noCache = options.flag("--no-cache", help: "generate without the KV cache")
let json = options.flag("--json", help: "generate: end with one JSON line {\"ids\": […], \"tokens_per_second\": x}")
let noTiming = options.flag("--no-timing", help: "print no measured speeds (for repeatable output)")
let quantize = options.optionalString("--quantize", help: "generate, chat: keep the linear layers' weights as bf16, f16 or int8 (inference; by default a 16-bit checkpoint stays as stored, float32 stays float32)", placeholder: "FORMAT")
let system = options.optionalString("--system", help: "chat: the system message that opens the conversation")
let revision = options.optionalString("--revision", help: "download: a branch, tag or commit of the repository (default main)", placeholder: "R")
options.positional("generate MODEL", help: "generate from a checkpoint (a directory, or a Hub id in the cache); --prompt uses its tokenizer")
options.positional("chat MODEL", help: "talk with an instruct model (a directory or a Hub id): one turn per line, also from a pipe; /reset, /quit")
options.positional("download ORG/NAME", help: "download a model from the Hugging Face Hub into its cache")
options.positional("chat-template TEMPLATE CASES", help: "render conversations (JSON Lines) with a chat template, as transformers does")
options.epilogue = """
Try: --prompt "The cat" --max-new-tokens 40
     generate path/to/gpt2 --prompt "Hello, I am" --max-new-tokens 30 --temperature 0.8 --top-k 50
     chat path/to/Qwen2.5-0.5B-Instruct --system "Answer in one sentence." --temperature 0.7
     download HuggingFaceTB/SmolLM2-135M-Instruct   (then: generate HuggingFaceTB/SmolLM2-135M-Instruct --prompt …)
"""
options.parse()
if maxNewTokens.value < 1 { options.fail("--max-new-tokens must be at least 1") }
let sampling = temperature.wasGiven || topK.wasGiven || topP.wasGiven
if sampling && greedyFlag.value { options.fail("--greedy cannot be combined with --temperature, --top-k or --top-p") }
if temperature.value <= 0 || topK.value < 0 || !(0 < topP.value && topP.value <= 1) {
    options.fail("--temperature must be positive, --top-k at least 0, --top-p in (0, 1]")
}
let sampler = Sampler(greedy: !sampling, temperature: temperature.value, topK: topK.value, topP: topP.value, seed: UInt64(seed.value))
if system.wasGiven && options.positional.first != "chat" { options.fail("--system is for chat MODEL") }

if options.positional.first == "download" { runDownloadCommand(Array(options.positional.dropFirst()), revision: revision.value, options: options) }

// MARK: - generate MODEL

if options.positional.first == "generate" {
    guard options.positional.count == 2 else { options.fail("usage: generate MODEL [--prompt TEXT | --prompt-ids 1,2,3] …") }
    let directory: URL
    let model: CausalLanguageModel
    do {
        directory = try resolveModelDirectory(options.positional[1])
        // inference only: 16-bit matrices are read in place from the mapped file
        let loaded = try CheckpointWeights.$keepsHalfPrecision.withValue(true) { try LoadedModel.load(huggingFace: directory) }
        let format = try quantize.value.map { try PackedFormat(flag: $0, name: "--quantize") }
        switch loaded {
        case .gpt2(let m): model = m; if let format { m.packWeights(format) }
        case .llama(let m): model = m; if let format { m.packWeights(format) }
        default: options.fail("\(directory.path): generate needs a decoder-only model (GPT-2, Llama, Mixtral)")
        }
    } catch { options.fail("\(error)") }
    var tokenizer: CheckpointTokenizer?
    var ids: [Int]
    if let text = promptIDs.value {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { options.fail("--prompt-ids: '\(text)' is not a comma-separated list of integers") }
        ids = parts.map { $0! }
    } else if let text = prompt.value {
        do {
            // the directory's own tokenizer: chapter 14's tokenizer.json, a Hugging Face tokenizer.json,
            // GPT-2's files or a SentencePiece tokenizer.model
            tokenizer = try CheckpointTokenizer.load(from: directory, gpt2Files: dataDirectory().appendingPathComponent("gpt2"))
            ids = try tokenizer!.encodeChecked(text)
        } catch { options.fail("\(error)") }
    } else {
        options.fail("generate needs --prompt TEXT or --prompt-ids 1,2,3")
    }
    if ids.isEmpty { options.fail("the prompt is empty") }
    if let bad = ids.first(where: { $0 < 0 || $0 >= model.vocabularySize }) { options.fail("--prompt-ids: \(bad) is outside the vocabulary of \(model.vocabularySize)") }
    if ids.count >= model.contextLength { options.fail("the prompt is \(ids.count) tokens; the model's context is \(model.contextLength)") }
    // generation stops at the end-of-sequence ids of generation_config.json, config.json or tokenizer_config.json
    let stops: Set<Int>
    do { stops = Set(try SpecialTokenIDs(directory: directory, tokenizer: tokenizer?.tokenizer).eosIDs) } catch { options.fail("\(error)") }
    // text is printed as it comes, whole characters only (a character's bytes may span tokens)
    var stream = tokenizer.map { TokenTextStream($0.tokenizer, context: ids) }
    if !json.value, stream != nil, let text = prompt.value { print(text, terminator: "") }
    let start = Date()
    let generated = generate(model, prompt: ids, maxNewTokens: maxNewTokens.value, sampler: sampler, useCache: !noCache.value,
                             stopAt: stops) { id in
        guard !json.value else { return }
        if stream == nil {
            print("\(id) ", terminator: "")
        } else if !stops.contains(id) && id < tokenizer!.tokenizer.vocabularySize {   // (a padded vocabulary's extra ids have no text)
            print(stream!.push(id), terminator: "")
        }
        fflush(stdout)
    }
    let seconds = Date().timeIntervalSince(start)
    if json.value {
        print("{\"ids\": [\(generated.map(String.init).joined(separator: ", "))], \"tokens_per_second\": \(String(format: "%.2f", Double(generated.count) / seconds))}")
    } else {
        print(stream?.finish() ?? "")
    }
    exit(0)
}

// MARK: - chat MODEL, chat-template TEMPLATE CASES

/// The flags of `chat MODEL` (ChatCommand.swift).
func chatSettings() -> ChatSettings {
    if prompt.wasGiven || promptIDs.wasGiven { options.fail("chat reads its turns from the input, not from --prompt or --prompt-ids") }
    return ChatSettings(system: system.value, maxNewTokens: maxNewTokens.wasGiven ? maxNewTokens.value : 512,
                        makeSampler: { Sampler(greedy: !sampling, temperature: temperature.value, topK: topK.value, topP: topP.value,
                                               seed: UInt64(seed.value)) },
                        json: json.value, noCache: noCache.value, noTiming: noTiming.value,
                        quantize: quantize.value.map { value in
                            do { return try PackedFormat(flag: value, name: "--quantize") } catch { options.fail("\(error)") }
                        })
}

if options.positional.first == "chat" { runChatCommand(Array(options.positional.dropFirst()), settings: chatSettings(), options: options) }
if options.positional.first == "chat-template" { runChatTemplateCommand(Array(options.positional.dropFirst()), options: options) }
if let extra = options.positional.first { options.fail("unknown command \(extra) (the commands are generate, chat, download and chat-template)") }

// MARK: - The loop

chapterTitle(13, "The autoregressive loop and the KV cache")
let (model, checkpointTokenizer): (GPTModel, CheckpointTokenizer)
do { (model, checkpointTokenizer) = try loadShippedModel(dataDirectory: dataDirectory()) } catch { options.fail("\(error)") }
let tokenizer = checkpointTokenizer.tokenizer
let config = model.config
let text = prompt.value ?? "ROMEO:"
let promptTokens: [Int]
do { promptTokens = try checkpointTokenizer.encodeChecked(text) } catch { options.fail("--prompt: \(error)") }
if promptTokens.isEmpty { options.fail("--prompt is empty") }
let newTokens = maxNewTokens.wasGiven ? maxNewTokens.value : 120
if promptTokens.count + newTokens > config.contextLength {
    options.fail("--prompt (\(promptTokens.count) characters) and --max-new-tokens \(newTokens) must fit the model's context of \(config.contextLength)")
}

section("13.1 The loop")
print("""

     ┌───────────────────────────────────────────────────────────┐
     ▼                                                           │
  tokens ──> model ──> logits of the last position ──> pick one ──┴──> append
  stop at an end token or after N tokens; when the context is full, the uncached loop
  crops to the last `context` tokens and goes on, the cached loop stops (13.2)

""", terminator: "")
say("""
The model is the one chapter 14 trained on tiny Shakespeare and ships in data/shakespeare-char: \
\(config.numLayers) layers, d = \(config.embeddingDim), a context of \(config.contextLength) characters, one token per \
character (\(tokenizer.vocabularySize) of them). "\(text)" is \(promptTokens.count) tokens; \(newTokens) more, greedily, \
printed as they are made:
""")
print(text, terminator: "")
let generated = generate(model, prompt: promptTokens, maxNewTokens: newTokens) { id in
    print(tokenizer.decode([id]), terminator: "")
    fflush(stdout)
}
print("\n\nids: \(promptTokens) + [\(generated.prefix(12).map(String.init).joined(separator: ", ")), …]")
say("""

Greedy decoding always takes the most likely character: the same text on every run. \
Sampling (chapter 12) varies it; with temperature 0.8 and seed \(seed.value):
""")
let sampled = generate(model, prompt: promptTokens, maxNewTokens: newTokens,
                       sampler: Sampler(greedy: false, temperature: sampling ? temperature.value : 0.8, topK: topK.value,
                                        topP: topP.value, seed: UInt64(seed.value)))
print(text + tokenizer.decode(sampled))

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
let ownPerToken = 2 * config.numLayers * config.embeddingDim * 4
let perToken = 2 * 12 * 768 * 4
say("""

Each cached token costs 2 (K and V) × layers × d × 4 bytes: 2 × \(config.numLayers) × \(config.embeddingDim) × 4 \
= \(grouped(ownPerToken)) bytes for this model. For GPT-2 small: 2 × 12 × 768 × 4 \
= \(grouped(perToken)) bytes per token, \(String(format: "%.0f", Double(perToken) * 1024 / 1_048_576)) MiB for its full context of 1,024 tokens \
(chapter 6 shows how grouped-query attention shrinks this).
""")

section("13.3 Same tokens, less work")
let uncached = generate(model, prompt: promptTokens, maxNewTokens: newTokens, useCache: false)
print("cached and uncached generation give the same \(generated.count) tokens: \(uncached == generated)")
say("\nSpeed, generating 24 tokens after prompts of growing length (random token ids):")
var speedRows: [[String]] = []
for length in [8, 32, 64, 96] {
    let randomPrompt = TorchGenerator(seed: 7).randint(0, config.vocabSize, [length])
    var rates: [Double] = []
    for useCache in [true, false] {
        let start = Date()
        let out = generate(model, prompt: randomPrompt, maxNewTokens: 24, useCache: useCache)
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
sequence: 2 × layers × d numbers per token. Chapter 14 shows how the model you just ran was trained.
""")
