// Chapter 12 — Finding the next word: from logits to a choice. Greedy decoding, temperature,
// top-k, top-p, min-p, repetition and frequency penalties, and beam search, on the book's
// toy vocabulary first, then on a model of real text.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

let options = Options(program: "Chapter12_FindingTheNextWord", summary: "greedy, temperature, top-k, top-p, min-p, penalties, beam search")
let seed = options.int("--seed", default: 123, help: "seed of the sampling generator")
let draws = options.int("--draws", default: 1000, help: "samples drawn per temperature")
let topKFlag = options.int("--top-k", default: 3, help: "k for top-k")
let topPFlag = options.float("--top-p", default: 0.9, help: "p for nucleus sampling")
let minPFlag = options.float("--min-p", default: 0.1, help: "threshold for min-p, relative to the most likely token")
let temperaturesFlag = options.string("--temperatures", default: "0.1,1,5", help: "the temperatures of 12.2, comma-separated",
                                      placeholder: "T,T,…")
let svgDirectory = options.optionalString("--svg", help: "also write the temperature charts as SVG files into DIR", placeholder: "DIR")
options.epilogue = """
Try: --top-k 5 --top-p 0.5 --min-p 0.3
     --temperatures 1,1.5,2,3 --draws 10000   (when does "pizza" first come up?)
"""
options.parse()
let temperatures = temperaturesFlag.value.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
if temperatures.isEmpty || temperatures.contains(where: { $0 == nil || !($0! > 0 && $0! <= 100) }) {
    options.fail("--temperatures must be a comma-separated list of numbers above 0 and at most 100, got \(temperaturesFlag.value)")
}
if draws.value < 1 || topKFlag.value < 1 || !(0.0...1.0).contains(topPFlag.value) || !(0.0...1.0).contains(minPFlag.value) {
    options.fail("--draws and --top-k must be positive, --top-p and --min-p between 0 and 1")
}

chapterTitle(12, "Finding the next word")

let vocabulary = ["closer", "every", "effort", "forward", "inches", "moves", "pizza", "toward", "you"]
let logits: [Float] = [4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79]

// MARK: - Greedy

section("12.1 From logits to a word")
say("""
The book's toy example: a vocabulary of 9 words, and the logits a model gave them after \
"every effort moves you". Softmax turns them into probabilities; greedy decoding takes the \
largest:
""")
let probabilities = softmax(logits)
print(barChart(labels: vocabulary.map { "\($0) \(fixed(logits[vocabulary.firstIndex(of: $0)!], 2))" }, values: probabilities, width: 36), terminator: "")
print("greedy: \"\(vocabulary[Sampler().next(logits)])\" — and always the same word, however often we ask")

// MARK: - Temperature

section("12.2 Sampling, and temperature")
say("""
Sampling draws a word with its probability instead, so text varies. Dividing the logits by a \
temperature T first reshapes the distribution: T < 1 sharpens it (towards greedy), T > 1 \
flattens it (towards uniform, more surprising — and more nonsense). \(grouped(draws.value)) seeded draws \
at each temperature:
""")
var temperatureRows: [[String]] = []
var charts: [(Float, [Float])] = []
for t in temperatures.map({ $0! }) {
    let sampler = Sampler(greedy: false, temperature: t, seed: UInt64(seed.value))
    var counts = [Int](repeating: 0, count: vocabulary.count)
    for _ in 0..<draws.value { counts[sampler.next(logits)] += 1 }
    let p = softmax(Filters.temperature(logits, t))
    charts.append((t, p))
    print("temperature \(t):")
    print(barChart(labels: vocabulary, values: p, width: 36), terminator: "")
    print("  drawn: " + vocabulary.indices.filter { counts[$0] > 0 }.map { "\(counts[$0]) × \(vocabulary[$0])" }.joined(separator: ", ") + "\n")
    temperatureRows.append([String(t), fixed(p.max()!), String(p.filter { $0 > 0.01 }.count)])
}
say("""
(The draws come from the course's seeded generator; PyTorch's `torch.multinomial` draws \
through Intel MKL on x86, so its exact counts differ, but not their proportions.)
""")
if let directory = svgDirectory.value {
    for (t, p) in charts {
        options.saveFigure(Figures.barChart(labels: vocabulary, values: p.map(Double.init), title: "Next-word probabilities at temperature \(t)",
                                            yLabel: "probability"), "chapter12-temperature-\(t).svg", into: directory)
    }
}

// MARK: - Filters

