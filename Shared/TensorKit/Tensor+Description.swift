// Printing tensors exactly as PyTorch prints them: `print(x)` here gives, character for
// character, what `print(x)` (that is `repr(x)`) gives in PyTorch 2.x, so a chapter's output
// can be read side by side with the book's.
//
// The rules are PyTorch's (torch/_tensor_str.py), in four steps:
//   1. Pick the elements that will be shown: all of them, or — past 1,000 elements — only the
//      first and last 3 along every axis, with `...` in between ("summarising").
//   2. Look at the shown, non-zero, finite values once to choose one notation for all of them:
//      integer (`3.`), fixed (`0.4300`) or scientific (`1.0000e-05`).
//   3. Format every shown element and right-align them all to the widest one.
//   4. Nest the brackets, breaking long rows at 80 columns, and add the suffixes
//      (`size=(0, 3)`, `requires_grad=True`, `grad_fn=<MmBackward0>`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Print options

/// How tensors are printed: PyTorch's `torch.set_printoptions`.
///
///     PrintOptions.current.precision = 2      // like torch.set_printoptions(precision=2)
///     print(Tensor([1.12345]))                // tensor([1.12])
///     PrintOptions.current = .default
public struct PrintOptions: Equatable, Sendable {
    /// Digits after the decimal point (fixed notation) or after the first digit (scientific).
    public var precision: Int
    /// Tensors with more elements than this are summarised with `...`.
    public var threshold: Int
    /// How many leading and trailing entries of each axis a summary keeps.
    public var edgeItems: Int
    /// The width at which long rows are broken.
    public var lineWidth: Int
    /// `true` or `false` forces scientific notation on or off; `nil` lets the values decide.
    public var sciMode: Bool?

    public init(precision: Int = 4, threshold: Int = 1000, edgeItems: Int = 3, lineWidth: Int = 80,
                sciMode: Bool? = nil) {
        self.precision = precision
        self.threshold = threshold
        self.edgeItems = edgeItems
        self.lineWidth = lineWidth
        self.sciMode = sciMode
    }

    /// PyTorch's defaults (`profile="default"`): 4 digits, summaries past 1,000 elements.
    public static let `default` = PrintOptions()
    /// PyTorch's `profile="short"`: 2 digits, 2 edge items.
    public static let short = PrintOptions(precision: 2, edgeItems: 2)
    /// PyTorch's `profile="full"`: never summarise.
    public static let full = PrintOptions(threshold: .max)

    /// The options `print(tensor)` uses. Set it from one thread, like PyTorch's global options.
    nonisolated(unsafe) public static var current = PrintOptions()
}

// MARK: - Printing a tensor

extension Tensor: CustomStringConvertible {
    /// The tensor as PyTorch prints it, with `PrintOptions.current`:
    ///
    ///     print(Tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66]]))
    ///     // tensor([[0.4300, 0.1500, 0.8900],
    ///     //         [0.5500, 0.8700, 0.6600]])
    public var description: String { formatted(PrintOptions.current) }

    /// The same text with `precision` digits (the other options stay as they are).
    ///
    ///     Tensor([1, 2.5]).formatted(precision: 2)   // "tensor([1.00, 2.50])"
    public func formatted(precision: Int = 4) -> String {
        var options = PrintOptions.current
        options.precision = precision
        return formatted(options)
    }

    /// The tensor as PyTorch prints it with the given options.
    ///
    ///     Tensor.arange(2000).formatted(.short)   // "tensor([0.00e+00, 1.00e+00,  ..., 2.00e+03, 2.00e+03])"
    public func formatted(_ options: PrintOptions) -> String {
        precondition(options.edgeItems >= 0 && options.precision >= 0,
                     "formatted: edgeItems (\(options.edgeItems)) and precision (\(options.precision)) must not be negative")
        let prefix = "tensor("
        var suffixes: [String] = []
        var body: String
        if count == 0 {
            // No elements to show, so PyTorch states the shape — unless it is simply (0,).
            body = "[]"
            if rank != 1 { suffixes.append("size=" + pythonTuple(shape)) }
        } else if count > options.threshold && options.edgeItems == 0 && rank > 0 {
            // A summary that keeps no edge items shows nothing but the dots.
            body = "[...]"
        } else {
            body = TensorText(self, options: options).text(indent: prefix.count)
        }
        // With no edge items PyTorch states the size of every non-empty tensor.
        if count > 0 && options.edgeItems == 0 { suffixes.append("size=" + pythonTuple(shape)) }
        if let gradFn = gradFnName {
            suffixes.append("grad_fn=<\(gradFn)>")
        } else if requiresGrad {
            suffixes.append("requires_grad=True")
        }
        // Each suffix goes on the last line if it fits in the line width, else on a new line.
        // (PyTorch counts the last line's length as `len(s) - s.rfind("\n") + 1`, which is
        // two more than its length, and we do the same to break where it breaks.)
        body = prefix + body
        var lastLineLength = body.utf8.count + 2
        if let newline = body.utf8.lastIndex(of: UInt8(ascii: "\n")) {
            lastLineLength = body.utf8.distance(from: newline, to: body.utf8.endIndex) + 1
        }
        for suffix in suffixes {
            let length = suffix.utf8.count
            if lastLineLength + length + 2 > options.lineWidth {
                body += ",\n" + String(repeating: " ", count: prefix.count) + suffix
                lastLineLength = prefix.count + length
            } else {
                body += ", " + suffix
                lastLineLength += length + 2
            }
        }
        return body + ")"
    }

