// Self-attention without trainable weights: every token's context vector is a weighted
// average of all the input vectors, weighted by how similar they are (dot product) after a
// softmax. Chapter 3 builds this by hand; later chapters add weights, masks and heads.

import TensorKit

/// The three steps of simplified self-attention for a sequence of embeddings.
public struct SimplifiedSelfAttention {
    /// ω: every pair's dot product, `inputs · inputsᵀ`.  (T, T)
    public let scores: Tensor
    /// α: each row of scores turned into probabilities by softmax.  (T, T)
    public let weights: Tensor
    /// z: each token's weighted average of all inputs, `α · inputs`.  (T, d)
    public let context: Tensor

    /// Runs the three steps on `inputs` of shape (T, d).
    public init(_ inputs: Tensor) {
        precondition(inputs.rank == 2, "SimplifiedSelfAttention: inputs must be (tokens, dim), got \(describeShape(inputs.shape))")
        scores = inputs.matmul(inputs.T)       // (T, d) × (d, T) → (T, T)
        weights = scores.softmax(axis: -1)     // (T, T), each row sums to 1
        context = weights.matmul(inputs)       // (T, T) × (T, d) → (T, d)
    }
}
