// Chapter 11 — The linear layer and projection: from the last hidden states to a choice of
// the next token. Final LayerNorm, a linear head to one score per vocabulary entry, weight
// tying, softmax, and a greedy pick — then the book's untrained GPT-2 continuing a prompt.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter11_LinearLayerAndProjection", summary: "from hidden states to next-token probabilities")
let prompt = options.string("--prompt", default: "Hello, I am", help: "the prompt the untrained GPT-2 continues")
let steps = options.int("--tokens", default: 6, help: "how many tokens to add greedily")
let seed = options.int("--seed", default: 123, help: "seed of the model's random weights")
let hiddenScale = options.float("--hidden-scale", default: 1, help: "11.1: multiply the toy hidden state by this number first")
let trainedPrompt = options.string("--trained-prompt", default: "ROMEO:\nI will", help: "what the trained character model (data/shakespeare-char) continues")
let promptIDs = options.optionalString("--prompt-ids", help: "next: the prompt as token ids, e.g. 1,2,3", placeholder: "IDS")
let topK = options.int("--top-k", default: 10, help: "next: how many of the most likely next tokens to print")
options.positional("forward MODEL_DIR IN OUT", help: "run a Hugging Face checkpoint (a directory, or a Hub id in the cache) on input_ids from IN.safetensors, write logits to OUT")
options.positional("| next MODEL", help: "the most likely next tokens of any checkpoint (a directory or a cached Hub id) after --prompt")
options.epilogue = """
Try: --prompt "The meaning of life is" --tokens 10
     forward path/to/gpt2 inputs.safetensors logits.safetensors
     next path/to/model --prompt "The capital of France is" --top-k 5
"""
options.parse()
if options.positional.first == "forward" { runForwardCommand(Array(options.positional.dropFirst()), options: options) }
if options.positional.first == "next" {                                           // NextToken.swift
    runNextTokenCommand(Array(options.positional.dropFirst()), prompt: prompt.value, promptIDs: promptIDs.value, topK: topK.value, options: options)
}
if let extra = options.positional.first { options.fail("unknown command \(extra) (the commands are forward and next)") }
if !(hiddenScale.value > 0 && hiddenScale.value <= 1e6) { options.fail("--hidden-scale must be above 0 and at most 1e6, got \(hiddenScale.value)") }
if steps.value < 1 || steps.value > 50 { options.fail("--tokens must be between 1 and 50, got \(steps.value)") }

chapterTitle(11, "The linear layer and projection")

// MARK: - A tiny example by hand

section("11.1 From a hidden state to a next token, by hand")
say("""
After the last transformer block every position holds a vector of d numbers. Three steps \
turn the last position's vector into a choice: the final LayerNorm, a linear layer with one \
output per vocabulary entry (the logits), and softmax to probabilities. A toy model with \
d = 4 and a vocabulary of 5 words:
""")
let vocabulary = ["the", "cat", "sat", "on", "mat"]
let hidden = Tensor([[2.0, -1.0, 0.5, 3.0]]) * hiddenScale.value              // (1, d)
Tensor.manualSeed(UInt64(seed.value))
let toyNorm = LayerNorm(4)
let toyHead = Linear(4, 5, bias: false)
show("last hidden state", hidden)
let normed = toyNorm(hidden)                                                   // (1, d)
show("after the final LayerNorm", normed)
show("head weight (vocabulary × d)", toyHead.weight)
let toyLogits = toyHead(normed)                                                // (1, V)
show("logits = normed · Wᵀ", toyLogits)
let toyProbabilities = toyLogits.softmax(axis: -1)                             // (1, V)
show("softmax(logits)", toyProbabilities)
let toyPick = toyProbabilities.argmax()
print("greedy choice: the largest probability, index \(toyPick) → \"\(vocabulary[toyPick])\"")
print("")
print(barChart(labels: vocabulary, values: toyProbabilities.data), terminator: "")

// MARK: - Weight tying

section("11.2 Weight tying")
let book = GPTConfig.gpt2Small124M
var tied = book
tied.tiedHead = true
say("""
The head maps d = \(book.embeddingDim) numbers to \(grouped(book.vocabSize)) logits: a \(grouped(book.vocabSize)) × \(book.embeddingDim) \
matrix — the same shape as the token embedding, which maps ids to vectors. GPT-2 uses one \
matrix for both ("weight tying"): the logit of a token is the dot product of the hidden \
state with that token's own embedding.
""")
table(["GPT-2 small (the book's configuration)", "parameters"], [
    ["separate output head", grouped(ParameterCount.gpt(book))],
    ["head tied to the token embedding", grouped(ParameterCount.gpt(tied))],
    ["saved by tying", grouped(ParameterCount.gpt(book) - ParameterCount.gpt(tied))],
], rightAligned: [1])

