// The basic layers every model is made of, as `torch.nn` defines them: Linear, Embedding,
// LayerNorm, RMSNorm and Dropout. Each initialises itself as PyTorch does, from a
// PyTorch-compatible generator, so that seeded models print the book's numbers.

// MARK: - Linear

/// y = x · Wᵀ + b, with W of shape (out, in) as in `nn.Linear`.
public final class Linear: Module {
    public let inFeatures: Int, outFeatures: Int
    public let weight: Tensor   // "weight" (out, in)
    public let bias: Tensor?    // "bias" (out)
    /// The weight kept in fewer bytes for inference (`Module.packWeights`); when set, calls
    /// use it instead of `weight`.
    public fileprivate(set) var packed: PackedMatrix?

    /// PyTorch's default initialisation: weight, then bias, uniform in ±1/√in.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: TorchGenerator = .global) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        (weight, self.bias) = generator.linearInit(inFeatures: inFeatures, outFeatures: outFeatures, bias: bias)
        super.init()
        register(parameter: "weight", weight)
        if let b = self.bias { register(parameter: "bias", b) }
    }

    /// A layer with given weights (for loading checkpoints and for tests).
    public init(weight: Tensor, bias: Tensor?) {
        precondition(weight.rank == 2, "Linear: weight must be (out, in), got \(describeShape(weight.shape))")
        outFeatures = weight.shape[0]
        inFeatures = weight.shape[1]
        self.weight = weight
        self.bias = bias
        super.init()
        register(parameter: "weight", weight)
        if let bias {
            precondition(bias.shape == [outFeatures], "Linear: bias \(describeShape(bias.shape)) does not match \(outFeatures) outputs")
            register(parameter: "bias", bias)
        }
    }

    /// (…, in) → (…, out), plus the adapter's update when one is attached.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if packed == nil, weight.storage.form != .float32 {
            packed = PackedMatrix(wrapping: weight)   // a 16-bit checkpoint weight, read in place
        }
        let y = packed.map { $0.linear(x, bias: bias) }                      // (…, out), inference only
            ?? Tensor.linear(x, weight: weight, bias: bias)                  // (…, out)
        guard let adapter else { return y }
        return y + adapter.update(x)                                         // (…, out)
    }

    /// Keeps the weight as `format` from now on, for inference. For bfloat16 and float16 the
    /// weight's own storage becomes the packed values (its float32 memory is given back, and
    /// `weight` reads as the rounded values); int8 keeps the float32 weight beside its blocks.
    /// Nil goes back to computing with the weight as it is stored.
    public func pack(_ format: PackedFormat?) {
        guard let format else { packed = nil; return }
        let matrix = PackedMatrix(quantizing: weight, to: format)
        packed = matrix
        if format != .int8, let halves = matrix.halves {
            weight.replaceStorage(with: Tensor(shape: weight.shape, storage: TensorStorage(
                borrowing: UnsafeRawPointer(halves), count: weight.count,
                form: format == .bfloat16 ? .bfloat16 : .float16, owner: matrix)))
        }
    }

    // MARK: Adapters

    /// A module whose output is added to this layer's — LoRA's low-rank update (LLMKit's
    /// `LoRALinear`) — registered as the child "lora", or nil.
    public private(set) var adapter: LinearAdapter?

    /// Adds `adapter`'s update to every later output of this layer; its parameters appear
    /// under `lora.` (`h.0.mlp.c_fc.lora.A`).
    public func attach(_ adapter: LinearAdapter) {
        precondition(self.adapter == nil, "Linear: an adapter is already attached")
        register("lora", adapter)
        self.adapter = adapter
    }

    /// Removes the attached adapter (after merging it into the weight, for instance).
    public func detachAdapter() {
        precondition(adapter != nil, "Linear: no adapter is attached")
        unregister("lora")
        adapter = nil
    }
}

/// Something that adds to a `Linear` layer's output without changing its weight: LoRA's
/// low-rank update (LLMKit's `LoRALinear`, the book's appendix E). `update` maps the layer's
/// input (…, in) to a term of the layer's output shape (…, out).
public protocol LinearAdapter: Module {
    func update(_ x: Tensor) -> Tensor
}

extension Module {
    /// Packs the weight of every `Linear` inside this module as `format` (bfloat16, float16
    /// or int8 blocks) for inference, or unpacks them (nil). A weight shared by two layers
    /// (a head tied to the embedding) is packed once.
    ///
    ///     model.packWeights(.int8)      // decoding reads 1.125 bytes a weight instead of 4
    ///     let logits = withNoGrad { model.lastLogits(ids, shape: [1, ids.count], cache: nil) }
    public func packWeights(_ format: PackedFormat?) {
        var done: [ObjectIdentifier: PackedMatrix?] = [:]
        for case let (_, linear as Linear) in namedModules() {
            let key = ObjectIdentifier(linear.weight)
            if let shared = done[key] { linear.packed = shared; continue }
            linear.pack(format)
            done[key] = linear.packed
        }
    }

