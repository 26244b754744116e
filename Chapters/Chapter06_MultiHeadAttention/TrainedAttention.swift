// Chapter 6's trained heads: the attention weights of the model chapter 14 trained on tiny
// Shakespeare (data/shakespeare-char, 4 layers × 4 heads) reading a real line, and what each
// head learned to look at, measured.
// Tests/Fixtures/trained-attention/make_trained_attention.py computes the same with transformers.

import CourseKit
import Foundation
import LLMKit
import TensorKit

/// What one head does on a line, averaged over the query positions 1 … T−1 (position 0 can
/// only look at itself).
struct HeadMeasures {
    var layer: Int, head: Int
    /// The weight a character puts on itself.
    var onSelf: Float
    /// On the character just before it.
    var onPrevious: Float
    /// On the first character of its word, over the positions at least two characters into a
    /// word (where the start is neither the character itself nor the previous one).
    var onWordStart: Float
    /// On the line's first character.
    var onFirst: Float
    /// The mean distance back, Σⱼ weight(j) · (i − j).
    var distance: Float

    /// A short description of the largest habit, by fixed thresholds.
    var habit: String {
        if onWordStart >= 0.5 { return "the start of the current word" }
        if onPrevious >= 0.35 { return "the previous character" }
        if onSelf >= 0.35 { return "the character itself" }
        if onFirst >= 0.25 { return "the first character (a resting place)" }
        if distance >= 8 { return "everything before, about evenly" }
        return "the last few characters"
    }
}

/// Where the word holding character `i` of `text` starts: position 0 or just after a space or
/// newline (a space belongs to the word before it).
func wordStart(_ i: Int, in text: [Character]) -> Int {
    var j = i
    while j > 0 && text[j - 1] != " " && text[j - 1] != "\n" { j -= 1 }
    return j
}

/// The measures of one head's weights (T, T) on `text`.
func measure(_ weights: Tensor, text: [Character], layer: Int, head: Int) -> HeadMeasures {
    let t = text.count
    let w = weights.data
    func a(_ i: Int, _ j: Int) -> Float { w[i * t + j] }
    let queries = 1..<t
    let deep = queries.filter { wordStart($0, in: text) < $0 - 1 }
    func mean(_ values: [Float]) -> Float { values.reduce(0, +) / Float(max(1, values.count)) }
    return HeadMeasures(
        layer: layer, head: head,
        onSelf: mean(queries.map { a($0, $0) }),
        onPrevious: mean(queries.map { a($0, $0 - 1) }),
        onWordStart: mean(deep.map { a($0, wordStart($0, in: text)) }),
        onFirst: mean(queries.map { a($0, 0) }),
        distance: mean(queries.map { i in (0...i).reduce(Float(0)) { $0 + a(i, $1) * Float(i - $1) } }))
}

/// The attention weights (heads, T, T) of every layer of `model` reading `ids`.
func attentionWeights(_ model: GPTModel, _ ids: [Int]) -> [Tensor] {
    model.evaluating {
        withNoGrad { _ = model(ids, shape: [1, ids.count]) }                  // (1, T, V), only for the weights
        return model.blocks.map { $0.attn.lastWeights!.select(0, 0) }        // (heads, T, T) per layer
    }
}

/// How a character is shown in a one-character column header or a row label.
func visible(_ c: Character) -> Character { c == " " ? "␣" : (c == "\n" ? "⏎" : c) }

/// Prints what each trained head looks at, one head's weights as a shade map (or the two most
/// telling heads'), and writes every head's heatmap as SVG when `svgDirectory` is given.
func showTrainedAttention(_ model: GPTModel, ids: [Int], text: [Character], focus: (layer: Int, head: Int)?,
                          svgDirectory: String?) -> [HeadMeasures] {
    let weights = attentionWeights(model, ids)
    var measures: [HeadMeasures] = []
    for (layer, perLayer) in weights.enumerated() {
        for head in 0..<perLayer.shape[0] { measures.append(measure(perLayer.select(0, head), text: text, layer: layer, head: head)) }
    }
    // a head that attends evenly to everything before: weight 1/(i+1) on each of 0 … i
    let t = text.count
    let even = Tensor(shape: [t, t], data: (0..<(t * t)).map { $0 % t <= $0 / t ? 1 / Float($0 / t + 1) : 0 })   // (T, T)
    let uniform = measure(even, text: text, layer: -1, head: -1)
    func percent(_ x: Float) -> String { String(format: "%.0f %%", Double(x) * 100) }
    var rows = measures.map { m in
        ["\(m.layer).\(m.head)", percent(m.onSelf), percent(m.onPrevious), percent(m.onWordStart), percent(m.onFirst),
         String(format: "%.1f", Double(m.distance)), m.habit]
    }
    rows.append(["even", percent(uniform.onSelf), percent(uniform.onPrevious), percent(uniform.onWordStart),
                 percent(uniform.onFirst), String(format: "%.1f", Double(uniform.distance)), "(a head attending evenly, for comparison)"])
    table(["layer.head", "itself", "previous", "word start", "first", "distance", "looks mostly at"], rows,
          rightAligned: [1, 2, 3, 4, 5])

    let shown: [HeadMeasures]
    if let focus {
        shown = measures.filter { $0.layer == focus.layer && $0.head == focus.head }
    } else {
        shown = [measures.max { $0.onWordStart < $1.onWordStart }!, measures.max { $0.onPrevious < $1.onPrevious }!]
    }
    let header = text.map(visible)
    let rowLabels = text.enumerated().map { "\(pad(String($0.offset), 2, right: true)) \(visible($0.element))" }
    for m in shown {
        print("\nlayer \(m.layer), head \(m.head) — \(m.habit): row i is character i, column j the character it reads")
        print(shadeMap(weights[m.layer].select(0, m.head), rowLabels: rowLabels, columnLabels: header, range: 0...1), terminator: "")
    }
    if let directory = svgDirectory {
        print("")
        let labels = text.enumerated().map { "\($0.offset) \(visible($0.element))" }
        for m in measures {
            options.saveFigure(Figures.heatmap(weights[m.layer].select(0, m.head), rowLabels: labels, columnLabels: labels,
                                               title: "Layer \(m.layer), head \(m.head): \(m.habit)", range: 0...1),
                               "chapter06-layer\(m.layer)-head\(m.head).svg", into: directory)
        }
    }
    return measures
}
