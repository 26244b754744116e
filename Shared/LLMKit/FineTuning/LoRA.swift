// Low-rank adaptation (LoRA, Hu et al. 2021; the book's appendix E): leave a pre-trained
// weight W frozen and learn a change to it of low rank, ΔW = (alpha / r)·(A·B)ᵀ, with A of
// shape (in, r) and B of shape (r, out). Only A and B train — for GPT-2 124M at rank 16,
// 2.7 million numbers instead of 124 million — and B starts at zero, so training starts
// from exactly the pre-trained model.

import Foundation
import TensorKit

/// A LoRA adapter on a frozen `Linear` layer: the layer computes x·Wᵀ + b + (alpha/r)·(x·A)·B.
///
/// Creating one freezes the layer's weight and bias and attaches the adapter to it, so the
/// layer (and the model around it) computes the adapted output from then on; its parameters
/// are the layer's `lora.A` and `lora.B`.
///
///     let layer = Linear(768, 768)
///     let lora = LoRALinear(wrapping: layer, rank: 16, alpha: 16, generator: TorchGenerator(seed: 123))
///     layer.trainableParameterCount     // 24,576 = 16·768 + 16·768
///     lora.merge()                      // W ← W + (alpha/r)·(A·B)ᵀ; the layer is plain again
///
/// `parts` splits the layer's outputs into equal parts with one adapter each: GPT-2's fused
/// `c_attn` is the book's three `W_query`, `W_key`, `W_value` stacked, and the book gives each
/// of those its own A and B. With several parts the parameters are `lora.A.0`, `lora.B.0`, ….
public final class LoRALinear: Module, LinearAdapter {
    /// The adapted layer (which holds this adapter).
    public unowned let base: Linear
    public let rank: Int
    public let alpha: Float
    /// One A (in, r) per part, drawn as the book's `kaiming_uniform_(A, a=√5)`.
    public let a: [Tensor]
    /// One B (r, out/parts) per part, zeros.
    public let b: [Tensor]
    /// The update's scale, alpha / r.
    public var scale: Float { alpha / Float(rank) }

    public init(wrapping base: Linear, rank: Int, alpha: Float, parts: Int = 1, generator: TorchGenerator) {
        precondition(rank >= 1, "LoRALinear: rank must be at least 1, got \(rank)")
        precondition(parts >= 1 && base.outFeatures % parts == 0,
                     "LoRALinear: \(base.outFeatures) outputs cannot be split into \(parts) equal parts")
        self.base = base
        self.rank = rank
        self.alpha = alpha
        // kaiming_uniform_ on an (in, r) tensor takes its fan-in from the second axis, r:
        // bound = gain·√(3/r) with gain = √(2/(1 + 5)), which is 1/√r.
        let gain = (2.0 / 6.0).squareRoot()
        let bound = Float(gain * (3.0 / Double(rank)).squareRoot())
        a = (0..<parts).map { _ in generator.uniform([base.inFeatures, rank], low: -bound, high: bound) }   // (in, r)
        b = (0..<parts).map { _ in Tensor.zeros([rank, base.outFeatures / parts]) }                           // (r, out/parts)
        super.init()
        for (i, (ai, bi)) in zip(a, b).enumerated() {
            register(parameter: parts == 1 ? "A" : "A.\(i)", ai)
            register(parameter: parts == 1 ? "B" : "B.\(i)", bi)
        }
        base.weight.requiresGrad = false
        base.bias?.requiresGrad = false
        base.attach(self)
    }

    /// The low-rank update (alpha/r)·(x·A)·B, (…, in) → (…, out); each part's in its own columns.
    public func update(_ x: Tensor) -> Tensor {
        let rows = x.reshape([-1, base.inFeatures])                                  // (N, in)
        let parts = zip(a, b).map { ai, bi in rows.matmul(ai).matmul(bi) }           // parts × (N, out/parts)
        let joined = parts.count == 1 ? parts[0] : Tensor.cat(parts, axis: 1)        // (N, out)
        return (joined * scale).reshape(Array(x.shape.dropLast()) + [base.outFeatures])   // (…, out)
    }

    /// The update as a change to the weight, (alpha/r)·(A·B)ᵀ stacked over the parts: (out, in).
    public func weightDelta() -> Tensor {
        withNoGrad { Tensor.cat(zip(a, b).map { ai, bi in ai.matmul(bi).T }, axis: 0) * scale }   // (out, in)
    }

    /// Folds the update into the base layer's weight (W ← W + ΔW) and detaches the adapter:
    /// the layer computes the same outputs (up to rounding) with no extra work.
    public func merge() {
        let merged = withNoGrad { base.weight.detach() + weightDelta() }            // (out, in)
        let frozen = !base.weight.requiresGrad
        try! base.load(["weight": merged], strict: false)                          // same shape: cannot fail
        base.pack(nil)                                                             // no stale packed copy of the old weight
        base.weight.requiresGrad = !frozen
        base.detachAdapter()
    }
}

// MARK: - A whole model

