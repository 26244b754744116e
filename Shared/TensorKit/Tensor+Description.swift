// Printing tensors exactly as PyTorch prints them (`repr(tensor)` with the default print
// options: 4 decimals, 80 columns, summaries with `...` past 1,000 elements), so a chapter's
// output can be read side by side with the book's.

import Foundation

/// PyTorch's default print options.
public struct PrintOptions {
    public var precision = 4
    public var threshold = 1000
    public var edgeItems = 3
    public var lineWidth = 80
    public init() {}
}

extension Tensor: CustomStringConvertible {
    /// `tensor([[0.4300, 0.1500, 0.8900], …])`, as PyTorch's `repr`.
    public var description: String { formatted() }

    /// The PyTorch-style text of this tensor with the given options.
    ///
    ///     Tensor([1, 2.5]).formatted()               // "tensor([1.0000, 2.5000])"
    ///     Tensor([1, 2.5]).formatted(precision: 2)   // "tensor([1.00, 2.50])"
    public func formatted(precision: Int = 4) -> String {
        var options = PrintOptions()
        options.precision = precision
        return formatted(options)
    }

    public func formatted(_ options: PrintOptions) -> String {
        let prefix = "tensor("
        var suffixes: [String] = []
        let body: String
        if count == 0 {
            if rank != 1 { suffixes.append("size=(" + shape.map(String.init).joined(separator: ", ") + (rank == 1 ? ",)" : ")")) }
            body = "[]"
        } else {
            let summarize = count > options.threshold
            let formatter = NumberFormatterPT(summarize ? summarizedValues(options) : data, options)
            body = TensorPrinter(tensor: self, formatter: formatter, options: options, summarize: summarize)
                .text(offset: 0, axis: 0, indent: prefix.count)
        }
        if inputs.isEmpty == false || (requiresGrad && op != "leaf") {
            suffixes.append("grad_fn=<\(pytorchBackwardName)>")
        } else if requiresGrad {
            suffixes.append("requires_grad=True")
        }
        // Suffixes go on the last line if they fit in the line width, else on a new line.
        var out = prefix + body
        // PyTorch's `len(s) - s.rfind("\n") + 1`
        var lastLineLength = out.count - (out.lastIndex(of: "\n").map { out.distance(from: out.startIndex, to: $0) } ?? -1) + 1
        for suffix in suffixes {
            if lastLineLength + suffix.count + 2 > options.lineWidth {
                out += ",\n" + String(repeating: " ", count: prefix.count) + suffix
                lastLineLength = prefix.count + suffix.count
            } else {
                out += ", " + suffix
                lastLineLength += suffix.count + 2
            }
        }
        return out + ")"
    }

    /// The values PyTorch's formatter sees when summarising: the first and last `edgeItems`
    /// along every axis.
    func summarizedValues(_ options: PrintOptions) -> [Float] {
        var out: [Float] = []
        func walk(offset: Int, axis: Int) {
            if axis == rank { out.append(data[offset]); return }
            let n = shape[axis], stride = strides[axis]
            let indices = n > 2 * options.edgeItems ? Array(0..<options.edgeItems) + Array((n - options.edgeItems)..<n) : Array(0..<n)
            for i in indices { walk(offset: offset + i * stride, axis: axis + 1) }
        }
        walk(offset: 0, axis: 0)
        return out
    }

    /// The name PyTorch gives the backward function of the op that made this tensor.
    public var pytorchBackwardName: String {
        let table: [String: String] = [
            "add": "AddBackward0", "sub": "SubBackward0", "mul": "MulBackward0", "div": "DivBackward0",
            "neg": "NegBackward0", "exp": "ExpBackward0", "log": "LogBackward0", "sqrt": "SqrtBackward0",
            "rsqrt": "RsqrtBackward0", "tanh": "TanhBackward0", "sin": "SinBackward0", "cos": "CosBackward0",
            "abs": "AbsBackward0", "sigmoid": "SigmoidBackward0", "pow": "PowBackward0", "square": "PowBackward0",
            "maximum": "MaximumBackward0", "minimum": "MinimumBackward0", "where": "WhereBackward0",
            "maskedFill": "MaskedFillBackward0", "expand": "ExpandBackward0", "sumToShape": "SumBackward1",
            "view": "ViewBackward0", "permute": "PermuteBackward0", "transpose": "TransposeBackward0",
            "indexSelect": "IndexSelectBackward0", "slice": "SliceBackward0", "select": "SelectBackward0",
            "gather": "GatherBackward0", "cat": "CatBackward0", "stack": "StackBackward0",
            "sum": rank == 0 ? "SumBackward0" : "SumBackward1", "mean": rank == 0 ? "MeanBackward0" : "MeanBackward1",
            "max": rank == 0 ? "MaxBackward1" : "MaxBackward0", "var": "VarBackward0", "logsumexp": "LogsumexpBackward0",
            "dot": "DotBackward0", "mv": "MvBackward0", "mm": "MmBackward0", "bmm": "UnsafeViewBackward0",
            "addmm": "AddmmBackward0", "unsafeView": "UnsafeViewBackward0",
            "relu": "ReluBackward0", "silu": "SiluBackward0", "gelu": "GeluBackward0",
            "softmax": "SoftmaxBackward0", "logSoftmax": "LogSoftmaxBackward0", "crossEntropy": "NllLossBackward0",
            "embedding": "EmbeddingBackward0", "layerNorm": "NativeLayerNormBackward0", "rmsNorm": "MulBackward0",
            "dropout": "MulBackward0", "tril": "TrilBackward0", "triu": "TriuBackward0",
        ]
        return table[op] ?? (op.prefix(1).uppercased() + op.dropFirst() + "Backward0")
    }
}