// MARK: - The book's untrained GPT-2

section("11.3 The book's GPT-2, untrained, continues \"\(prompt.value)\"")
let tokenizer: GPT2Tokenizer
do { tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2")) } catch { options.fail("\(error)") }
var ids = tokenizer.encode(prompt.value)
if ids.isEmpty { options.fail("--prompt is empty") }
if ids.count + steps.value > book.contextLength { options.fail("--prompt is \(ids.count) tokens; with --tokens it must fit in \(book.contextLength)") }
say("""
The book's GPT_CONFIG_124M (12 layers, 12 heads, d 768, no QKV bias, untied head), \
initialised with PyTorch's generator at seed \(seed.value) in the book's order, in evaluation mode \
(no dropout). The prompt is \(ids.count) tokens, \(ids). Each step runs the model on everything \
so far and appends the token with the largest logit at the last position:
""")
Tensor.manualSeed(UInt64(seed.value))
let model = withNoGrad { GPTModel(book) }
model.eval()
var rows: [[String]] = []
withNoGrad {
    for _ in 0..<steps.value {
        let logits = model(ids, shape: [1, ids.count])                            // (1, T, V)
        let last = logits.select(1, ids.count - 1).select(0, 0)                  // (V,)
        let probabilities = last.softmax(axis: -1)                               // (V,)
        let next = probabilities.argmax()
        rows.append([String(next), quoted(tokenizer.decode([next])), fixed(last[next]), String(format: "%.6f", Double(probabilities[next]))])
        ids.append(next)
    }
}
table(["id", "token", "logit", "probability"], rows, rightAligned: [0, 2, 3])
print("\nids:  \(ids)")
print("text: \(quoted(tokenizer.decode(ids)))")
say("""

Untrained, even the best choice has a probability of a few ten-thousandths (a uniform guess \
would give 1/50,257 ≈ 0.00002), and the text is gibberish — but it is the book's gibberish, token for token (27018, 24086, 47843, 30961, 42348, 7267). \
Chapter 14 trains a model until the choices make sense — the next section runs one.
""")

// MARK: - A trained model

section("11.4 The same projection in a trained model")
let (trained, trainedTokenizer): (GPTModel, CheckpointTokenizer)
do { (trained, trainedTokenizer) = try loadShippedModel(dataDirectory: dataDirectory()) } catch { options.fail("\(error)") }
var trainedIDs: [Int]
do { trainedIDs = try trainedTokenizer.encodeChecked(trainedPrompt.value) } catch { options.fail("--trained-prompt: \(error)") }
if trainedIDs.isEmpty || trainedIDs.count >= trained.config.contextLength {
    options.fail("--trained-prompt must have 1 to \(trained.config.contextLength - 1) characters")
}
say("""
The character-level GPT that chapter 14 trained on tiny Shakespeare (data/shakespeare-char: \
\(trained.config.numLayers) layers, d = \(trained.config.embeddingDim), \(trained.config.vocabSize) characters, the head tied to the \
embedding). After \(quoted(trainedPrompt.value)), the final LayerNorm and the head turn the last \
position's \(trained.config.embeddingDim) numbers into \(trained.config.vocabSize) logits; the most likely next characters:
""")
let trainedLogits = withNoGrad { trained.lastLogits(trainedIDs, shape: [1, trainedIDs.count], cache: nil) }   // (1, V)
let trainedProbabilities = trainedLogits.select(0, 0).softmax(axis: -1)                                       // (V,)
let probabilities = trainedProbabilities.data
let ranked = probabilities.indices.sorted { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1 }.prefix(8)
print(barChart(labels: ranked.map { quoted(trainedTokenizer.tokenizer.decode([$0])) }, values: ranked.map { probabilities[$0] }), terminator: "")
let continuation = generate(trained, prompt: trainedIDs, maxNewTokens: 60)
print("\ngreedy, 60 characters: \(quoted(trainedTokenizer.tokenizer.decode(trainedIDs + continuation)))")
say("""
Trained, the probability piles onto a few sensible characters instead of spreading over all \
of them: the model has learned spelling, words and the shape of a play.
""")

section("11.5 Any checkpoint")
say("""
`forward MODEL_DIR IN.safetensors OUT.safetensors` loads a Hugging Face directory \
(config.json + model.safetensors, or its shards) of GPT-2, the Llama family (Llama 1–3, \
Mistral, Mixtral, Qwen2, Qwen3, Gemma), Marian or BERT, runs it on the `input_ids` in IN, and \
writes the logits (BERT: `last_hidden_state`). The tests check it against transformers on \
every architecture; the README's family tree says what each one changes.
""")