section("12.3 Cutting off the unlikely tail: top-k, top-p, min-p")
let tail = [1, 2, 4, 5, 6, 8]                     // every effort inches moves pizza you
let tailProbability = tail.map { probabilities[$0] }.reduce(0, +)
say("""
At T = 1 the six unlikely words (every, effort, inches, moves, pizza, you) together have \
probability \(fixed(tailProbability)) — about one draw in \(Int((1 / tailProbability).rounded())) — and "pizza" alone \
\(fixed(probabilities[6])), one draw in about \(grouped(Int((1 / probabilities[6] / 1000).rounded()) * 1000)). Rare for one word, \
but a text is hundreds of draws, and one bad word derails the rest. The filters set the \
logits of unlikely words to −∞ before sampling:
""")
print("""
  top-k   keeps the k largest logits (k = \(topKFlag.value))
  top-p   (nucleus) keeps the most likely words until their probabilities add up to p (p = \(topPFlag.value))
  min-p   keeps words at least min-p times as likely as the best one (min-p = \(minPFlag.value))

""", terminator: "")
let topK = Filters.topK(logits, topKFlag.value)
print("top-k logits:  [" + topK.map { $0 == -.infinity ? "-inf" : fixed($0, 2) }.joined(separator: ", ") + "]")
show("softmax of the top-k logits", Tensor(softmax(topK)))
var filterRows: [[String]] = []
func describe(_ name: String, _ l: [Float]) {
    let p = softmax(l)
    filterRows.append([name, vocabulary.indices.filter { l[$0] > -.infinity }.map { vocabulary[$0] }.joined(separator: " "),
                       fixed(p[3]), fixed(p[7])])
}
describe("none (T = 1)", logits)
describe("temperature 0.5", Filters.temperature(logits, 0.5))
describe("top-k \(topKFlag.value)", topK)
describe("top-p \(topPFlag.value)", Filters.topP(logits, topPFlag.value))
describe("min-p \(minPFlag.value)", Filters.minP(logits, minPFlag.value))
print("")
table(["filter", "words that can still be drawn", "p(forward)", "p(toward)"], filterRows, rightAligned: [2, 3])

// MARK: - Penalties

section("12.4 Repetition and frequency penalties")
say("""
Models love to repeat themselves. Suppose "forward" and "toward" were already generated, \
"forward" twice. Hugging Face's repetition penalty divides a repeated word's (positive) \
logit by the penalty; OpenAI's frequency penalty subtracts penalty × its count:
""")
let history = [3, 3, 7]
var penaltyRows: [[String]] = []
for (name, l) in [("none", logits), ("repetition 1.2", Filters.repetitionPenalty(logits, history: history, 1.2)),
                  ("frequency 0.5", Filters.frequencyPenalty(logits, history: history, 0.5))] {
    let p = softmax(l)
    penaltyRows.append([name, fixed(l[3], 2), fixed(l[7], 2), fixed(p[3]), fixed(p[7]), vocabulary[Sampler().next(l)]])
}
table(["penalty", "logit forward", "logit toward", "p(forward)", "p(toward)", "greedy"], penaltyRows, rightAligned: [1, 2, 3, 4])

// MARK: - Beam search