// MARK: - Formatting numbers

/// PyTorch's `_Formatter`: looks at every (non-zero, finite) value once to choose between
/// integer mode (`1.`), fixed (`0.4300`) and scientific (`1.0000e-05`) notation, and the
/// width every element is padded to.
struct NumberFormatterPT {
    var intMode = true
    var sciMode = false
    var maxWidth = 1
    let precision: Int

    init(_ values: [Float], _ options: PrintOptions) {
        precision = options.precision
        let finite = values.filter { $0.isFinite && $0 != 0 }.map(Double.init)
        guard !finite.isEmpty else { return }
        let absolute = finite.map(Swift.abs)
        let (lo, hi) = (absolute.min()!, absolute.max()!)
        intMode = finite.allSatisfy { $0 == $0.rounded(.up) }
        if intMode {
            if hi / lo > 1000 || hi > 1e8 {
                sciMode = true
                for v in finite { maxWidth = max(maxWidth, Self.scientific(v, precision).count) }
            } else {
                for v in finite { maxWidth = max(maxWidth, String(format: "%.0f", v).count + 1) }
            }
        } else if hi / lo > 1000 || hi > 1e8 || lo < 1e-4 {
            sciMode = true
            for v in finite { maxWidth = max(maxWidth, Self.scientific(v, precision).count) }
        } else {
            for v in finite { maxWidth = max(maxWidth, String(format: "%.\(precision)f", v).count) }
        }
    }

    /// Python's `"{:.4e}".format(v)`: at least two exponent digits, like C's printf.
    static func scientific(_ v: Double, _ precision: Int) -> String {
        String(format: "%.\(precision)e", v)
    }

    func format(_ value: Float) -> String {
        let v = Double(value)
        var text: String
        if sciMode {
            text = v.isFinite ? Self.scientific(v, precision) : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
        } else if intMode {
            text = v.isNaN ? "nan" : (v.isInfinite ? (v > 0 ? "inf" : "-inf") : String(format: "%.0f", v) + ".")
        } else {
            text = v.isNaN ? "nan" : (v.isInfinite ? (v > 0 ? "inf" : "-inf") : String(format: "%.\(precision)f", v))
        }
        if text.count < maxWidth { text = String(repeating: " ", count: maxWidth - text.count) + text }
        return text
    }
}

// MARK: - Laying out the nested brackets

/// PyTorch's `_tensor_str_with_formatter` and `_vector_str`.
struct TensorPrinter {
    let tensor: Tensor
    let formatter: NumberFormatterPT
    let options: PrintOptions
    let summarize: Bool

    /// The text of the sub-tensor starting at `offset` whose first axis is `axis`.
    func text(offset: Int, axis: Int, indent: Int) -> String {
        let dims = tensor.rank - axis
        if dims == 0 { return formatter.format(tensor.data[offset]) }
        let n = tensor.shape[axis], step = tensor.strides[axis]
        let edge = options.edgeItems
        let elided = summarize && n > 2 * edge
        let indices: [Int?] = elided ? (0..<edge).map { $0 } + [nil] + ((n - edge)..<n).map { $0 } : (0..<n).map { $0 }
        if dims == 1 {
            let elementLength = formatter.maxWidth + 2
            let perLine = max(1, (options.lineWidth - indent) / elementLength)
            let items = indices.map { i in i.map { formatter.format(tensor.data[offset + $0 * step]) } ?? " ..." }
            let lines = stride(from: 0, to: items.count, by: perLine).map { items[$0..<min($0 + perLine, items.count)].joined(separator: ", ") }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
        let slices = indices.map { i in
            i.map { text(offset: offset + $0 * step, axis: axis + 1, indent: indent + 1) } ?? "..."
        }
        let separator = "," + String(repeating: "\n", count: dims - 1) + String(repeating: " ", count: indent + 1)
        return "[" + slices.joined(separator: separator) + "]"
    }
}
