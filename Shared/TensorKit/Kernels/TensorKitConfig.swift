// The settings of the numeric kernels: how many threads, whether attention is fused, how
// much memory the buffer pool may keep. Each can be set from the environment (for runs that
// measure what a setting gains) or assigned in code.

import Foundation

/// Settings of the numeric kernels.
public enum TensorKitConfig {
    /// How many threads kernels may use: the environment variable TENSORKIT_THREADS if set,
    /// else the active processors. Any value gives the same results to the bit, only at a
    /// different speed (set it to 1 to check).
    nonisolated(unsafe) public static var threadCount: Int = {
        if let text = ProcessInfo.processInfo.environment["TENSORKIT_THREADS"], let n = Int(text), n >= 1 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Whether GPT attention runs as one fused kernel (`Tensor.causalSelfAttention`) when it
    /// can; false takes the step-by-step path of separate ops (for tests and the benchmarks
    /// that measure what fusing gains).
    nonisolated(unsafe) public static var fusedAttention = true

    /// The most bytes of dead tensors' storage `BufferPool` keeps for reuse: the environment
    /// variable TENSORKIT_BUFFER_POOL_MB if set (0 turns the pool off, to measure what it
    /// gains), else 1 GB.
    nonisolated(unsafe) public static var bufferPoolLimit: Int = {
        if let text = ProcessInfo.processInfo.environment["TENSORKIT_BUFFER_POOL_MB"], let n = Int(text), n >= 0 { return n << 20 }
        return 1 << 30
    }()
}
