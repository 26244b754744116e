// Chapter 8's pre-norm vs post-norm experiments (section 8.4): a deep stack of small residual
// blocks, the gradient reaching each block's input at initialisation, and short training runs
// of the same stack with and without learning-rate warm-up.
// Tests/Fixtures/pre-post-norm/make_pre_post_norm.py runs the same experiments in PyTorch.

import Foundation
import LLMKit
import TensorKit

/// One residual block of the experiments: f = Linear(d, 4d) → GELU → Linear(4d, d), and a
/// LayerNorm placed before f (pre-norm) or after the addition (post-norm).
final class ResidualBlock: Module {
    let up: Linear, down: Linear, norm: LayerNorm

    /// Draws `up` then `down` from the global generator (as PyTorch would create them).
    init(width d: Int) {
        up = Linear(d, 4 * d)
        down = Linear(4 * d, d)
        norm = LayerNorm(d)
        super.init()
        register("up", up)
        register("down", down)
        register("norm", norm)
    }

    /// (N, d) → (N, d)
    func callAsFunction(_ x: Tensor, placement: NormPlacement) -> Tensor {
        placement.apply(x, norm: { self.norm($0) }, sublayer: { self.down(self.up($0).gelu()) })
    }
}

/// The size of the gradient reaching each block's input, ‖∂loss/∂xᵢ‖, for the loss
/// mean(output · direction). A zero "probe" is added to each block's input: the gradient of the
/// probe is the gradient of that input (PyTorch would use `retain_grad()`).
func gradientsReachingEachBlock(_ blocks: [ResidualBlock], input: Tensor, direction: Tensor,
                                placement: NormPlacement) -> [Float] {
    var x = input
    var probes: [Tensor] = []
    for block in blocks {
        let probe = Tensor.zeros(input.shape, requiresGrad: true)      // (N, d)
        probes.append(probe)
        x = block(x + probe, placement: placement)                      // (N, d)
    }
    (x * direction).mean().backward()
    return probes.map { ($0.grad! * $0.grad!).sum().sqrt().item }
}

/// What a training run of the stack gives: every step's loss, and the targets' variance (the
/// loss of always predicting their mean).
struct StackTraining {
    var losses: [Float]
    var targetVariance: Float
}

/// Trains `depth` blocks and a head Linear(d, 1) to fit a fixed random teacher,
/// y = tanh(x W₁/√d) W₂/√32, on 2,048 random inputs: batches of 64 rows, mean squared error,
/// AdamW without weight decay. With `warmupSteps` > 0 the learning rate rises linearly over
/// those steps, lr · (step + 1)/warmup, then stays. Everything is drawn from the global
/// generator after `manualSeed(seed)`, in the fixture script's order.
func trainStack(depth: Int, width d: Int, placement: NormPlacement, learningRate: Float, warmupSteps: Int,
                steps: Int, seed: UInt64) -> StackTraining {
    Tensor.manualSeed(seed)
    let stack = Module()
    let blocks = (0..<depth).map { _ in ResidualBlock(width: d) }
    let head = Linear(d, 1)
    stack.register("blocks", list: blocks)
    stack.register("head", head)
    let w1 = Tensor.randn([d, 32]), w2 = Tensor.randn([32, 1])
    let (rows, batch) = (2048, 64)
    let inputs = Tensor.randn([rows, d])                                                        // (2048, d)
    let targets = (inputs.matmul(w1) / Float(d).squareRoot()).tanh().matmul(w2) / Float(32).squareRoot()  // (2048, 1)
    let optimizer = AdamW(stack, learningRate: learningRate, weightDecay: 0)
    var losses: [Float] = []
    losses.reserveCapacity(steps)
    for step in 0..<steps {
        optimizer.learningRate = warmupSteps > 0 ? learningRate * min(1, Float(step + 1) / Float(warmupSteps)) : learningRate
        let picked = Tensor.randint(0, rows, [batch])
        var x = inputs.indexSelect(0, picked)                                                   // (64, d)
        for block in blocks { x = block(x, placement: placement) }
        let error = head(x) - targets.indexSelect(0, picked)                                    // (64, 1)
        let loss = (error * error).mean()
        optimizer.zeroGrad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item)
    }
    return StackTraining(losses: losses, targetVariance: targets.variance(axis: 0, unbiased: false).item)
}
