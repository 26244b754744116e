// Modules: objects that own parameters and sub-modules under hierarchical names
// (`h.0.attn.c_attn.weight`), so checkpoints, optimisers and printouts can address them.

/// The base class of every layer and model, like PyTorch's `nn.Module`.
///
/// A subclass creates its parameters and children in `init` and registers each under the
/// name its checkpoint uses:
///
///     final class Block: Module {
///         let ln1: LayerNorm
///         init(width: Int) {
///             ln1 = LayerNorm(width)
///             super.init()
///             register("ln_1", ln1)          // parameters ln_1.weight, ln_1.bias
///         }
///     }
open class Module {
    /// Training or evaluation mode (dropout is active only in training).
    public private(set) var isTraining = true
    private var ownParameters: [(name: String, tensor: Tensor)] = []
    private var children: [(name: String, module: Module)] = []

    public init() {}

    /// Registers `tensor` as a trainable parameter called `name` and returns it.
    @discardableResult
    public func register(parameter name: String, _ tensor: Tensor) -> Tensor {
        precondition(!ownParameters.contains { $0.name == name } && !children.contains { $0.name == name },
                     "Module: the name \(name) is registered twice")
        precondition(tensor.inputs.isEmpty,
                     "Module: parameter \(name) was computed by \(tensor.op) inside the autograd graph; pass a leaf (detach() it)")
        tensor.requiresGrad = true
        ownParameters.append((name, tensor))
        return tensor
    }

    /// Registers `module` as a child called `name` and returns it.
    @discardableResult
    public func register<M: Module>(_ name: String, _ module: M) -> M {
        precondition(!ownParameters.contains { $0.name == name } && !children.contains { $0.name == name },
                     "Module: the name \(name) is registered twice")
        children.append((name, module))
        return module
    }

    /// Removes the child called `name` (registered with `register(_:_:)`), with its parameters.
    public func unregister(_ name: String) {
        guard let i = children.firstIndex(where: { $0.name == name }) else {
            preconditionFailure("Module: there is no child called \(name) to remove")
        }
        children.remove(at: i)
    }

    /// Registers a list of modules as `name.0`, `name.1`, … (PyTorch's `nn.ModuleList`).
    public func register<M: Module>(_ name: String, list modules: [M]) {
        let list = Module()
        for (i, m) in modules.enumerated() { list.register(String(i), m) }
        register(name, list)
    }

    /// Every parameter with its full dotted name, in registration order. A tensor shared by
    /// two modules (tied weights) is listed once, under the first name, as PyTorch does.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var seen = Set<ObjectIdentifier>()
        var out: [(name: String, tensor: Tensor)] = []
        collect(prefix: "", into: &out, seen: &seen)
        return out
    }

    private func collect(prefix: String, into out: inout [(name: String, tensor: Tensor)], seen: inout Set<ObjectIdentifier>) {
        for (name, t) in ownParameters where seen.insert(ObjectIdentifier(t)).inserted {
            out.append((prefix + name, t))
        }
        for (name, child) in children {
            child.collect(prefix: prefix + name + ".", into: &out, seen: &seen)
        }
    }

    /// The parameters, without names.
    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// The number of numbers in the parameters (shared tensors counted once), frozen or not.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    // MARK: Freezing

    /// The parameters that train — those that require a gradient — with their names
    /// (PyTorch's `[p for p in model.parameters() if p.requires_grad]`). An optimiser is given
    /// these: a frozen parameter gets no gradient and so needs no optimiser state.
    public func namedTrainableParameters() -> [(name: String, tensor: Tensor)] {
        namedParameters().filter { $0.tensor.requiresGrad }
    }

    /// The number of numbers that train (the book's
    /// `sum(p.numel() for p in model.parameters() if p.requires_grad)`).
    public var trainableParameterCount: Int { namedTrainableParameters().reduce(0) { $0 + $1.tensor.count } }

    /// Freezes every parameter of this module and its children (`requires_grad = False`):
    /// backward computes no gradient for them and no graph is recorded through layers whose
    /// inputs and parameters are all frozen. `unfreeze()` makes them train again.
    ///
    ///     model.freeze()
    ///     model.blocks.last!.unfreeze()          // train only the last block
    ///     model.trainableParameterCount          // its parameters
    public func freeze() {
        for p in parameters { p.requiresGrad = false; p.grad = nil }
    }

    /// Makes every parameter of this module and its children train again.
    public func unfreeze() {
        for p in parameters { p.requiresGrad = true }
    }

    /// The parameter called `name`, if there is one.
    public func parameter(named name: String) -> Tensor? {
        namedParameters().first { $0.name == name }?.tensor
    }

    /// Every sub-module with its dotted name (the module itself first, as "").
    public func namedModules(prefix: String = "") -> [(name: String, module: Module)] {
        var out: [(name: String, module: Module)] = [(prefix, self)]
        for (name, child) in children {
            out += child.namedModules(prefix: prefix.isEmpty ? name : prefix + "." + name)
        }
        return out
    }

    /// Switches this module and all its children to training (true) or evaluation mode.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in children { child.train(on) }
    }

    /// Switches to evaluation mode: dropout off.
    public func eval() { train(false) }

    /// Runs `body` in evaluation mode and without recording gradients, then puts the module
    /// back in the mode it was in: an evaluation or a sample in the middle of training.
    ///
    ///     let validationLoss = model.evaluating { lossOf(model, validationBatch) }
    public func evaluating<T>(_ body: () throws -> T) rethrows -> T {
        let wasTraining = isTraining
        eval()
        defer { train(wasTraining) }
        return try withNoGrad(body)
    }

    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// Puts values into the parameters by name (shapes must match exactly). A parameter takes
    /// the given tensor's storage as it is (nothing is copied; the first write to either
    /// gives the writer a copy of its own).
    /// With `strict`, every parameter must be given and every given name must be known.
    public func load(_ values: [String: Tensor], strict: Bool = true) throws {
        let named = namedParameters()
        let known = Set(named.map(\.name))
        if strict {
            let missing = named.map(\.name).filter { values[$0] == nil }
            if !missing.isEmpty { throw ModuleLoadError.missing(missing) }
            let unexpected = values.keys.filter { !known.contains($0) }.sorted()
            if !unexpected.isEmpty { throw ModuleLoadError.unexpected(unexpected) }
        }
        for (name, p) in named {
            guard let v = values[name] else { continue }
            guard v.shape == p.shape else { throw ModuleLoadError.shapeMismatch(name: name, expected: p.shape, got: v.shape) }
            p.replaceStorage(with: v)
        }
    }

    /// The values of every parameter by name (copies, cut off from the graph).
    public func stateDict() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: namedParameters().map { ($0.name, $0.tensor.detach()) })
    }
}

/// Why parameters could not be loaded into a module.
public enum ModuleLoadError: Error, CustomStringConvertible, Equatable {
    case missing([String])
    case unexpected([String])
    case shapeMismatch(name: String, expected: [Int], got: [Int])

    public var description: String {
        switch self {
        case .missing(let names):
            return "missing parameters: \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", … (\(names.count) in all)" : "")"
        case .unexpected(let names):
            return "unexpected parameters: \(names.prefix(8).joined(separator: ", "))\(names.count > 8 ? ", … (\(names.count) in all)" : "")"
        case .shapeMismatch(let name, let expected, let got):
            return "parameter \(name): expected shape \(describeShape(expected)), got \(describeShape(got))"
        }
    }
}
