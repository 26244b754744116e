import Foundation
import Testing
import TensorKit

/// Writes into tensors: the one write API counts them, autograd refuses a gradient computed
/// from values written after an op used them (PyTorch's version counter), and the writes a
/// training loop makes (optimiser steps, zeroed and accumulated gradients) go through.
struct InPlaceWriteTests {
    /// What a child process that had to stop printed to stderr.
    func message(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func everyWriteCountsOnceAndReadsDoNot() {
        let x = Tensor([1, 2, 3])
        #expect(x.version == 0)
        _ = x.data
        _ = x[1]
        x.withUnsafeBufferPointer { _ in }
        #expect(x.version == 0)
        x[1] = 5
        x.copy(from: [4, 5, 6])
        x.withUnsafeMutableBufferPointer { $0[0] = 7 }
        #expect(x.version == 3)
        #expect(x.data == [7, 5, 6])
    }

    @Test func writingAnInputAnOpNeedsStopsBackwardNamingTheOp() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([1, 2, 3]).requiringGrad(), b = Tensor([4, 5, 6])
            let loss = (a * b).sum()
            b[0] = 40                       // mul's gradient for a is b: now the wrong b
            loss.backward()
        }
        #expect(message(result).contains("a tensor needed for the gradient of mul was modified in place after it was used"))
        #expect(message(result).contains("input 2 of 2, shape [3]"))
    }

    @Test func writingAWeightBetweenForwardAndBackwardStops() async {
        // An optimiser step taken before backward(): the matmul's gradient would use the new weight.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let w = Tensor([[1, 2], [3, 4]]).requiringGrad(), x = Tensor([[1, 1]]).requiringGrad()
            let loss = x.matmul(w).sum()
            w.copy(from: [0, 0, 0, 0])
            loss.backward()
        }
        #expect(message(result).contains("the gradient of mm was modified in place"))
    }

    @Test func writingThroughAReshapeViewOfASavedTensorStops() async {
        // The view's write gives it storage of its own, so the saved tensor keeps its values…
        let a = Tensor([1, 2, 3, 4]).requiringGrad(), b = Tensor([5, 6, 7, 8])
        let loss = (a * b).sum()
        let view = b.reshape([2, 2])
        view[0, 0] = 50
        loss.backward()
        #expect(a.grad!.data == [5, 6, 7, 8], "the gradient uses b as it was")
        #expect(b.data == [5, 6, 7, 8])
        // …while writing the saved tensor itself is caught.
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let a = Tensor([1, 2, 3, 4]).requiringGrad(), b = Tensor([5, 6, 7, 8])
            let loss = (a * b).sum()
            b.withUnsafeMutableBufferPointer { $0[3] = 80 }
            loss.backward()
        }
        #expect(message(result).contains("the gradient of mul was modified in place"))
    }

    @Test func writingAnOpsResultLeavesItsGradientRight() {
        // exp's gradient reads its own result, which it keeps as storage: a later write to the
        // result tensor goes to a copy, and the gradient is still exp(x). (Had another op used
        // y, that op would have noted y's version, and backward() would stop.)
        let x = Tensor([0, 1, 2]).requiringGrad()
        let y = x.exp()
        y.copy(from: [0, 0, 0])
        y.backward(Tensor([1, 1, 1]))
        let expected = [0, 1, 2].map { Float(Foundation.exp(Double($0))) }
        #expect(x.grad!.data == expected)
    }

    @Test func theWritesOfATrainingLoopGoThrough() {
        // Gradients accumulated over two passes, clipped, an AdamW step, zeroed, and again.
        let w = Tensor([[0.5, -1], [2, 0.25]]).requiringGrad()
        let optimizer = AdamW(groups: [ParameterGroup([("w", w)], weightDecay: 0.1)], learningRate: 0.1)
        let x = Tensor([[1, 2], [3, 4]])
        var losses: [Float] = []
        for _ in 0..<3 {
            optimizer.zeroGrad()
            for _ in 0..<2 {
                let loss = x.matmul(w).squared().mean()
                loss.backward()
                losses.append(loss.item)
            }
            clipGradNorm([w], maxNorm: 1)
            optimizer.step()
        }
        #expect(losses[0] == losses[1], "the same weights give the same loss")
        #expect(losses[2] < losses[0] && losses[4] < losses[2], "and the steps lower it")
        #expect(w.version == 3, "three steps wrote into it")
    }
}