    /// The shape as PyTorch prints `x.shape`: `torch.Size([2, 6, 3])`.
    /// (`describeShape(x.shape)` gives the plain `[2, 6, 3]`.)
    public var shapeDescription: String { "torch.Size(" + describeShape(shape) + ")" }
}

/// A shape as Python prints a tuple: `()`, `(5,)`, `(0, 3)`.
private func pythonTuple(_ values: [Int]) -> String {
    let items = values.map(String.init).joined(separator: ", ")
    return values.count == 1 ? "(\(items),)" : "(\(items))"
}

// MARK: - Steps 1–3: choosing, formatting and aligning the shown elements

/// The three notations PyTorch chooses between for a whole tensor.
enum Notation {
    /// Every value is a whole number: `3.` (the dot says it is a float).
    case integer
    /// `0.4300`: `precision` digits after the point.
    case fixed
    /// `1.0000e-05`: when the values span more than 3 orders of magnitude, or are
    /// above 10⁸ or below 10⁻⁴.
    case scientific

    /// PyTorch's `_Formatter` rule, looking only at non-zero finite values (in double precision).
    init(for values: [Float], sciMode: Bool?) {
        var smallest = Double.infinity, largest = 0.0, allWhole = true
        for value in values where value.isFinite && value != 0 {
            let magnitude = Double(value.magnitude)
            smallest = Swift.min(smallest, magnitude)
            largest = Swift.max(largest, magnitude)
            if value != value.rounded(.up) { allWhole = false }
        }
        // Nothing to look at (all zeros, inf or nan): integer notation, whatever `sciMode` says.
        guard largest > 0 else { self = .integer; return }
        let scientific = sciMode ?? (largest / smallest > 1000 || largest > 1e8 || smallest < 1e-4)
        self = scientific ? .scientific : (allWhole ? .integer : .fixed)
    }

    /// One element's text, before padding: `nan`, `inf` and `-inf` in every notation.
    func text(_ value: Float, precision: Int) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        switch self {
        case .integer: return cFormatted("%.*f.", 0, Double(value))
        case .fixed: return cFormatted("%.*f", precision, Double(value))
        case .scientific: return cFormatted("%.*e", precision, Double(value))
        }
    }
}

/// C's `printf` formatting of one number (`"%.*f"` or `"%.*e"` with `precision`), which rounds
/// the exact binary value half-to-even just as Python's `format` does.
private func cFormatted(_ format: String, _ precision: Int, _ value: Double) -> String {
    var capacity = 64
    while true {
        let text: String? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let length = withVaList([Int32(precision), value]) { vsnprintf(buffer.baseAddress!, capacity, format, $0) }
            guard Int(length) < capacity else {
                capacity = Int(length) + 1   // e.g. 1e38 with many digits: try again with room
                return nil
            }
            return String(cString: buffer.baseAddress!)
        }
        if let text { return text }
    }
}

/// The text of a non-empty tensor's brackets and elements (PyTorch's `_tensor_str`).
struct TensorText {
    let shape: [Int]
    let options: PrintOptions
    /// Whether each axis shows only its first and last `edgeItems` entries.
    let summarize: Bool
    /// The shown elements, formatted and right-aligned, in row-major order.
    let cells: [String]
    /// The width every cell is padded to.
    let cellWidth: Int

    init(_ tensor: Tensor, options: PrintOptions) {
        shape = tensor.shape
        self.options = options
        summarize = tensor.count > options.threshold
        let shown = summarize ? TensorText.edgeValues(tensor, edgeItems: options.edgeItems) : tensor.data
        let notation = Notation(for: shown, sciMode: options.sciMode)
        var texts = shown.map { notation.text($0, precision: options.precision) }
        // The width comes from the non-zero finite values only; zeros, inf and nan just follow.
        var width = 1
        for (value, text) in zip(shown, texts) where value.isFinite && value != 0 {
            width = Swift.max(width, text.utf8.count)
        }
        for i in texts.indices where texts[i].utf8.count < width {
            texts[i] = String(repeating: " ", count: width - texts[i].utf8.count) + texts[i]
        }
        cells = texts
        cellWidth = width
    }

    /// The entries of an axis of length `n` that are shown; `nil` stands for the `...`.
    func shownIndices(_ n: Int) -> [Int?] {
        let edge = options.edgeItems
        guard summarize && n > 2 * edge else { return Array(0..<n) }
        return Array(0..<edge) + [nil] + Array((n - edge)..<n)
    }

