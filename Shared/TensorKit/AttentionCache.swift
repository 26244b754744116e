// The keys and values an attention layer has already computed, kept so that generating one
// more token needs only that token's query, key and value (the "KV cache"). They are laid out
// (B, heads, capacity, hd): each (batch, head) has room for more positions after the ones in
// use, so appending a token copies only that token's keys and values, and attention reads
// the cache where it lies.

/// One attention layer's cache of keys and values, (B, heads, T, hd) each.
///
///     let cache = AttentionCache()
///     cache.append(keys: k, values: v)             // (B, heads, t, hd) each: the prompt
///     let (context, weights) = cache.attend(q)     // q (B, heads, t, hd): the prompt's queries
///     cache.append(keys: k1, values: v1)           // one more position, copied in place
///
/// For inference: nothing here records a gradient.
public final class AttentionCache {
    /// The batch size, heads and features per head, fixed by the first `append`.
    public private(set) var batch = 0, heads = 0, headDim = 0
    /// How many positions there is room for before the storage must grow.
    public private(set) var capacity = 0
    /// How many positions are cached.
    public private(set) var length = 0
    /// (B, heads, capacity, hd) each; the first `length` positions of every (batch, head) are in use.
    private(set) var keyStorage = TensorStorage(uninitialized: 0), valueStorage = TensorStorage(uninitialized: 0)

    public init() {}

    /// The cached keys (B, heads, T, hd), copied out of the storage (for pictures and tables).
    public var keys: Tensor? { length == 0 ? nil : Tensor(shape: [batch, heads, length, headDim], storage: relayout(keyStorage, to: length)) }
    /// The cached values (B, heads, T, hd).
    public var values: Tensor? { length == 0 ? nil : Tensor(shape: [batch, heads, length, headDim], storage: relayout(valueStorage, to: length)) }

    /// Bytes held by the cached keys and values (the positions in use).
    public var bytes: Int { 2 * batch * heads * length * headDim * MemoryLayout<Float>.stride }

    /// Appends new keys and values (B, heads, t, hd), in place: the storage grows (doubling)
    /// only when it is full.
    public func append(keys newKeys: Tensor, values newValues: Tensor) {
        precondition(newKeys.rank == 4, "AttentionCache: keys must be (B, heads, T, hd), got \(describeShape(newKeys.shape))")
        precondition(newValues.shape == newKeys.shape,
                     "AttentionCache: keys \(describeShape(newKeys.shape)) and values \(describeShape(newValues.shape)) differ")
        let (b, h, t, hd) = (newKeys.shape[0], newKeys.shape[1], newKeys.shape[2], newKeys.shape[3])
        if length == 0 { (batch, heads, headDim) = (b, h, hd) }
        precondition(b == batch && h == heads && hd == headDim,
                     "AttentionCache: new keys \(describeShape(newKeys.shape)) do not fit the cached (\(batch), \(heads), T, \(headDim))")
        if length + t > capacity {
            let newCapacity = max(2 * capacity, length + t, 64)
            keyStorage = relayout(keyStorage, to: newCapacity)
            valueStorage = relayout(valueStorage, to: newCapacity)
            capacity = newCapacity
        }
        for (storage, new) in [(keyStorage, newKeys), (valueStorage, newValues)] {
            withPointers(new, storage) { source, cache in
                for bh in 0..<(b * h) {   // t new positions after the cached ones, per (batch, head)
                    (cache + (bh * capacity + length) * hd).update(from: source + bh * t * hd, count: t * hd)
                }
            }
        }
        length += t
    }

    /// Causal attention of new queries q (B, heads, Tq, hd) — the last Tq cached positions —
    /// over everything cached, read in place: the context (B, heads, Tq, hd) and the weights
    /// (B, heads, Tq, T). Query i sees the positions up to its own, T − Tq + i.
    public func attend(_ q: Tensor) -> (context: Tensor, weights: Tensor) {
        precondition(q.rank == 4 && q.shape[0] == batch && q.shape[1] == heads && q.shape[3] == headDim && q.shape[2] <= length,
                     "AttentionCache.attend: queries \(describeShape(q.shape)) do not fit the cache (\(batch), \(heads), \(length), \(headDim))")
        return cachedCausalAttention(q)
    }

    /// The first `length` positions of each (batch, head) of `storage`, copied into new storage
    /// with room for `newCapacity` positions (zeros after them).
    private func relayout(_ storage: TensorStorage, to newCapacity: Int) -> TensorStorage {
        let out = TensorStorage(zeros: batch * heads * newCapacity * headDim)
        let used = length * headDim
        guard used > 0 else { return out }
        withPointers(storage, out) { source, destination in
            for bh in 0..<(batch * heads) {
                (destination + bh * newCapacity * headDim).update(from: source + bh * capacity * headDim, count: used)
            }
        }
        return out
    }
}

// MARK: - Attention over the cache

extension AttentionCache {
    /// The kernel of `attend`: q (B, heads, Tq, hd) over the first `length` positions of
    /// `keyStorage` and `valueStorage`, read where they lie.
    func cachedCausalAttention(_ q: Tensor) -> (context: Tensor, weights: Tensor) {
        let (b, h, tq, hd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
        let (t, capacity) = (length, self.capacity)
        let root = Float(hd).squareRoot()          // scores are divided by √hd, as in every attention kernel
        let weights = TensorStorage(uninitialized: b * h * tq * t)        // (B, heads, Tq, T)
        let context = TensorStorage(uninitialized: b * h * tq * hd)       // (B, heads, Tq, hd)
        withPointers(q, keyStorage, valueStorage, weights, context) { qp, kp, vp, wp, cp in
            parallelFor(b * h) { bh in
                let scores = wp + bh * tq * t
                gemm(m: tq, n: t, k: hd, a: qp + bh * tq * hd, lda: hd, transA: false,
                     b: kp + bh * capacity * hd, ldb: hd, transB: true, c: scores, ldc: t, accumulate: false)   // Q·Kᵀ
                for i in 0..<tq {
                    let row = scores + i * t
                    let visible = t - tq + i + 1                      // query i sits at position t − tq + i
                    var j = 0
                    while j < visible { store16(load16(row, j, visible) / root, row, j, visible); j += 16 }
                    rowSoftmax(row, visible, into: row)
                    (row + visible).update(repeating: 0, count: t - visible)
                }
                gemm(m: tq, n: hd, k: t, a: scores, lda: t, transA: false,
                     b: vp + bh * capacity * hd, ldb: hd, transB: false, c: cp + bh * tq * hd, ldc: hd, accumulate: false)   // P·V
            }
        }
        return (Tensor(shape: [b, h, tq, hd], storage: context), Tensor(shape: [b, h, tq, t], storage: weights))
    }
}
