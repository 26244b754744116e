// Reverse-mode automatic differentiation, in the spirit of micrograd: every op that
// makes a tensor records a closure that adds the output's gradient into its inputs'
// gradients, and `backward()` runs those closures in reverse topological order.

/// What autograd is doing. One value for the whole program: tensor ops are called from one
/// thread at a time (kernels parallelise inside an op).
enum GradMode {
    /// Ops link their results to their inputs (the default).
    case recording
    /// Inside `withNoGrad`: nothing is recorded.
    case notRecording
    /// Inside `backward()`: the recorded closures run, recording nothing themselves.
    case backward

    nonisolated(unsafe) static var current = GradMode.recording
}

/// Runs `body` without recording the autograd graph (PyTorch's `torch.no_grad()`):
/// evaluation and generation use it, and so do optimisers when they update parameters.
@discardableResult
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    let previous = GradMode.current
    GradMode.current = .notRecording
    defer { GradMode.current = previous }
    return try body()
}

/// Whether the graph is being recorded right now.
public var isGradEnabled: Bool { GradMode.current == .recording }

extension Tensor {
    /// Links `self` (just computed by `op`) to `inputs`, if any of them needs a gradient.
    /// `backward` receives the gradient of `self` and must add into the inputs' gradients
    /// (with `accumulateGrad`), never overwrite them. It reads the inputs as they are when it
    /// runs, so their versions are noted now and checked then (see `backward()`); anything
    /// else it reads (the op's result, intermediates) it keeps as storage of its own.
    @discardableResult
    func record(_ op: String, _ inputs: [Tensor], backward: @escaping (Tensor) -> Void) -> Tensor {
        self.op = op
        guard GradMode.current == .recording, inputs.contains(where: { $0.requiresGrad }) else { return self }
        self.requiresGrad = true
        self.inputs = inputs
        self.inputVersions = inputs.map(\.version)
        self.backwardFn = backward
        return self
    }

    /// Adds `g` (same shape as `self`) into `self.grad`, creating it on first use.
    /// Only tensors that require a gradient accumulate one.
    func accumulateGrad(_ g: Tensor) {
        guard requiresGrad else { return }
        precondition(g.shape == shape, "accumulateGrad: gradient of shape \(g.shape) for tensor of shape \(shape) (op \(op))")
        accumulateGrad(g.storage)
    }

    /// Adds gradient values (row-major, as many as `self` has elements) into `self.grad`; the
    /// first ones become the gradient's storage as they are.
    func accumulateGrad(_ values: TensorStorage) {
        guard requiresGrad else { return }
        precondition(values.count == count, "accumulateGrad: \(values.count) gradient values for tensor of shape \(shape) (op \(op))")
        guard let existing = grad else {
            grad = Tensor(shape: shape, storage: values)
            return
        }
        existing.withUnsafeMutableBufferPointer { sum in
            let addend = values.floats
            for i in 0..<sum.count { sum[i] += addend[i] }
        }
    }

    /// Computes the gradient of this tensor with respect to every tensor it was computed
    /// from that requires a gradient, and adds it into their `grad`.
    /// With no argument the tensor must hold one element (a loss); its gradient is 1.
    ///
    /// Stops with a message if a tensor an op needs for its gradient was written (through
    /// `withUnsafeMutableBufferPointer`, `copy(from:)` or a subscript) after the op used it:
    /// its gradient would silently be wrong (PyTorch's version counter does the same).
    public func backward(_ gradient: Tensor? = nil) {
        let seed = gradient ?? Tensor(shape: shape, repeating: 1)
        precondition(gradient != nil || count == 1,
                     "backward: tensor of shape \(shape) is not a scalar; pass its gradient")
        precondition(seed.shape == shape, "backward: gradient shape \(seed.shape) differs from tensor shape \(shape)")
        precondition(requiresGrad, "backward: this tensor does not require a gradient (op \(op))")

        // Topological order by an explicit depth-first walk (no recursion limit on deep graphs).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if !visited.insert(ObjectIdentifier(node)).inserted { continue }
            stack.append((node, true))
            for input in node.inputs where input.requiresGrad && !visited.contains(ObjectIdentifier(input)) {
                stack.append((input, false))
            }
        }

        // Intermediate gradients live only for this pass; leaves keep theirs.
        accumulateGrad(seed)
        let previous = GradMode.current
        GradMode.current = .backward
        defer { GradMode.current = previous }
        for node in order.reversed() {
            guard let fn = node.backwardFn, let g = node.grad else { continue }
            node.checkInputsUnchanged()
            fn(g)
            node.grad = nil  // an intermediate's gradient is not kept (PyTorch does the same)
        }
    }

    /// Stops if an input was written since this tensor was computed from it. (`fatalError`,
    /// not `precondition`: a wrong gradient must never pass silently, in any build.)
    private func checkInputsUnchanged() {
        for (position, (input, version)) in zip(inputs, inputVersions).enumerated() where input.version != version {
            fatalError("""
                backward: a tensor needed for the gradient of \(op) was modified in place after it was used \
                (input \(position + 1) of \(inputs.count), shape \(describeShape(input.shape)), op \(input.op): \
                version \(version) then, \(input.version) now). Write into a copy instead (let copy = \
                Tensor(shape: t.shape, data: t.data)), or make the change before the tensor is used.
                """)
        }
    }

    /// A tensor with the same values that is cut off from the graph. It shares the storage:
    /// nothing is copied until one of the two is written to.
    public func detach() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Forgets the accumulated gradient.
    public func zeroGrad() {
        grad = nil
    }

    /// Marks this tensor as a leaf that needs a gradient and returns it.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        requiresGrad = flag
        return self
    }
}