section("12.5 Beam search")
let tokenizer: GPT2Tokenizer
let verdict: String
do {
    tokenizer = try GPT2Tokenizer(directory: dataDirectory().appendingPathComponent("gpt2"))
    verdict = try readDataText("the-verdict.txt")
} catch { options.fail("\(error)") }
// A bigram model of The Verdict: log P(next | previous) from counts, with add-0.01 smoothing.
let ids = tokenizer.encode(verdict)
var bigrams: [Int: [Int: Int]] = [:]
for (a, b) in zip(ids, ids.dropFirst()) { bigrams[a, default: [:]][b, default: 0] += 1 }
let seen = Array(Set(ids)).sorted()
func nextLogits(_ sequence: [Int]) -> [Float] {
    let counts = bigrams[sequence.last!] ?? [:]
    return seen.map { Foundation.log(Float(counts[$0] ?? 0) + 0.01) }
}
say("""
Greedy decoding commits to the best next word even when it leads nowhere good. Beam search \
keeps the k most probable sequences so far and extends each, comparing whole sequences by \
their total log-probability. A bigram model of The Verdict (the probability of each GPT-2 \
token given the one before), continuing "I had" and "I saw" by 5 tokens:
""")
/// The total log-probability the bigram model gives the tokens of `sequence` after its first `promptLength`.
func logProbability(_ sequence: [Int], promptLength: Int) -> Float {
    var total: Float = 0
    for k in promptLength..<sequence.count {
        let logProbabilities = logSoftmax(nextLogits(Array(sequence[..<k])))
        total += logProbabilities[seen.firstIndex(of: sequence[k])!]
    }
    return total
}
var beamRows: [[String]] = []
var beamScores: [String: [Float]] = [:]          // prompt → [greedy, then each beam width]
for promptText in ["I had", "I saw"] {
    let prompt = tokenizer.encode(promptText)
    var greedy = prompt
    for _ in 0..<5 { let l = nextLogits(greedy); greedy.append(seen[l.indices.max { l[$0] < l[$1] }!]) }
    let greedyScore = logProbability(greedy, promptLength: prompt.count)
    beamRows.append([quoted(promptText), "greedy", quoted(tokenizer.decode(greedy)), fixed(greedyScore)])
    beamScores[promptText] = [greedyScore]
    for beams in [2, 3, 5, 10] {
        let best = beamSearch(prompt: prompt.map { seen.firstIndex(of: $0)! }, beams: beams, steps: 5) { sequences in
            sequences.map { nextLogits($0.map { seen[$0] }) }
        }[0]
        let tokens = best.ids.map { seen[$0] }
        beamRows.append(["", "\(beams) beams", quoted(tokenizer.decode(tokens)), fixed(best.logProbability)])
        beamScores[promptText]!.append(best.logProbability)
    }
}
table(["prompt", "method", "text", "log-probability"], beamRows, rightAligned: [3])
let saw = beamScores["I saw"]!
say("""
Wider beams usually find more probable sequences, but nothing guarantees it. Continuing \
"I saw", 3 beams end at \(fixed(saw[2])), below greedy's \(fixed(saw[0])) and below 2 beams' \
\(fixed(saw[1])): at some step the 3 best partial sequences all outranked the prefix that \
would have led to the better ending, so it was dropped. Beam search is a heuristic; only an \
exhaustive search (a beam as wide as every possible sequence) is sure to find the most \
probable one. It suits tasks with one right answer (translation); for open-ended text its \
most probable sequences tend to be bland and repetitive, which is why chat models sample.
""")

// MARK: - A trained model

section("12.6 The same choices on a trained model")
let (trained, trainedTokenizer): (GPTModel, CheckpointTokenizer)
do { (trained, trainedTokenizer) = try loadShippedModel(dataDirectory: dataDirectory()) } catch { options.fail("\(error)") }
let start = "KING HENRY:\n"
let startIDs = trainedTokenizer.tokenizer.encode(start)
say("""
The character model chapter 14 trained on tiny Shakespeare (data/shakespeare-char), \
continuing \(quoted(start)) for 100 characters with each strategy (sampling seeded with \(seed.value)):
""")
let strategies: [(String, Sampler)] = [
    ("greedy", Sampler()),
    ("temperature 0.5", Sampler(greedy: false, temperature: 0.5, seed: UInt64(seed.value))),
    ("temperature 1.0", Sampler(greedy: false, temperature: 1.0, seed: UInt64(seed.value))),
    ("temperature 1.5", Sampler(greedy: false, temperature: 1.5, seed: UInt64(seed.value))),
    ("top-k \(topKFlag.value), temperature 0.8", Sampler(greedy: false, temperature: 0.8, topK: topKFlag.value, seed: UInt64(seed.value))),
    ("top-p \(topPFlag.value), temperature 0.8", Sampler(greedy: false, temperature: 0.8, topP: topPFlag.value, seed: UInt64(seed.value))),
]
for (name, sampler) in strategies {
    let out = generate(trained, prompt: startIDs, maxNewTokens: 100, sampler: sampler)
    print("\(name):")
    print(trainedTokenizer.tokenizer.decode(startIDs + out).split(separator: "\n", omittingEmptySubsequences: false)
        .map { $0.isEmpty ? "  │" : "  │ " + $0 }.joined(separator: "\n"))
}
say("""
Greedy follows the single most likely path: plausible, the same every time, and given a \
longer run it falls into loops. A low temperature stays close to it; 1.0 samples the \
model's own distribution, odd names and all; 1.5 invents words. Cutting the tail (top-k, \
top-p) keeps the variety and loses most of the misspellings.
""")

section("What to remember")
say("""
The model gives logits; a decoding strategy turns them into text. Greedy is deterministic; \
temperature trades safety for variety; top-k, top-p and min-p remove the unlikely tail; \
penalties fight repetition; beam search optimises whole sequences. Chapter 13 runs the loop \
that calls the model once per token, and makes it fast.
""")
