// Figures as SVG files: heatmaps, line charts, scatter plots and bar charts. Hand-written
// SVG (no dependencies), deterministic to the byte, so a figure can be checked into a README.

import Foundation
import TensorKit

/// An SVG document being drawn, in user units (pixels).
public struct SVGCanvas {
    public let width: Int, height: Int
    private var elements: [String] = []

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Escapes text for XML.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func n(_ v: Double) -> String { String(format: "%.2f", v) }

    public mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String, stroke: String? = nil) {
        elements.append("<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" fill=\"\(fill)\"\(stroke.map { " stroke=\"\($0)\"" } ?? "")/>")
    }

    public mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String = "#333", width: Double = 1) {
        elements.append("<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\"/>")
    }

    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2) {
        let p = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        elements.append("<polyline points=\"\(p)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\"/>")
    }

    public mutating func circle(x: Double, y: Double, r: Double, fill: String) {
        elements.append("<circle cx=\"\(Self.n(x))\" cy=\"\(Self.n(y))\" r=\"\(Self.n(r))\" fill=\"\(fill)\"/>")
    }

    public mutating func text(_ s: String, x: Double, y: Double, size: Double = 12, anchor: String = "start",
                              fill: String = "#222", rotate: Double? = nil) {
        let transform = rotate.map { " transform=\"rotate(\(Self.n($0)) \(Self.n(x)) \(Self.n(y)))\"" } ?? ""
        elements.append("<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\" font-family=\"Helvetica, Arial, sans-serif\"\(transform)>\(Self.escape(s))</text>")
    }

    /// The finished document.
    public var document: String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    /// Writes the document atomically to `url`.
    public func write(to url: URL) throws {
        try writeAtomically(Data(document.utf8), to: url)
    }
}

/// A colour on a white → deep blue scale for t in 0…1.
func blueScale(_ t: Double) -> String {
    let t = min(max(t, 0), 1)
    let r = Int(247 - t * (247 - 8)), g = Int(251 - t * (251 - 48)), b = Int(255 - t * (255 - 107))
    return String(format: "#%02x%02x%02x", r, g, b)
}

let seriesColours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

public enum Figures {
    /// A heatmap of a 2-D tensor with row and column labels, each cell's value, and a legend
    /// strip under it. As in the terminal (`heatmap`), colours are on the fixed scale `range`
    /// (white → deep blue), never stretched to the matrix's own extremes.
    ///
    ///     Figures.heatmap(weights, rowLabels: words, columnLabels: words, title: "Attention weights", range: 0...1)
    public static func heatmap(_ matrix: Tensor, rowLabels: [String], columnLabels: [String], title: String,
                               range: ClosedRange<Float>) -> SVGCanvas {
        precondition(matrix.rank == 2, "Figures.heatmap: needs a 2-D tensor, got \(describeShape(matrix.shape))")
        precondition(range.upperBound > range.lowerBound, "Figures.heatmap: the range \(range) is empty")
        let (rows, cols) = (matrix.shape[0], matrix.shape[1])
        let cell = 56.0, left = 110.0, top = 90.0, legendHeight = 50.0
        let gridWidth = cell * Double(cols)
        var svg = SVGCanvas(width: Int(left + max(gridWidth, 300) + 30), height: Int(top + cell * Double(rows) + 30 + legendHeight))
        svg.text(title, x: left, y: 24, size: 16)
        let values = matrix.data                                                // read once
        let lo = Double(range.lowerBound), hi = Double(range.upperBound)
        for c in 0..<cols {
            svg.text(columnLabels[c], x: left + cell * (Double(c) + 0.5), y: top - 10, size: 12, anchor: "start", rotate: -45)
        }
        for r in 0..<rows {
            svg.text(rowLabels[r], x: left - 8, y: top + cell * (Double(r) + 0.5) + 4, size: 12, anchor: "end")
            for c in 0..<cols {
                let v = Double(values[r * cols + c])
                let t = v.isFinite ? (v - lo) / (hi - lo) : 0
                svg.rect(x: left + cell * Double(c), y: top + cell * Double(r), width: cell, height: cell, fill: blueScale(t), stroke: "#ffffff")
                let label = v.isFinite ? String(format: "%.2f", v) : (v > 0 ? "inf" : "-inf")
                svg.text(label, x: left + cell * (Double(c) + 0.5), y: top + cell * (Double(r) + 0.5) + 4, size: 11,
                         anchor: "middle", fill: t > 0.55 ? "#ffffff" : "#222222")
            }
        }
        // the legend: the scale in ten steps, its ends and middle labelled
        let legendTop = top + cell * Double(rows) + 20, step = 30.0
        for i in 0..<10 {
            svg.rect(x: left + step * Double(i), y: legendTop, width: step, height: 12, fill: blueScale((Double(i) + 0.5) / 10), stroke: "#cccccc")
        }
        for (i, v) in [(0, lo), (5, (lo + hi) / 2), (10, hi)] {
            svg.text(String(format: "%.2f", v), x: left + step * Double(i), y: legendTop + 28, size: 11, anchor: "middle")
        }
        svg.text("fixed scale", x: left - 8, y: legendTop + 10, size: 11, anchor: "end")
        return svg
    }