    /// Bytes of the weights a forward pass reads: packed layers at their packed size, every
    /// other parameter at 4 bytes a float, each tensor once (a head tied to the embedding
    /// counts at its packed size, as the head is what reads all of it).
    public var weightBytes: Int {
        var seen = Set<ObjectIdentifier>(), bytes = 0
        var packedWeights = Set<ObjectIdentifier>()
        for case let (_, linear as Linear) in namedModules() {
            guard let p = linear.packed, seen.insert(ObjectIdentifier(p)).inserted else { continue }
            bytes += p.byteCount
            packedWeights.insert(ObjectIdentifier(linear.weight))
        }
        for t in parameters where !packedWeights.contains(ObjectIdentifier(t)) { bytes += 4 * t.count }
        return bytes
    }
}

// MARK: - Embedding

/// A lookup table of `count` vectors of size `dim` (`nn.Embedding`), initialised N(0, 1).
public final class Embedding: Module {
    public let weight: Tensor   // "weight" (count, dim)

    public convenience init(_ count: Int, _ dim: Int, generator: TorchGenerator = .global) {
        self.init(weight: generator.embeddingInit(count: count, dim: dim))
    }

    public init(weight: Tensor) {
        precondition(weight.rank == 2, "Embedding: weight must be (count, dim), got \(describeShape(weight.shape))")
        self.weight = weight
        super.init()
        register(parameter: "weight", weight)
    }

    /// Token ids of shape `shape` → vectors of shape `shape + [dim]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]? = nil) -> Tensor {
        Tensor.embedding(weight, ids: ids, shape: shape ?? [ids.count])
    }
}

// MARK: - Normalisation

/// Layer normalisation over the last axis with a learned scale and shift (`nn.LayerNorm`).
public final class LayerNorm: Module {
    public let eps: Float
    public let weight: Tensor   // "weight" (dim), starts at 1
    public let bias: Tensor?    // "bias" (dim), starts at 0

    public init(_ dim: Int, eps: Float = 1e-5, bias: Bool = true) {
        self.eps = eps
        weight = Tensor.ones([dim])
        self.bias = bias ? Tensor.zeros([dim]) : nil
        super.init()
        register(parameter: "weight", weight)
        if let b = self.bias { register(parameter: "bias", b) }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(weight: weight, bias: bias, eps: eps)
    }
}

/// Root-mean-square normalisation with a learned scale (Llama's `LlamaRMSNorm`).
///
/// With `unitOffset` the scale is stored minus one and applied as (1 + weight), the weight
/// starting at 0 (Gemma's `GemmaRMSNorm`): the same function, another parametrisation.
///
///     let norm = RMSNorm(64, eps: 1e-6, unitOffset: true)   // Gemma's input_layernorm
public final class RMSNorm: Module {
    public let eps: Float
    public let weight: Tensor   // "weight" (dim), starts at 1 (at 0 with unitOffset)
    public let unitOffset: Bool

    public init(_ dim: Int, eps: Float = 1e-6, unitOffset: Bool = false) {
        self.eps = eps
        self.unitOffset = unitOffset
        weight = unitOffset ? Tensor.zeros([dim]) : Tensor.ones([dim])
        super.init()
        register(parameter: "weight", weight)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.rmsNorm(weight: unitOffset ? 1 + weight : weight, eps: eps)     // (…, dim)
    }
}

// MARK: - Dropout

/// Zeroes each element with probability `p` in training mode and scales the survivors by
/// 1/(1 − p), so the expected value is unchanged; does nothing in evaluation mode.
public final class Dropout: Module {
    public let p: Float
    public let generator: TorchGenerator

    public init(_ p: Float, generator: TorchGenerator = .global) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        self.generator = generator
        super.init()
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.dropout(p, training: isTraining, generator: generator)
    }
}

extension Tensor {
    /// Dropout as a function: in training, keeps each element with probability 1 − p and
    /// scales it by 1/(1 − p). The mask is drawn from `generator` as PyTorch's CPU kernel draws
    /// it (PyTorch builds that use Intel's MKL differ).
    public func dropout(_ p: Float, training: Bool, generator: TorchGenerator = .global) -> Tensor {
        guard training, p > 0 else { return self }
        let keep = generator.bernoulli(shape, p: 1 - p)     // 1 with probability 1 − p
        return (self * (keep / (1 - p))).renamed("dropout")
    }
}
