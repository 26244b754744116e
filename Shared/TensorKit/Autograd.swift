// Reverse-mode automatic differentiation, in the spirit of micrograd: every op that
// makes a tensor records a closure that adds the output's gradient into its inputs'
// gradients, and `backward()` runs those closures in reverse topological order.

import Foundation

/// Whether ops record the graph. Turned off inside `withNoGrad`.
/// Tensor ops are called from one thread at a time (kernels parallelise inside an op),
/// so one flag is enough.
enum GradMode {
    nonisolated(unsafe) static var isEnabled = true
    /// True while `backward()` runs (its closures run with recording off).
    nonisolated(unsafe) static var inBackward = false
    /// Whether this is training work, whose tensors' storage `BufferPool` keeps for reuse.
    static var isTraining: Bool { isEnabled || inBackward }
}

/// Runs `body` without recording the autograd graph (PyTorch's `torch.no_grad()`):
/// evaluation and generation use it, and so do optimisers when they update parameters.
@discardableResult
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    let previous = GradMode.isEnabled
    GradMode.isEnabled = false
    defer { GradMode.isEnabled = previous }
    return try body()
}

/// Whether the graph is being recorded right now.
public var isGradEnabled: Bool { GradMode.isEnabled }

extension Tensor {
    /// Links `self` (just computed by `op`) to `inputs`, if any of them needs a gradient.
    /// `backward` receives the gradient of `self` and must add into the inputs' gradients
    /// (with `accumulateGrad`), never overwrite them.
    @discardableResult
    func record(_ op: String, _ inputs: [Tensor], backward: @escaping (Tensor) -> Void) -> Tensor {
        self.op = op
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        self.requiresGrad = true
        self.inputs = inputs
        self.backwardFn = backward
        return self
    }

    /// Adds `g` (same shape as `self`) into `self.grad`, creating it on first use.
    /// Only tensors that require a gradient accumulate one.
    func accumulateGrad(_ g: Tensor) {
        guard requiresGrad else { return }
        precondition(g.shape == shape, "accumulateGrad: gradient of shape \(g.shape) for tensor of shape \(shape) (op \(op))")
        if let existing = grad {
            existing.data.withUnsafeMutableBufferPointer { dst in
                g.data.withUnsafeBufferPointer { src in
                    for i in 0..<dst.count { dst[i] += src[i] }
                }
            }
        } else {
            grad = Tensor(sharing: g, shape: shape)
        }
    }

    /// Adds raw gradient values (row-major, same count as `self`) into `self.grad`.
    /// `values` should be an array of the caller's own (no tensor's `data`), which becomes
    /// the gradient's storage when there is none yet.
    func accumulateGrad(_ values: [Float]) {
        guard requiresGrad else { return }
        precondition(values.count == count, "accumulateGrad: \(values.count) gradient values for tensor of shape \(shape) (op \(op))")
        if let existing = grad {
            existing.data.withUnsafeMutableBufferPointer { dst in
                values.withUnsafeBufferPointer { src in
                    for i in 0..<dst.count { dst[i] += src[i] }
                }
            }
            BufferPool.shared.giveBack(values)   // spent: its storage can serve the next tensor
        } else {
            grad = Tensor(shape: shape, data: values)
        }
    }

    /// Computes the gradient of this tensor with respect to every tensor it was computed
    /// from that requires a gradient, and adds it into their `grad`.
    /// With no argument the tensor must hold one element (a loss); its gradient is 1.
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
        let wasInBackward = GradMode.inBackward
        GradMode.inBackward = true
        defer { GradMode.inBackward = wasInBackward }
        withNoGrad {
            for node in order.reversed() {
                guard let fn = node.backwardFn, let g = node.grad else { continue }
                fn(g)
                node.grad = nil  // an intermediate's gradient is not kept (PyTorch does the same)
            }
        }
    }

    /// A tensor with the same values that is cut off from the graph.
    public func detach() -> Tensor {
        Tensor(sharing: self, shape: shape)
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
