// Reading and writing a tensor's elements. Reading is free-form; writing goes through one
// door, `withUnsafeMutableBufferPointer`, which does two things first: it gives the tensor
// storage of its own if another tensor shares it (copy-on-write), and it counts the write in
// `version`, which autograd checks so that a tensor an op still needs for its gradient cannot
// be changed under it.

extension Tensor {
    // MARK: - Reading

    /// The elements in row-major order, as a new array (widened to float32 if the storage is
    /// kept in another form). For hot loops, read in place with `withUnsafeBufferPointer`.
    ///
    ///     Tensor([[1, 2], [3, 4]]).data    // [1.0, 2.0, 3.0, 4.0]
    public var data: [Float] { storage.array() }

    /// Runs `body` with the elements in place, for reading (float32 storage only).
    ///
    ///     let total = x.withUnsafeBufferPointer { $0.reduce(0, +) }
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try withExtendedLifetime(storage) { try body(UnsafeBufferPointer(start: pointer, count: count)) }
    }

    /// The elements, for a kernel that reads them while `self` is alive (`withPointers` keeps it so).
    var pointer: UnsafePointer<Float> {
        precondition(storage.form == .float32,
                     "\(op): the tensor of shape \(describeShape(shape)) holds \(storage.form) elements; ops need float32 (use widened())")
        return UnsafePointer(storage.floats)
    }

    /// The same values as float32, in storage of their own (this tensor itself if its
    /// storage already is float32). Exact for every form.
    public func widened() -> Tensor {
        storage.form == .float32 ? self : Tensor(shape: shape, storage: storage.widened())
    }

    // MARK: - Writing

    /// Runs `body` with the elements in place, for writing: the one way to change a tensor's
    /// values (`copy(from:)` and the subscript use it). Each call is one write in `version`.
    /// If another tensor shares the storage (a reshape, a `detach()`ed copy, a state
    /// dictionary), this tensor first gets a copy of its own, so the others keep their values.
    ///
    ///     weight.withUnsafeMutableBufferPointer { w in for i in w.indices { w[i] *= 0.5 } }
    ///
    /// Writing into a tensor that an op used, before `backward()` has run that op's gradient,
    /// stops `backward()` with a message: the gradient would be computed from the new values.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&storage) || !storage.isWritable { storage = storage.widened() }
        version += 1
        return try withExtendedLifetime(storage) { try body(UnsafeMutableBufferPointer(start: storage.floats, count: count)) }
    }

    /// Overwrites every element with `values` (row-major, as many as the tensor has).
    ///
    ///     p.copy(from: [Float](repeating: 0, count: p.count))
    public func copy(from values: [Float]) {
        precondition(values.count == count, "copy(from:): \(values.count) values for a tensor of shape \(describeShape(shape))")
        withUnsafeMutableBufferPointer { out in
            values.withUnsafeBufferPointer { source in
                if let start = source.baseAddress { out.baseAddress!.update(from: start, count: count) }
            }
        }
    }

    /// Overwrites every element with those of `source` (the same number of elements; the
    /// shapes may differ, as in `torch.Tensor.copy_` with a reshape).
    ///
    ///     p.copy(from: generator.normal(p.shape, std: 0.02))
    public func copy(from source: Tensor) {
        precondition(source.count == count,
                     "copy(from:): \(describeShape(source.shape)) has \(source.count) elements, \(describeShape(shape)) has \(count)")
        withUnsafeMutableBufferPointer { out in
            if count > 0 { source.storage.copyWidened(into: out.baseAddress!) }
        }
    }

    /// Makes `source`'s storage this tensor's (same element count), without copying: how
    /// `Module.load` takes a checkpoint's tensors. Counts as a write.
    func replaceStorage(with source: Tensor) {
        precondition(source.count == count, "load: \(source.count) values for tensor of shape \(describeShape(shape))")
        storage = source.storage
        version += 1
    }
}