public enum LoRA {
    /// Attaches an adapter to every `Linear` of `model` that owns its weight (a head tied to
    /// the token embedding is skipped: its update could not be merged without changing the
    /// embedding too), in the order of the module tree, drawing each A from `generator`.
    /// A layer called `c_attn` (GPT-2's fused query/key/value) gets three parts, as the
    /// book's three separate layers would. Returns the adapters by layer name.
    ///
    ///     model.freeze()
    ///     LoRA.apply(to: model, rank: 16, alpha: 16, generator: TorchGenerator(seed: 123))
    ///     model.trainableParameterCount       // only the adapters
    @discardableResult
    public static func apply(to model: Module, rank: Int, alpha: Float, generator: TorchGenerator) -> [(name: String, adapter: LoRALinear)] {
        let owned = Set(model.namedParameters().map(\.name))
        var out: [(name: String, adapter: LoRALinear)] = []
        for (name, module) in model.namedModules() {
            guard let linear = module as? Linear, linear.adapter == nil else { continue }
            guard owned.contains(name.isEmpty ? "weight" : name + ".weight") else { continue }   // tied to another parameter
            let parts = name == "c_attn" || name.hasSuffix(".c_attn") ? 3 : 1
            out.append((name, LoRALinear(wrapping: linear, rank: rank, alpha: alpha, parts: parts, generator: generator)))
        }
        return out
    }

    /// The adapters attached to `model`'s layers, by layer name.
    public static func adapters(in model: Module) -> [(name: String, adapter: LoRALinear)] {
        model.namedModules().compactMap { name, module in
            ((module as? Linear)?.adapter as? LoRALinear).map { (name, $0) }
        }
    }

    /// Merges every adapter of `model` into its layer's weight.
    public static func merge(_ model: Module) {
        for (_, adapter) in adapters(in: model) { adapter.merge() }
    }

    /// The adapters' tensors by parameter name (`h.0.attn.c_attn.lora.A.0`): what
    /// `save` writes and `load` reads.
    public static func tensors(of model: Module) -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: model.namedParameters().filter { $0.name.contains(".lora.") || $0.name.hasPrefix("lora.") }
            .map { ($0.name, $0.tensor.detach()) })
    }

    /// Writes the adapters of `model` (only A and B: a few MB) with their rank and alpha.
    public static func save(_ model: Module, to url: URL) throws {
        guard let first = adapters(in: model).first?.adapter else {
            preconditionFailure("LoRA.save: the model has no adapters")
        }
        try SafeTensors.write(tensors(of: model), metadata: ["format": "lora", "rank": String(first.rank), "alpha": "\(first.alpha)"], to: url)
    }

    /// The rank and alpha saved in an adapter file.
    public static func settings(of url: URL) throws -> (rank: Int, alpha: Float) {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: url) } catch let error as SafeTensorsError {
            throw InputError(path: error.path, problem: error.problem, hint: error.hint)
        }
        guard let rank = file.metadata["rank"].flatMap(Int.init), let alpha = file.metadata["alpha"].flatMap(Float.init) else {
            throw InputError(path: url.path, problem: "has no LoRA rank and alpha in its metadata", hint: "it is written by LoRA.save")
        }
        return (rank, alpha)
    }

    /// If `directory` holds adapter.safetensors (a checkpoint of a LoRA fine-tuning run),
    /// attaches adapters of its rank and alpha to `model`, loads them and merges them into
    /// the weights: the model then computes what the fine-tuned one did.
    public static func mergeSaved(into model: Module, directory: URL) throws {
        let url = directory.appendingPathComponent("adapter.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let (rank, alpha) = try settings(of: url)
        withNoGrad { apply(to: model, rank: rank, alpha: alpha, generator: TorchGenerator(seed: 0)) }   // A and B are then loaded
        try load(into: model, from: url)
        merge(model)
    }

    /// Reads adapters saved by `save` into `model`, which must already carry adapters of the
    /// same rank on the same layers (apply them first with the saved rank and alpha).
    public static func load(into model: Module, from url: URL) throws {
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(contentsOf: url) } catch let error as SafeTensorsError {
            throw InputError(path: error.path, problem: error.problem, hint: error.hint)
        }
        let expected = Set(tensors(of: model).keys)
        guard Set(file.names) == expected else {
            let missing = expected.subtracting(file.names).sorted(), unexpected = Set(file.names).subtracting(expected).sorted()
            throw InputError(path: url.path, problem: "holds other adapters than the model's"
                             + (missing.isEmpty ? "" : " (missing \(missing.prefix(3).joined(separator: ", "))\(missing.count > 3 ? ", …" : ""))")
                             + (unexpected.isEmpty ? "" : " (unexpected \(unexpected.prefix(3).joined(separator: ", "))\(unexpected.count > 3 ? ", …" : ""))"),
                             hint: "load adapters into the model they were trained on, with the same rank")
        }
        var values: [String: Tensor] = [:]
        for name in file.names { values[name] = try file.tensor(name) }
        do { try model.load(values, strict: false) } catch let error as ModuleLoadError {
            throw InputError(path: url.path, problem: error.description, hint: "the adapters were saved with another rank or model")
        }
    }
}
