// The course's tensor: a float32 n-dimensional array that remembers how it was made,
// so that `backward()` can send gradients back to whatever it came from.

/// A float32 n-dimensional array, stored contiguously in row-major order.
///
/// `Tensor` is a class, like a PyTorch tensor: passing it around shares it, and the
/// autograd graph links tensors by reference.
///
///     let x = Tensor([[1, 2, 3], [4, 5, 6]])   // (2, 3)
///     print(x.shape)                           // [2, 3]
///     print(x.sum())                           // tensor(21.)
public final class Tensor {
    /// The size of each axis, outermost first. A scalar has shape `[]`.
    public let shape: [Int]
    /// The memory holding the elements in row-major order. Shared with reshape views,
    /// detached tensors and gradients that equal another tensor; see `TensorStorage`.
    public internal(set) var storage: TensorStorage
    /// How many times the elements have been written since the tensor was made. Autograd
    /// notes it when an op uses the tensor and checks it before the op's gradient needs it.
    public internal(set) var version = 0

    // MARK: Autograd state (see Autograd.swift)

    /// Whether gradients flow into this tensor. Parameters set it; ops propagate it.
    public var requiresGrad: Bool
    /// The gradient of the last `backward()` with respect to this tensor, accumulated.
    public var grad: Tensor?
    /// The tensors this one was computed from (empty for leaves).
    var inputs: [Tensor] = []
    /// Their versions when this one was computed.
    var inputVersions: [Int] = []
    /// Adds this tensor's gradient into its inputs' gradients.
    var backwardFn: ((Tensor) -> Void)?
    /// The op that made this tensor, for error messages and graph printing.
    public internal(set) var op: String = "leaf"

    /// A tensor of the given shape over `storage` (which must hold as many elements), shared
    /// as it is: nothing is copied.
    ///
    ///     let out = TensorStorage(uninitialized: 6)        // an op writes every element…
    ///     let y = Tensor(shape: [2, 3], storage: out)      // …then wraps them
    public init(shape: [Int], storage: TensorStorage, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative size in shape \(shape)")
        precondition(shape.product == storage.count,
                     "Tensor: shape \(shape) holds \(shape.product) elements but the storage has \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// Makes a tensor of the given shape from row-major `data` (copied into its storage).
    ///
    ///     let x = Tensor(shape: [2, 2], data: [1, 2, 3, 4])
    public convenience init(shape: [Int], data: [Float], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative size in shape \(shape)")
        precondition(shape.product == data.count,
                     "Tensor: shape \(shape) holds \(shape.product) elements but data has \(data.count)")
        self.init(shape: shape, storage: TensorStorage(copying: data), requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` whose elements are all `value`.
    public convenience init(shape: [Int], repeating value: Float, requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative size in shape \(shape)")
        self.init(shape: shape, storage: TensorStorage(repeating: value, count: shape.product), requiresGrad: requiresGrad)
    }

    /// A 0-dimensional tensor holding one number.
    public convenience init(scalar: Float) {
        self.init(shape: [], data: [scalar])
    }

    /// A 1-D tensor: `Tensor([0.43, 0.15, 0.89])`.
    public convenience init(_ values: [Float]) {
        self.init(shape: [values.count], data: values)
    }

    /// A 2-D tensor from rows of equal length.
    public convenience init(_ rows: [[Float]]) {
        let columns = rows.first?.count ?? 0
        precondition(rows.allSatisfy { $0.count == columns }, "Tensor: rows have different lengths")
        self.init(shape: [rows.count, columns], data: rows.flatMap { $0 })
    }

    /// A 3-D tensor from matrices of equal shape.
    public convenience init(_ blocks: [[[Float]]]) {
        let rows = blocks.first?.count ?? 0
        let columns = blocks.first?.first?.count ?? 0
        precondition(blocks.allSatisfy { $0.count == rows && $0.allSatisfy { $0.count == columns } },
                     "Tensor: blocks have different shapes")
        self.init(shape: [blocks.count, rows, columns], data: blocks.flatMap { $0.flatMap { $0 } })
    }

    /// The number of axes.
    public var rank: Int { shape.count }
    /// The number of elements.
    public var count: Int { storage.count }

    /// The size of axis `axis`; negative axes count from the end.
    public func size(_ axis: Int) -> Int { shape[normalizeAxis(axis)] }

    /// The one element of a single-element tensor.
    public var item: Float {
        precondition(count == 1, "item: tensor of shape \(shape) has \(count) elements, not 1")
        return storage.element(0)
    }

    /// Row-major strides: how far apart in storage neighbours along each axis are.
    public var strides: [Int] { contiguousStrides(shape) }

    /// Turns a possibly negative axis into 0..<rank, or stops with a message naming the op.
    public func normalizeAxis(_ axis: Int, op: String = "axis") -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < Swift.max(rank, 1), "\(op): axis \(axis) is out of range for shape \(shape)")
        return a
    }

    /// The element at a full index, e.g. `x[1, 2]`. Setting one is a write (see
    /// `withUnsafeMutableBufferPointer`).
    public subscript(index: Int...) -> Float {
        get { storage.element(flatIndex(index)) }
        set {
            let flat = flatIndex(index)
            withUnsafeMutableBufferPointer { $0[flat] = newValue }
        }
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) has \(index.count) entries for shape \(shape)")
        var flat = 0
        for (i, n) in zip(index, shape) {
            let j = i < 0 ? i + n : i
            precondition(j >= 0 && j < n, "index \(index) is out of range for shape \(shape)")
            flat = flat * n + j
        }
        return flat
    }

    /// The elements as an array of rows (2-D tensors only): handy in tests and chapters.
    public var rows: [[Float]] {
        precondition(rank == 2, "rows: needs a 2-D tensor, got shape \(shape)")
        let n = shape[1]
        let elements = data
        return (0..<shape[0]).map { Array(elements[$0 * n ..< ($0 + 1) * n]) }
    }
}

// MARK: - Shape helpers

extension Array where Element == Int {
    /// The product of the elements (1 for an empty array): the element count of a shape.
    public var product: Int { reduce(1, *) }
}

/// Row-major strides for `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = s
        s *= shape[i]
    }
    return strides
}

/// Formats a shape as PyTorch prints a size: `[2, 6, 3]`.
public func describeShape(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
