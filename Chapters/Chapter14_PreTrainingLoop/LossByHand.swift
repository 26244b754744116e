// Chapter 14's loss, taken apart: for two windows, the probability the model gives every target
// token, −log of it, and their mean — the number the fused `crossEntropy` returns — with its
// perplexity and the uniform guess's ln V; and the learning rate of the first steps.

import CourseKit
import Foundation
import LLMKit
import TensorKit

/// What the by-hand computation found: the mean of −log p over every target, in Double, and
/// `crossEntropy` on the same logits.
struct LossByHand {
    var byHand: Double
    var fused: Float
    var targets: Int
}

/// Prints, for the windows `indices` of `data`, the first `shown` targets of each window with
/// their probability and −log p, then the mean over all targets next to `crossEntropy`.
@discardableResult
func showLossByHand(_ model: GPTModel, _ data: SlidingWindowDataset, windows indices: [Int], tokenizer: CheckpointTokenizer,
                    shown: Int = 5) -> LossByHand {
    let batch = data.batch(indices)
    let vocabulary = model.config.vocabSize
    let logits = model.evaluating { withNoGrad { model(batch.inputs, shape: batch.shape) } }   // (W, T, V)
    let rows = logits.reshape([-1, vocabulary])                                               // (W·T, V)
    let values = rows.data
    // −log softmax(row)[target] = log Σ exp(z) − z[target], in Double, one row at a time
    let negativeLogs: [Double] = (0..<rows.shape[0]).map { r in
        let row = values[(r * vocabulary)..<((r + 1) * vocabulary)]
        let top = Double(row.max()!)
        let logSum = top + Foundation.log(row.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) })
        return logSum - Double(row[r * vocabulary + batch.targets[r]])
    }
    let t = batch.shape[1]
    let isChar = tokenizer.kind == "char"
    func text(_ ids: ArraySlice<Int>) -> String { quoted(tokenizer.tokenizer.decode(Array(ids))) }
    var tableRows: [[String]] = []
    for (w, window) in indices.enumerated() {
        for k in 0..<min(shown, t) {
            let r = w * t + k
            let context = batch.inputs[(w * t + max(0, k - (isChar ? 11 : 3)))...(w * t + k)]
            tableRows.append(["\(window)", "\(k)", "…" + text(context), text(batch.targets[r...r]),
                              probability(Foundation.exp(-negativeLogs[r])), fixed(Float(negativeLogs[r]), 4)])
        }
        if t > shown { tableRows.append(["", "…", "", "", "", ""]) }
    }
    table(["window", "position", "reads", "next token", "p(next)", "−log p"], tableRows, rightAligned: [0, 1, 4, 5])
    let byHand = negativeLogs.reduce(0, +) / Double(negativeLogs.count)
    let fused = rows.crossEntropy(targets: batch.targets).item
    print("mean of −log p over all \(grouped(negativeLogs.count)) targets (\(indices.count) × \(t)), by hand: \(String(format: "%.5f", byHand))")
    print("crossEntropy on the same logits (TensorKit, fused):         \(fixed(fused, 5))")
    print("perplexity e^loss: \(fixed(Float(Foundation.exp(byHand)), 1)); a uniform guess over \(grouped(vocabulary)) tokens: "
          + "ln \(vocabulary) = \(fixed(Float(Foundation.log(Double(vocabulary))), 5)), perplexity \(grouped(vocabulary))")
    return LossByHand(byHand: byHand, fused: fused, targets: negativeLogs.count)
}

/// A probability with 4 significant digits: 0.4213, 0.01234, 1.990e-05.
func probability(_ p: Double) -> String {
    String(format: p < 0.001 ? "%.3e" : (p < 0.01 ? "%.5f" : "%.4f"), p)
}

/// Prints the learning rate of the first steps and a few later ones: linear warm-up, then the
/// half cosine (`TrainingSettings.learningRate(at:)`), each with the formula it came from.
func showLearningRates(_ settings: TrainingSettings) {
    let warm = settings.warmupSteps
    var steps = Array(0..<min(settings.steps, warm + 2))
    for s in [settings.steps / 2, settings.steps - 1] where s > (steps.last ?? -1) { steps.append(s) }
    let rows: [[String]] = steps.map { s in
        let formula: String
        if s < warm {
            formula = "\(scientific(settings.learningRate)) × \(s + 1)/\(warm)"
        } else if settings.cosineDecay {
            let progress = Double(s - warm) / Double(max(1, settings.steps - 1 - warm))
            formula = "\(scientific(settings.minLearningRate)) + ½(1 + cos(π · \(String(format: "%.3f", progress)))) · "
                + "(\(scientific(settings.learningRate)) − \(scientific(settings.minLearningRate)))"
        } else {
            formula = "constant"
        }
        return ["\(s + 1)", String(format: "%.6f", Double(settings.learningRate(at: s))), formula]
    }
    table(["step", "learning rate", "from"], rows, rightAligned: [0, 1])
}
