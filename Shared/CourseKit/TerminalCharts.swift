// Pictures in the terminal: shaded heatmaps, horizontal bar charts and sparklines, drawn
// with Unicode block characters only (no colour codes), so they survive copy and paste and
// compare exactly in the expected-output tests.

import Foundation
import TensorKit

/// Shades from light to dark for values from low to high.
let shades: [Character] = [" ", "░", "▒", "▓", "█"]

/// Draws a 2-D tensor as a grid of shaded cells, each with its value, rows and columns
/// labelled, and a legend line under it. The course's one convention: shading is on a fixed
/// scale, `range` (attention weights and probabilities 0…1, so that pictures compare across
/// heads and chapters), never stretched to the matrix's own smallest and largest values; each
/// cell takes the nearest of five shades, values outside the range the end shades.
///
///                  Your  journey   starts
///     Your        ░0.20    ▒0.55 …
///     shading, fixed scale 0 to 1: blank ≈ 0.00  ░ ≈ 0.25  ▒ ≈ 0.50  ▓ ≈ 0.75  █ ≈ 1.00
public func heatmap(_ matrix: Tensor, rowLabels: [String], columnLabels: [String],
                    range: ClosedRange<Float>, decimals: Int = 2) -> String {
    precondition(matrix.rank == 2, "heatmap: needs a 2-D tensor, got \(describeShape(matrix.shape))")
    let (rows, cols) = (matrix.shape[0], matrix.shape[1])
    precondition(rowLabels.count == rows && columnLabels.count == cols,
                 "heatmap: \(rowLabels.count)×\(columnLabels.count) labels for a \(rows)×\(cols) matrix")
    precondition(range.upperBound > range.lowerBound, "heatmap: the range \(range) is empty")
    let (lo, hi) = (range.lowerBound, range.upperBound)
    let values = matrix.data                                                    // read once
    let cellWidth = max(decimals + 4, columnLabels.map(\.count).max() ?? 0) + 1
    let labelWidth = (rowLabels.map(\.count).max() ?? 0) + 1
    var out = pad("", labelWidth) + columnLabels.map { pad($0, cellWidth, right: true) }.joined() + "\n"
    for r in 0..<rows {
        var line = pad(rowLabels[r], labelWidth)
        for c in 0..<cols {
            let v = values[r * cols + c]
            let text: String
            if v.isFinite {
                let t = (v - lo) / (hi - lo)
                let shade = shades[min(shades.count - 1, max(0, Int((t * Float(shades.count - 1)).rounded())))]
                text = String(shade) + String(format: "%.\(decimals)f", Double(v))
            } else {
                text = v > 0 ? "+inf" : (v < 0 ? "-inf" : "nan")
            }
            line += pad(text, cellWidth, right: true)
        }
        out += line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
    }
    return out + heatmapLegend(range, decimals: max(decimals, 2)) + "\n"
}

/// The legend line under every terminal heatmap: what each shade stands for on `range`.
///
///     heatmapLegend(0...1, decimals: 2)
///     // "shading, fixed scale 0 to 1: blank ≈ 0.00  ░ ≈ 0.25  ▒ ≈ 0.50  ▓ ≈ 0.75  █ ≈ 1.00"
public func heatmapLegend(_ range: ClosedRange<Float>, decimals: Int = 2) -> String {
    let (lo, hi) = (range.lowerBound, range.upperBound)
    let steps = shades.count - 1
    let entries = shades.enumerated().map { i, shade in
        (shade == " " ? "blank" : String(shade)) + " ≈ "
            + String(format: "%.\(decimals)f", Double(lo + (hi - lo) * Float(i) / Float(steps)))
    }
    func short(_ v: Float) -> String { v == v.rounded() ? String(Int(v)) : "\(v)" }
    return "shading, fixed scale \(short(lo)) to \(short(hi)): " + entries.joined(separator: "  ")
}

/// Draws a matrix one character per cell — the shade alone, on the same fixed scale and with
/// the same legend as `heatmap` — for matrices too large for numbered cells, such as the
/// attention weights of a line read character by character. Rows are labelled with
/// `rowLabels`; `columnLabels` must be one character each (printed as a header line).
///
///                O   R o m e o
///     0 "O"     █
///     1 " "     ▓░
///     shading, fixed scale 0 to 1: blank ≈ 0.00  ░ ≈ 0.25  ▒ ≈ 0.50  ▓ ≈ 0.75  █ ≈ 1.00
public func shadeMap(_ matrix: Tensor, rowLabels: [String], columnLabels: [Character], range: ClosedRange<Float>) -> String {
    precondition(matrix.rank == 2, "shadeMap: needs a 2-D tensor, got \(describeShape(matrix.shape))")
    let (rows, cols) = (matrix.shape[0], matrix.shape[1])
    precondition(rowLabels.count == rows && columnLabels.count == cols,
                 "shadeMap: \(rowLabels.count)×\(columnLabels.count) labels for a \(rows)×\(cols) matrix")
    precondition(range.upperBound > range.lowerBound, "shadeMap: the range \(range) is empty")
    let (lo, hi) = (range.lowerBound, range.upperBound)
    let labelWidth = (rowLabels.map(\.count).max() ?? 0) + 1
    let values = matrix.data
    var out = pad("", labelWidth) + String(columnLabels) + "\n"
    for r in 0..<rows {
        let cells = (0..<cols).map { c -> Character in
            let v = values[r * cols + c]
            guard v.isFinite else { return " " }
            return shades[min(shades.count - 1, max(0, Int(((v - lo) / (hi - lo) * Float(shades.count - 1)).rounded())))]
        }
        out += (pad(rowLabels[r], labelWidth) + String(cells)).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) + "\n"
    }
    return out + heatmapLegend(range) + "\n"
}

