// Choosing the next token from the model's logits: greedy, temperature, top-k, top-p
// (nucleus), min-p, repetition and frequency penalties — each a small function on one
// distribution, composed by `Sampler`.

import Foundation
import TensorKit

public enum Filters {
    /// Divides the logits by the temperature: below 1 sharpens the distribution, above 1 flattens it.
    public static func temperature(_ logits: [Float], _ t: Float) -> [Float] {
        precondition(t > 0, "temperature must be positive, got \(t)")
        return logits.map { $0 / t }
    }

    /// Keeps the k largest logits (ties at the k-th value are kept too), the rest become −∞.
    public static func topK(_ logits: [Float], _ k: Int) -> [Float] {
        guard k > 0 && k < logits.count else { return logits }
        let threshold = logits.sorted(by: >)[k - 1]
        return logits.map { $0 >= threshold ? $0 : -.infinity }
    }

    /// Nucleus sampling: keeps the most likely tokens whose probabilities add up to at least
    /// `p` (always at least one), the rest become −∞.
    public static func topP(_ logits: [Float], _ p: Float) -> [Float] {
        guard p < 1 else { return logits }
        let probabilities = softmax(logits)
        let order = probabilities.indices.sorted { probabilities[$0] != probabilities[$1] ? probabilities[$0] > probabilities[$1] : $0 < $1 }
        var kept = Set<Int>(), cumulative: Float = 0
        for i in order {
            kept.insert(i)
            cumulative += probabilities[i]
            if cumulative >= p { break }
        }
        return logits.indices.map { kept.contains($0) ? logits[$0] : -.infinity }
    }

    /// Min-p: keeps tokens whose probability is at least `minP` times the largest one.
    public static func minP(_ logits: [Float], _ minP: Float) -> [Float] {
        guard minP > 0 else { return logits }
        let probabilities = softmax(logits)
        let threshold = minP * (probabilities.max() ?? 0)
        return logits.indices.map { probabilities[$0] >= threshold ? logits[$0] : -.infinity }
    }

    /// Hugging Face's repetition penalty: a token already generated has its logit divided by
    /// `penalty` if positive, multiplied if negative — always less likely for penalty > 1.
    public static func repetitionPenalty(_ logits: [Float], history: [Int], _ penalty: Float) -> [Float] {
        guard penalty != 1 else { return logits }
        var out = logits
        for id in Set(history) where id < out.count { out[id] = out[id] > 0 ? out[id] / penalty : out[id] * penalty }
        return out
    }

    /// OpenAI's frequency penalty: subtracts `penalty` × (times the token already occurred).
    public static func frequencyPenalty(_ logits: [Float], history: [Int], _ penalty: Float) -> [Float] {
        guard penalty != 0 else { return logits }
        var out = logits
        var counts: [Int: Int] = [:]
        for id in history { counts[id, default: 0] += 1 }
        for (id, n) in counts where id < out.count { out[id] -= penalty * Float(n) }
        return out
    }
}

/// How to pick the next token. The defaults are greedy decoding.
public struct Sampler {
    public var greedy = true
    public var temperature: Float = 1
    public var topK = 0
    public var topP: Float = 1
    public var minP: Float = 0
    public var repetitionPenalty: Float = 1
    public var frequencyPenalty: Float = 0
    public let generator: TorchGenerator

    public init(greedy: Bool = true, temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, frequencyPenalty: Float = 0, seed: UInt64 = 123) {
        self.greedy = greedy
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.frequencyPenalty = frequencyPenalty
        generator = TorchGenerator(seed: seed)
    }

    /// The logits after the penalties, the temperature and the filters, in that order.
    public func adjusted(_ logits: [Float], history: [Int] = []) -> [Float] {
        var l = Filters.repetitionPenalty(logits, history: history, repetitionPenalty)
        l = Filters.frequencyPenalty(l, history: history, frequencyPenalty)
        if greedy { return l }
        l = Filters.temperature(l, temperature)
        l = Filters.topK(l, topK)
        l = Filters.topP(l, topP)
        return Filters.minP(l, minP)
    }

    /// The next token: the argmax when greedy (the first on ties), else a draw from the
    /// adjusted distribution.
    public func next(_ logits: [Float], history: [Int] = []) -> Int {
        let l = adjusted(logits, history: history)
        if greedy { return l.indices.max { l[$0] < l[$1] || (l[$0] == l[$1] && $0 > $1) }! }
        return draw(softmax(l), generator)
    }
}

/// One draw from a categorical distribution by inverting its cumulative sum with a uniform
/// number from `generator` (the course's own sampler: seeded and repeatable, but not the same
/// draws as `torch.multinomial`, which goes through Intel MKL on x86).
public func draw(_ probabilities: [Float], _ generator: TorchGenerator) -> Int {
    let u = generator.uniformDouble()
    var cumulative = 0.0
    var last = 0
    for (i, p) in probabilities.enumerated() where p > 0 {
        cumulative += Double(p)
        last = i
        if u < cumulative { return i }
    }
    return last
}

// MARK: - Beam search

/// Keeps the `beams` most likely continuations (by total log-probability) at every step
/// instead of committing to one token. `step` gives the next-token logits for each sequence.
/// Returns the best sequences with their log-probabilities, best first.
public func beamSearch(prompt: [Int], beams: Int, steps: Int, step: ([[Int]]) -> [[Float]]) -> [(ids: [Int], logProbability: Float)] {
    var candidates: [(ids: [Int], logProbability: Float)] = [(prompt, 0)]
    for _ in 0..<steps {
        let logits = step(candidates.map(\.ids))
        var expanded: [(ids: [Int], logProbability: Float)] = []
        for (candidate, l) in zip(candidates, logits) {
            let logProbabilities = logSoftmax(l)
            let best = l.indices.sorted { l[$0] != l[$1] ? l[$0] > l[$1] : $0 < $1 }.prefix(beams)
            for id in best { expanded.append((candidate.ids + [id], candidate.logProbability + logProbabilities[id])) }
        }
        candidates = Array(expanded.sorted { $0.logProbability != $1.logProbability ? $0.logProbability > $1.logProbability
                                                                                    : $0.ids.lexicographicallyPrecedes($1.ids) }.prefix(beams))
    }
    return candidates
}
