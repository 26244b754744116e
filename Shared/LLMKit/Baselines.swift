// The numbers a trained language model must beat, computed by counting instead of learning:
// a unigram model (how often each token occurs) and a bigram model (how often each token
// follows each other token), both with add-α smoothing so that nothing has probability zero.

import Foundation

/// A counted n-gram model of order 1 (unigram) or 2 (bigram) over token ids.
///
///     let bigram = CountedNGram(order: 2, training: ids, vocabularySize: 65)
///     bigram.probability(of: 43, after: 58)        // (count(58, 43) + 1) / (count(58, ·) + 65)
///     bigram.meanLoss(on: validationWindows)       // mean −log p over every window's targets
public struct CountedNGram {
    /// 1: P(next) from token counts; 2: P(next | previous) from pair counts.
    public let order: Int
    public let vocabularySize: Int
    /// The pseudo-count added to every count (1: Laplace's add-one).
    public let smoothing: Double
    private var pairs: [Int: Int] = [:]            // previous · V + next → count
    private var contexts: [Int] = []               // previous → pairs starting with it
    private var tokens: [Int] = []                 // token → count
    private var total = 0

    /// Counts `training`: every token (order 1) or every pair of neighbours (order 2).
    public init(order: Int, training ids: [Int], vocabularySize: Int, smoothing: Double = 1) {
        precondition(order == 1 || order == 2, "CountedNGram: order must be 1 or 2, got \(order)")
        precondition(smoothing > 0, "CountedNGram: smoothing must be positive, got \(smoothing)")
        precondition(ids.allSatisfy { $0 >= 0 && $0 < vocabularySize }, "CountedNGram: a token id is outside 0..<\(vocabularySize)")
        self.order = order
        self.vocabularySize = vocabularySize
        self.smoothing = smoothing
        tokens = [Int](repeating: 0, count: vocabularySize)
        contexts = [Int](repeating: 0, count: vocabularySize)
        for id in ids { tokens[id] += 1 }
        total = ids.count
        for (a, b) in zip(ids, ids.dropFirst()) {
            pairs[a * vocabularySize + b, default: 0] += 1
            contexts[a] += 1
        }
    }

    /// P(next | previous) for a bigram, P(next) for a unigram (which ignores `previous`).
    public func probability(of next: Int, after previous: Int) -> Double {
        let v = Double(vocabularySize)
        if order == 1 { return (Double(tokens[next]) + smoothing) / (Double(total) + smoothing * v) }
        return (Double(pairs[previous * vocabularySize + next] ?? 0) + smoothing) / (Double(contexts[previous]) + smoothing * v)
    }

    /// The mean of −log p over every target of every window: the same positions a model's
    /// loss on `data` averages over (each input token predicting the target at its position).
    public func meanLoss(on data: SlidingWindowDataset) -> Double {
        precondition(data.count > 0, "CountedNGram.meanLoss: no window")
        var sum = 0.0
        for w in 0..<data.count {
            let (input, target) = data[w]
            for (a, b) in zip(input, target) { sum -= Foundation.log(probability(of: b, after: a)) }
        }
        return sum / Double(data.count * data.maxLength)
    }
}