/// Draws labelled horizontal bars, scaled so the largest value fills `width` characters.
///
///     forward  ████████████████████ 0.5721
///     toward   ████████████▌        0.3429
public func barChart(labels: [String], values: [Float], width: Int = 40, decimals: Int = 4) -> String {
    precondition(labels.count == values.count, "barChart: \(labels.count) labels for \(values.count) values")
    let top = values.map { Swift.abs($0) }.max() ?? 1
    let labelWidth = labels.map(\.count).max() ?? 0
    let eighths: [Character] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"]
    var out = ""
    for (label, v) in zip(labels, values) {
        let length = top > 0 ? Double(Swift.abs(v)) / Double(top) * Double(width) : 0
        let full = Int(length)
        let rest = Int(((length - Double(full)) * 8).rounded(.down))
        var bar = String(repeating: "█", count: full)
        if rest > 0 && full < width { bar.append(eighths[rest - 1]) }
        out += pad(label, labelWidth) + "  " + pad(bar, width) + " " + String(format: "%.\(decimals)f", Double(v)) + "\n"
    }
    return out
}

/// A one-line picture of a series: `▇▆▅▄▃▃▂▂▁▁`. Long series are averaged into `width` buckets.
public func sparkline(_ values: [Float], width: Int = 60) -> String {
    guard !values.isEmpty else { return "" }
    let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    let buckets = min(width, values.count)
    let series: [Float] = (0..<buckets).map { b in
        let lo = b * values.count / buckets, hi = max(lo + 1, (b + 1) * values.count / buckets)
        return values[lo..<hi].reduce(0, +) / Float(hi - lo)
    }
    let lo = series.min()!, hi = series.max()!
    return String(series.map { v in
        hi > lo ? bars[min(bars.count - 1, Int((v - lo) / (hi - lo) * Float(bars.count - 1) + 0.5))] : bars[3]
    })
}

/// Plots one or more series over a shared x axis on a character grid; each series draws
/// with its own mark, and the y range is printed on the left.
///
///     plot(x: xs, series: [("ReLU", "r", relu), ("GELU", "g", gelu)], height: 12)
public func plot(x: [Float], series: [(name: String, mark: Character, values: [Float])], width: Int = 61, height: Int = 15) -> String {
    precondition(!x.isEmpty && series.allSatisfy { $0.values.count == x.count }, "plot: every series needs one value per x")
    let all = series.flatMap(\.values)
    let (lo, hi) = (all.min()!, all.max()!)
    let (xlo, xhi) = (x.min()!, x.max()!)
    var grid = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
    func row(_ v: Float) -> Int { height - 1 - Int(((v - lo) / max(hi - lo, 1e-12) * Float(height - 1)).rounded()) }
    func column(_ v: Float) -> Int { Int(((v - xlo) / max(xhi - xlo, 1e-12) * Float(width - 1)).rounded()) }
    if lo < 0 && hi > 0 { let r = row(0); for c in 0..<width { grid[r][c] = "·" } }
    if xlo < 0 && xhi > 0 { let c = column(0); for r in 0..<height where grid[r][c] == " " { grid[r][c] = "·" } }
    for s in series {
        for (xv, yv) in zip(x, s.values) { grid[row(yv)][column(xv)] = s.mark }
    }
    let labelWidth = max(fixed(hi, 1).count, fixed(lo, 1).count)
    var lines: [String] = []
    for (r, cells) in grid.enumerated() {
        let label = r == 0 ? fixed(hi, 1) : (r == height - 1 ? fixed(lo, 1) : "")
        let line = pad(label, labelWidth, right: true) + " │" + String(cells)
        lines.append(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
    }
    lines.append(String(repeating: " ", count: labelWidth) + " └" + String(repeating: "─", count: width))
    let left = fixed(xlo, 1), right = fixed(xhi, 1)
    lines.append(String(repeating: " ", count: labelWidth + 2) + left + String(repeating: " ", count: max(1, width - left.count - right.count)) + right)
    lines.append(String(repeating: " ", count: labelWidth + 2) + series.map { "\($0.mark) \($0.name)" }.joined(separator: "   "))
    return lines.joined(separator: "\n") + "\n"
}