    /// The values a summary shows: the first and last `edgeItems` along every axis.
    static func edgeValues(_ tensor: Tensor, edgeItems: Int) -> [Float] {
        let shape = tensor.shape, strides = tensor.strides
        var out: [Float] = []
        func walk(_ axis: Int, _ offset: Int) {
            if axis == shape.count { out.append(tensor.storage.element(offset)); return }
            let n = shape[axis]
            let kept = n > 2 * edgeItems ? Array(0..<edgeItems) + Array((n - edgeItems)..<n) : Array(0..<n)
            for i in kept { walk(axis + 1, offset + i * strides[axis]) }
        }
        walk(0, 0)
        return out
    }

    // MARK: Step 4: nesting the brackets

    /// The whole tensor, whose first line starts after `indent` columns (`tensor(`).
    func text(indent: Int) -> String {
        var next = 0
        return block(axis: 0, indent: indent, next: &next)
    }

    /// The sub-tensor made of axes `axis...`, reading its cells from `next` on.
    private func block(axis: Int, indent: Int, next: inout Int) -> String {
        let dims = shape.count - axis
        if dims == 0 {
            next += 1
            return cells[next - 1]
        }
        let entries = shownIndices(shape[axis])
        if dims == 1 {
            // A row: as many cells per line as fit, each taking its width plus ", ".
            let perLine = Swift.max(1, (options.lineWidth - indent) / (cellWidth + 2))
            var items: [String] = []
            items.reserveCapacity(entries.count)
            for entry in entries {
                if entry == nil {
                    items.append(" ...")
                } else {
                    items.append(cells[next])
                    next += 1
                }
            }
            let lines = stride(from: 0, to: items.count, by: perLine).map {
                items[$0..<Swift.min($0 + perLine, items.count)].joined(separator: ", ")
            }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
        // Blocks are separated by one line break per remaining axis beyond the rows:
        // none between rows of a matrix' lines, one blank line between matrices, two between 3-D blocks.
        let inner = entries.map { entry in
            entry == nil ? "..." : block(axis: axis + 1, indent: indent + 1, next: &next)
        }
        let separator = "," + String(repeating: "\n", count: dims - 1) + String(repeating: " ", count: indent + 1)
        return "[" + inner.joined(separator: separator) + "]"
    }
}

// MARK: - grad_fn names

extension Tensor {
    /// The class name PyTorch gives the backward function of the op that made this tensor
    /// (`type(x.grad_fn).__name__`), or `nil` for a tensor outside the autograd graph (a leaf,
    /// or anything computed from tensors that need no gradient).
    ///
    ///     let a = Tensor([[1, 2], [3, 4]]).requiringGrad()
    ///     a.matmul(a).gradFnName    // "MmBackward0"
    ///     a.gradFnName              // nil: a leaf prints `requires_grad=True` instead
    public var gradFnName: String? {
        guard !inputs.isEmpty else { return nil }
        if let name = Tensor.gradFnNames[op] { return name }
        switch op {
        // Full reductions and reductions along an axis are different functions in PyTorch.
        case "sum": return rank == 0 ? "SumBackward0" : "SumBackward1"
        case "mean": return inputs[0].op == "sum" && inputs[0].rank == 0 ? "MeanBackward0" : "MeanBackward1"
        case "max": return rank == 0 ? "MaxBackward1" : "MaxBackward0"
        case "mm", "addmm", "bmm": return matmulGradFnName
        default: return op.prefix(1).uppercased() + op.dropFirst() + "Backward0"   // "relu" → "ReluBackward0"
        }
    }

    /// Our op names whose PyTorch name is not simply `<Op>Backward0`.
    static let gradFnNames: [String: String] = [
        "square": "PowBackward0", "sumToShape": "SumBackward1", "var": "VarBackward0",
        "unsafeView": "UnsafeViewBackward0", "layerNorm": "NativeLayerNormBackward0",
        "rmsNorm": "MulBackward0", "dropout": "MulBackward0", "crossEntropy": "NllLossBackward0",
    ]

    /// `torch.matmul` and `F.linear` end in different functions depending on the operands'
    /// ranks (checked against PyTorch 2.13): a 1-D operand is squeezed back out, batched
    /// products are views of a folded `mm`/`bmm`, and a 2-D × batched product is a copy.
    /// `inputs` are the operands as 2-D-or-more views (a 1-D left operand became 1 × k).
    private var matmulGradFnName: String {
        let left = inputs[0], right = inputs[1]
        switch op {
        case "addmm": return rank == 1 ? "ViewBackward0" : "AddmmBackward0"    // linear with a bias
        case "mm": return rank == 1 ? "SqueezeBackward4" : "MmBackward0"       // 1-D × 2-D drops an axis
        default:
            if left.rank == 2 { return rank == right.rank ? "CloneBackward0" : "UnsafeViewBackward0" }
            if left.rank == 3 && right.rank == 3 && left.shape[0] == 1 && right.shape[0] > 1 {
                return "CloneBackward0"
            }
            return "UnsafeViewBackward0"
        }
    }
}
