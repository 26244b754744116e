// Where is each token? Attention itself ignores order, so models add position information:
// fixed sinusoids (the 2017 Transformer, Marian), learned position embeddings (GPT-2, BERT),
// or a rotation of queries and keys by an angle that grows with position (RoPE: Llama).

import Foundation
import TensorKit

// MARK: - Sinusoidal

/// The 2017 paper's fixed encodings, (positions, dim):
/// PE(pos, 2i) = sin(pos / 10000^(2i/d)),  PE(pos, 2i+1) = cos(pos / 10000^(2i/d)).
///
/// With `halves: true` the sines fill the first half of each row and the cosines the second,
/// the layout Marian uses (`MarianSinusoidalPositionalEmbedding`).
public func sinusoidalPositionalEncoding(positions: Int, dim: Int, halves: Bool = false) -> Tensor {
    precondition(dim % 2 == 0, "sinusoidalPositionalEncoding: dim \(dim) must be even")
    var out = [Float](repeating: 0, count: positions * dim)
    for pos in 0..<positions {
        for i in 0..<(dim / 2) {
            let angle = Double(pos) / Foundation.pow(10000, Double(2 * i) / Double(dim))
            let (s, c) = (Float(Foundation.sin(angle)), Float(Foundation.cos(angle)))
            if halves {
                out[pos * dim + i] = s
                out[pos * dim + dim / 2 + i] = c
            } else {
                out[pos * dim + 2 * i] = s
                out[pos * dim + 2 * i + 1] = c
            }
        }
    }
    return Tensor(shape: [positions, dim], data: out)   // (positions, dim)
}

// MARK: - Rotary (RoPE)

/// Rotary position embedding as Llama uses it: the head dimension is split into two halves
/// (x₁, x₂), and each pair (x₁[i], x₂[i]) is rotated by the angle pos · θᵢ with
/// θᵢ = base^(−2i/d). Because rotations compose, q·k after rotating q by pos_q and k by pos_k
/// depends only on pos_q − pos_k.
public struct RotaryEmbedding {
    public let headDim: Int
    public let base: Float
    /// θᵢ for i < headDim/2, computed in float32 as Hugging Face does.
    public let inverseFrequencies: [Float]

    public init(headDim: Int, base: Float = 10000) {
        precondition(headDim % 2 == 0, "RotaryEmbedding: head dim \(headDim) must be even")
        self.headDim = headDim
        self.base = base
        inverseFrequencies = (0..<(headDim / 2)).map { i in
            1 / Foundation.pow(base, Float(2 * i) / Float(headDim))
        }
    }

    /// RoPE with given θᵢ (headDim/2 of them), e.g. rescaled for a longer context.
    public init(headDim: Int, base: Float, inverseFrequencies: [Float]) {
        precondition(headDim % 2 == 0 && inverseFrequencies.count == headDim / 2,
                     "RotaryEmbedding: head dim \(headDim) needs \(headDim / 2) frequencies, got \(inverseFrequencies.count)")
        self.headDim = headDim
        self.base = base
        self.inverseFrequencies = inverseFrequencies
    }

    /// cos and sin of every position's angles, each (T, headDim) (the halves repeat).
    public func cosSin(positions: Range<Int>) -> (cos: Tensor, sin: Tensor) {
        let t = positions.count, half = headDim / 2
        var c = [Float](repeating: 0, count: t * headDim), s = c
        for (row, pos) in positions.enumerated() {
            for i in 0..<half {
                let angle = Float(pos) * inverseFrequencies[i]
                c[row * headDim + i] = Foundation.cos(angle)
                c[row * headDim + half + i] = Foundation.cos(angle)
                s[row * headDim + i] = Foundation.sin(angle)
                s[row * headDim + half + i] = Foundation.sin(angle)
            }
        }
        return (Tensor(shape: [t, headDim], data: c), Tensor(shape: [t, headDim], data: s))
    }

    /// Rotates x of shape (…, T, headDim) whose tokens sit at `positions`:
    /// x · cos + rotateHalf(x) · sin, with rotateHalf(x₁, x₂) = (−x₂, x₁).
    public func apply(_ x: Tensor, positions: Range<Int>) -> Tensor {
        precondition(x.shape[x.rank - 1] == headDim && x.shape[x.rank - 2] == positions.count,
                     "RotaryEmbedding: input \(describeShape(x.shape)) does not end in (\(positions.count), \(headDim))")
        let (cos, sin) = cosSin(positions: positions)          // (T, hd) each
        let half = headDim / 2
        let x1 = x.slice(-1, 0, half)                           // (…, T, hd/2)
        let x2 = x.slice(-1, half)                              // (…, T, hd/2)
        let rotated = Tensor.cat([-x2, x1], axis: -1)           // (…, T, hd)
        return x * cos + rotated * sin                          // (…, T, hd)
    }
}
