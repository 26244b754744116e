// The KV cache of a whole model: one `AttentionCache` (TensorKit) per layer, and how many
// positions have been cached, from which the next token's position follows.

import TensorKit

/// The keys and values every layer has computed so far, so that generating one more token
/// needs only that token's query, key and value instead of recomputing the whole sequence.
///
///     let cache = model.makeCache()
///     var logits = model.lastLogits(prompt, shape: [1, prompt.count], cache: cache)   // fills it
///     logits = model.lastLogits([next], shape: [1, 1], cache: cache)                  // one position more
public final class KVCache {
    /// One layer's keys and values: TensorKit's `AttentionCache`, which owns their layout.
    public typealias Layer = AttentionCache

    public let layers: [Layer]
    /// How many positions are cached.
    public internal(set) var length = 0

    public init(layers: Int) {
        self.layers = (0..<layers).map { _ in Layer() }
    }

    /// Bytes held by the cached keys and values (the positions in use).
    public var bytes: Int { layers.reduce(0) { $0 + $1.bytes } }
}
