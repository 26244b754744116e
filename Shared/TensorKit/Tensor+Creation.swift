// Making tensors: filled, ranges, identity, triangular masks.

extension Tensor {
    /// A tensor of zeros: `Tensor.zeros([2, 3])`.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 0, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, repeating: 1, requiresGrad: requiresGrad)
    }

    /// A tensor whose elements are all `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        Tensor(shape: shape, repeating: value)
    }

    /// A tensor of zeros or ones shaped like `other`.
    public static func zeros(like other: Tensor) -> Tensor { zeros(other.shape) }
    public static func ones(like other: Tensor) -> Tensor { ones(other.shape) }

    /// `start, start + step, …` up to but not including `end`, like `torch.arange`.
    ///
    ///     Tensor.arange(0, 5)   // tensor([0., 1., 2., 3., 4.])
    public static func arange(_ start: Float, _ end: Float, step: Float = 1) -> Tensor {
        precondition(step != 0, "arange: step must not be 0")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        return Tensor(shape: [n], data: (0..<n).map { start + Float($0) * step })
    }

    /// `0, 1, …, end − 1`.
    public static func arange(_ end: Int) -> Tensor {
        Tensor(shape: [end], data: (0..<end).map(Float.init))
    }

    /// The n × n identity matrix (or n × m with ones on the main diagonal).
    public static func eye(_ n: Int, _ m: Int? = nil) -> Tensor {
        let cols = m ?? n
        var out = [Float](repeating: 0, count: n * cols)
        for i in 0..<min(n, cols) { out[i * cols + i] = 1 }
        return Tensor(shape: [n, cols], data: out)
    }

    /// Keeps the elements on and below diagonal `diagonal` of the last two axes, zeroing the
    /// rest (`torch.tril`). `Tensor.ones([4, 4]).tril()` is the causal mask's "allowed" pattern.
    public func tril(_ diagonal: Int = 0) -> Tensor {
        triangle(keep: { row, col in col - row <= diagonal }, op: "tril")
    }

    /// Keeps the elements on and above diagonal `diagonal` (`torch.triu`).
    /// `Tensor.ones([T, T]).triu(1)` marks the future positions the causal mask hides.
    public func triu(_ diagonal: Int = 0) -> Tensor {
        triangle(keep: { row, col in col - row >= diagonal }, op: "triu")
    }

    private func triangle(keep: (Int, Int) -> Bool, op: String) -> Tensor {
        precondition(rank >= 2, "\(op): needs at least 2 dimensions, got shape \(describeShape(shape))")
        let rows = shape[rank - 2], cols = shape[rank - 1]
        var hidden = [Float](repeating: 1, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols where keep(r, c) { hidden[r * cols + c] = 0 } }
        return maskedFill(Tensor(shape: [rows, cols], data: hidden), 0).renamed(op)
    }

    /// Sets the op name of a freshly made tensor (used by composite ops for readable graphs).
    func renamed(_ name: String) -> Tensor {
        op = requiresGrad ? name : op
        return self
    }
}