    /// A line chart of one or more named series over a shared x axis.
    public static func lineChart(x: [Double], series: [(name: String, values: [Double])], title: String,
                                 xLabel: String, yLabel: String) -> SVGCanvas {
        let (w, h, left, right, top, bottom) = (640.0, 400.0, 70.0, 20.0, 40.0, 50.0)
        var svg = SVGCanvas(width: Int(w), height: Int(h))
        svg.text(title, x: left, y: 24, size: 16)
        let all = series.flatMap(\.values).filter(\.isFinite)
        let (xlo, xhi) = (x.min() ?? 0, x.max() ?? 1)
        var (ylo, yhi) = (all.min() ?? 0, all.max() ?? 1)
        if yhi == ylo { yhi += 1; ylo -= 1 }
        func px(_ v: Double) -> Double { left + (xhi > xlo ? (v - xlo) / (xhi - xlo) : 0.5) * (w - left - right) }
        func py(_ v: Double) -> Double { h - bottom - (v - ylo) / (yhi - ylo) * (h - top - bottom) }
        svg.line(x1: left, y1: h - bottom, x2: w - right, y2: h - bottom)
        svg.line(x1: left, y1: top, x2: left, y2: h - bottom)
        for i in 0...4 {
            let yv = ylo + (yhi - ylo) * Double(i) / 4, xv = xlo + (xhi - xlo) * Double(i) / 4
            svg.text(String(format: "%.2f", yv), x: left - 6, y: py(yv) + 4, size: 10, anchor: "end")
            svg.text(String(format: abs(xhi) >= 100 ? "%.0f" : "%.2f", xv), x: px(xv), y: h - bottom + 16, size: 10, anchor: "middle")
            svg.line(x1: left, y1: py(yv), x2: w - right, y2: py(yv), stroke: "#eeeeee")
        }
        svg.text(xLabel, x: (left + w - right) / 2, y: h - 10, size: 12, anchor: "middle")
        svg.text(yLabel, x: 16, y: (top + h - bottom) / 2, size: 12, anchor: "middle", rotate: -90)
        for (i, s) in series.enumerated() {
            let colour = seriesColours[i % seriesColours.count]
            svg.polyline(zip(x, s.values).filter { $0.1.isFinite }.map { (px($0.0), py($0.1)) }, stroke: colour)
            svg.text(s.name, x: w - right - 8, y: top + 16 * Double(i + 1), size: 12, anchor: "end", fill: colour)
        }
        return svg
    }

    /// A scatter plot of labelled points (for example token embeddings projected to 2-D).
    public static func scatter(points: [(x: Double, y: Double, label: String)], title: String) -> SVGCanvas {
        let (w, h, margin) = (640.0, 520.0, 50.0)
        var svg = SVGCanvas(width: Int(w), height: Int(h))
        svg.text(title, x: margin, y: 26, size: 16)
        let xs = points.map(\.x), ys = points.map(\.y)
        let (xlo, xhi, ylo, yhi) = (xs.min() ?? 0, xs.max() ?? 1, ys.min() ?? 0, ys.max() ?? 1)
        func px(_ v: Double) -> Double { margin + (xhi > xlo ? (v - xlo) / (xhi - xlo) : 0.5) * (w - 2 * margin) }
        func py(_ v: Double) -> Double { h - margin - (yhi > ylo ? (v - ylo) / (yhi - ylo) : 0.5) * (h - 2 * margin - 20) }
        for p in points {
            svg.circle(x: px(p.x), y: py(p.y), r: 3, fill: "#1f77b4")
            svg.text(p.label, x: px(p.x) + 5, y: py(p.y) - 4, size: 11)
        }
        return svg
    }

    /// Vertical bars with labels under them.
    public static func barChart(labels: [String], values: [Double], title: String, yLabel: String) -> SVGCanvas {
        let (barWidth, left, top, bottom, plot) = (48.0, 70.0, 40.0, 70.0, 280.0)
        var svg = SVGCanvas(width: Int(left + barWidth * Double(labels.count) + 20), height: Int(top + plot + bottom))
        svg.text(title, x: left, y: 24, size: 16)
        let hi = max(values.max() ?? 1, 1e-12)
        for (i, (label, v)) in zip(labels, values).enumerated() {
            let height = v / hi * plot
            let x = left + barWidth * Double(i)
            svg.rect(x: x + 6, y: top + plot - height, width: barWidth - 12, height: height, fill: "#1f77b4")
            svg.text(String(format: "%.3f", v), x: x + barWidth / 2, y: top + plot - height - 4, size: 10, anchor: "middle")
            svg.text(label, x: x + barWidth / 2, y: top + plot + 14, size: 11, anchor: "end", rotate: -40)
        }
        svg.line(x1: left, y1: top + plot, x2: left + barWidth * Double(labels.count), y2: top + plot)
        svg.text(yLabel, x: 16, y: top + plot / 2, size: 12, anchor: "middle", rotate: -90)
        return svg
    }
}

extension Options {
    /// Writes `figure` as `fileName` into `directory` (from an `--svg DIR` flag) and says so;
    /// a directory that cannot be written ends the program with an error naming it.
    public func saveFigure(_ figure: SVGCanvas, _ fileName: String, into directory: String) {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(fileName)
        do {
            try figure.write(to: url)
            print("Wrote \(directory.hasSuffix("/") ? directory : directory + "/")\(fileName)")   // as the user wrote it
        } catch {
            fail("\(error)")
        }
    }
}
