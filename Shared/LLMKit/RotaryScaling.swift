// Llama 3.1's way of stretching RoPE to a longer context (`rope_scaling` of type "llama3"):
// the slow rotations, whose wavelength is longer than the original context, are slowed down
// further by `factor`; the fast ones, which only ever measured short distances, stay as they
// were; those in between are blended smoothly. Llama 3.2 1B and 3B use it too.

import Foundation
import TensorKit

/// The four numbers of a "llama3" `rope_scaling` in config.json.
///
///     let scaling = Llama3RopeScaling(factor: 32, lowFrequencyFactor: 1, highFrequencyFactor: 4,
///                                     originalContext: 8192)           // Llama 3.2
///     let rope = RotaryEmbedding(headDim: 64, base: 500_000, scaling: scaling)
public struct Llama3RopeScaling: Codable, Equatable, Sendable {
    /// How much slower the slowest rotations turn ("factor").
    public var factor: Float
    /// Wavelengths above originalContext / lowFrequencyFactor are divided by `factor` ("low_freq_factor").
    public var lowFrequencyFactor: Float
    /// Wavelengths below originalContext / highFrequencyFactor are kept ("high_freq_factor").
    public var highFrequencyFactor: Float
    /// The context the model was first trained with ("original_max_position_embeddings").
    public var originalContext: Int

    public init(factor: Float, lowFrequencyFactor: Float, highFrequencyFactor: Float, originalContext: Int) {
        precondition(factor > 0 && lowFrequencyFactor > 0 && highFrequencyFactor > lowFrequencyFactor && originalContext > 0,
                     "Llama3RopeScaling: needs factor > 0 and 0 < low_freq_factor < high_freq_factor, got \(factor), \(lowFrequencyFactor), \(highFrequencyFactor)")
        self.factor = factor
        self.lowFrequencyFactor = lowFrequencyFactor
        self.highFrequencyFactor = highFrequencyFactor
        self.originalContext = originalContext
    }

    /// The rescaled θᵢ, in float32 and in the order of operations `transformers` uses
    /// (`_compute_llama3_parameters`), so that the last bits agree too.
    public func scaled(_ inverseFrequencies: [Float]) -> [Float] {
        let old = Float(originalContext)
        let lowWavelength = Float(Double(originalContext) / Double(lowFrequencyFactor))
        let highWavelength = Float(Double(originalContext) / Double(highFrequencyFactor))
        let twoPi = Float(2 * Double.pi)
        let span = Float(Double(highFrequencyFactor) - Double(lowFrequencyFactor))
        return inverseFrequencies.map { theta in
            let wavelength = (1 / theta) * twoPi                                   // 2π / θ
            if wavelength < highWavelength { return theta }                        // fast: kept
            if wavelength > lowWavelength { return theta / factor }                // slow: stretched
            let smooth = ((1 / wavelength) * old - lowFrequencyFactor) / span      // 0 at the slow end, 1 at the fast
            return (1 - smooth) * theta / factor + smooth * theta                  // in between: blended
        }
    }
}

extension RotaryEmbedding {
    /// RoPE with base `base` whose frequencies are rescaled by `scaling` (nil: plain RoPE).
    public init(headDim: Int, base: Float, scaling: Llama3RopeScaling?) {
        let plain = RotaryEmbedding(headDim: headDim, base: base)
        self.init(headDim: headDim, base: base, inverseFrequencies: scaling?.scaled(plain.inverseFrequencies) ?? plain.inverseFrequencies)
    }
}
