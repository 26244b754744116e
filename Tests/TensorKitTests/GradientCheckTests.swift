import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// Every differentiable op's gradient against finite differences (`GRADCHECK_VERBOSE=1` prints the
/// worst error of each check).
final class GradientCheckTests: XCTestCase {
    let a23 = { testTensor([2, 3], seed: 1) }
    let b23 = { testTensor([2, 3], seed: 2) }
    let positive23 = { testTensor([2, 3], seed: 3, low: 0.5, high: 2) }

    // MARK: - Arithmetic and broadcasting

    func testBinaryOps() {
        gradCheck("add", [a23(), b23()]) { $0[0] + $0[1] }
        gradCheck("sub", [a23(), b23()]) { $0[0] - $0[1] }
        gradCheck("mul", [a23(), b23()]) { $0[0] * $0[1] }
        gradCheck("div", [a23(), positive23()]) { $0[0] / $0[1] }
    }

    func testBroadcastingBothWays() {
        let row = testTensor([3], seed: 4), column = testTensor([2, 1], seed: 5, low: 0.5, high: 2)
        gradCheck("add row", [a23(), row]) { $0[0] + $0[1] }
        gradCheck("sub from column", [column, a23()]) { $0[0] - $0[1] }
        gradCheck("mul (2,1)×(3)", [column, row]) { $0[0] * $0[1] }
        gradCheck("div by column", [a23(), column]) { $0[0] / $0[1] }
        gradCheck("3-d × 2-d", [testTensor([2, 1, 3], seed: 6), testTensor([4, 3], seed: 7)]) { $0[0] * $0[1] }
        gradCheck("scalar tensor", [a23(), Tensor(scalar: 1.7)]) { $0[0] * $0[1] }
        // the broadcast operand on the left, and gradients summed into a 0-d tensor
        let scalar = Tensor(scalar: 0.8)
        gradCheck("scalar + tensor", [scalar, a23()]) { $0[0] + $0[1] }
        gradCheck("scalar - tensor", [scalar, a23()]) { $0[0] - $0[1] }
        gradCheck("scalar / tensor", [scalar, positive23()]) { $0[0] / $0[1] }
        gradCheck("tensor / scalar", [a23(), scalar]) { $0[0] / $0[1] }
        gradCheck("column / matrix", [column, positive23()]) { $0[0] / $0[1] }
        // both operands stretched: (2, 1) ⊕ (1, 3) → (2, 3)
        let rowMatrix = testTensor([1, 3], seed: 62, low: 0.5, high: 2)
        gradCheck("outer add", [column, rowMatrix]) { $0[0] + $0[1] }
        gradCheck("outer sub", [column, rowMatrix]) { $0[0] - $0[1] }
        gradCheck("outer div", [column, rowMatrix]) { $0[0] / $0[1] }
        gradCheck("outer mul, 3-d", [testTensor([2, 1, 4], seed: 63), testTensor([3, 1], seed: 64)]) { $0[0] * $0[1] }
    }

    func testFloatOperands() {
        gradCheck("x + 2", [a23()]) { $0[0] + 2 }
        gradCheck("2 + x", [a23()]) { 2 + $0[0] }
        gradCheck("x - 2", [a23()]) { $0[0] - 2 }
        gradCheck("2 * x", [a23()]) { 2 * $0[0] }
        gradCheck("2 - x", [a23()]) { 2 - $0[0] }
        gradCheck("x * 3", [a23()]) { $0[0] * 3 }
        gradCheck("3 / x", [positive23()]) { 3 / $0[0] }
        gradCheck("x / 4", [a23()]) { $0[0] / 4 }
        gradCheck("-x", [a23()]) { -$0[0] }
    }

    func testUnaryOps() {
        gradCheck("exp", [a23()]) { $0[0].exp() }
        gradCheck("log", [positive23()]) { $0[0].log() }
        gradCheck("sqrt", [positive23()]) { $0[0].sqrt() }
        gradCheck("rsqrt", [positive23()]) { $0[0].rsqrt() }
        gradCheck("pow 3", [a23()]) { $0[0].pow(3) }
        gradCheck("pow -0.5", [positive23()]) { $0[0].pow(-0.5) }
        gradCheck("pow 2.5", [positive23()]) { $0[0].pow(2.5) }
        gradCheck("tanh", [a23()]) { $0[0].tanh() }
        gradCheck("sin", [a23()]) { $0[0].sin() }
        gradCheck("cos", [a23()]) { $0[0].cos() }
        gradCheck("sigmoid", [a23()]) { $0[0].sigmoid() }
        gradCheck("squared", [a23()]) { $0[0].squared() }
        // away from the kink at 0
        gradCheck("abs", [Tensor([[-0.9, 0.4, 1.2], [0.3, -0.5, -1.1]])]) { $0[0].abs() }
    }

    func testMaximumMinimum() {
        let x = Tensor([[0.1, 0.9, -0.4], [0.6, -0.2, 0.3]]), y = Tensor([[0.5, 0.2, 0.1], [-0.3, 0.4, 0.8]])
        gradCheck("maximum", [x, y]) { $0[0].maximum($0[1]) }
        gradCheck("minimum", [x, y]) { $0[0].minimum($0[1]) }
        gradCheck("maximum broadcast", [x, Tensor([0.2, 0.1, 0.5])]) { $0[0].maximum($0[1]) }
    }

    func testTiesSplitTheGradientLikePyTorch() {
        let x = Tensor([1, 2]).requiringGrad(), y = Tensor([1, 3]).requiringGrad()
        x.maximum(y).sum().backward()
        XCTAssertEqual(x.grad!.data, [0.5, 0])
        XCTAssertEqual(y.grad!.data, [0.5, 1])
    }

    func testWhereAndMaskedFill() {
        let condition = Tensor([[1, 0, 1], [0, 0, 1]])
        gradCheck("where", [a23(), b23()]) { Tensor.where(condition, $0[0], $0[1]) }
        gradCheck("where broadcast", [a23(), testTensor([3], seed: 9)]) { Tensor.where(condition, $0[0], $0[1]) }
        gradCheck("maskedFill", [a23()]) { $0[0].maskedFill(condition, 5) }
        gradCheck("where broadcast condition, scalar branch", [testTensor([2, 3], seed: 65), Tensor(scalar: 0.3)]) {
            Tensor.where(Tensor([0, 1, 1]), $0[0], $0[1])
        }
        gradCheck("maskedFill broadcast mask", [testTensor([2, 3, 3], seed: 10)]) { $0[0].maskedFill(Tensor.ones([3, 3]).triu(1), -7) }
    }

    func testExpandAndSumToShape() {
        gradCheck("expand", [testTensor([3, 1], seed: 11)]) { $0[0].expand(to: [2, 3, 4]) }
        gradCheck("sum(toShape:)", [testTensor([2, 3, 4], seed: 12)]) { $0[0].sum(toShape: [3, 1]) }
    }

    // MARK: - Reductions

    func testReductions() {
        let x = testTensor([2, 3, 4], seed: 13)
        gradCheck("sum all", [x]) { $0[0].sum() }
        for axis in [0, 1, -1] {
            gradCheck("sum axis \(axis)", [x]) { $0[0].sum(axis: axis) }
            gradCheck("sum axis \(axis) keepDim", [x]) { $0[0].sum(axis: axis, keepDim: true) }
            gradCheck("mean axis \(axis)", [x]) { $0[0].mean(axis: axis, keepDim: axis == 1) }
            // well separated values, so that h never changes which element is the largest
            let distinct = Tensor(shape: [2, 3, 4], data: TorchGenerator(seed: 60).permutation(24).map { Float($0) * 0.1 })
            gradCheck("max axis \(axis)", [distinct]) { $0[0].max(axis: axis, keepDim: axis == 0) }
            gradCheck("logsumexp axis \(axis)", [x]) { $0[0].logsumexp(axis: axis, keepDim: axis == -1) }
            gradCheck("variance unbiased axis \(axis)", [x]) { $0[0].variance(axis: axis) }
            gradCheck("variance biased axis \(axis)", [x]) { $0[0].variance(axis: axis, unbiased: false, keepDim: true) }
        }
        gradCheck("mean all", [x]) { $0[0].mean() }
        gradCheck("max all", [Tensor([0.3, 1.2, -0.5, 0.7])]) { $0[0].max() }
    }

    // MARK: - Shapes

    func testShapeOps() {
        let x = testTensor([2, 3, 4], seed: 14)
        gradCheck("reshape", [x]) { $0[0].reshape([4, -1]) }
        gradCheck("flatten", [x]) { $0[0].flatten(from: 1) }
        gradCheck("unsqueeze/squeeze", [x]) { $0[0].unsqueeze(1).unsqueeze(-1).squeeze(1) }
        gradCheck("squeeze all", [testTensor([1, 3, 1], seed: 15)]) { $0[0].squeeze() }
        gradCheck("permute", [x]) { $0[0].permute([2, 0, 1]) }
        gradCheck("transpose", [x]) { $0[0].transpose(-2, -1) }
        gradCheck("T", [a23()]) { $0[0].T }
        gradCheck("slice", [x]) { $0[0].slice(2, 1, 4, step: 2) }
        gradCheck("slice negative", [x]) { $0[0].slice(1, -2) }
        gradCheck("select", [x]) { $0[0].select(1, -1) }
        gradCheck("indexSelect repeated", [x]) { $0[0].indexSelect(2, [3, 0, 3, 1]) }
        gradCheck("scatterRows", [testTensor([3, 2], seed: 61)]) { $0[0].scatterRows([2, 0, 2], count: 4) }
        gradCheck("gather", [a23()]) { $0[0].gather(1, [2, 0, 0, 1, 1, 2], indexShape: [2, 3]) }
        gradCheck("gather axis 0", [a23()]) { $0[0].gather(0, [1, 0, 1], indexShape: [1, 3]) }
        gradCheck("tril", [testTensor([2, 4, 4], seed: 16)]) { $0[0].tril() }
        gradCheck("triu(1)", [testTensor([4, 4], seed: 17)]) { $0[0].triu(1) }
    }

    func testJoinAndSplit() {
        let x = testTensor([2, 3], seed: 18), y = testTensor([2, 2], seed: 19), z = testTensor([2, 3], seed: 20)
        gradCheck("cat axis 1", [x, y]) { Tensor.cat([$0[0], $0[1]], axis: 1) }
        gradCheck("cat axis 0", [x, z]) { Tensor.cat([$0[0], $0[1], $0[0]], axis: 0) }
        let p = testTensor([2, 3, 4], seed: 66), q = testTensor([2, 1, 4], seed: 67), r = testTensor([2, 3, 2], seed: 68)
        gradCheck("cat middle axis", [p, q]) { Tensor.cat([$0[1], $0[0], $0[1]], axis: 1) }
        gradCheck("cat last axis", [p, r]) { Tensor.cat([$0[0], $0[1]], axis: -1) }
        gradCheck("stack axis 0", [x, z]) { Tensor.stack([$0[0], $0[1], $0[0]]) }
        gradCheck("stack axis -1", [x, z]) { Tensor.stack([$0[0], $0[1]], axis: -1) }
        gradCheck("stack", [x, z]) { Tensor.stack([$0[0], $0[1]], axis: 1) }
        gradCheck("split", [testTensor([5, 2], seed: 21)]) { t in
            let parts = t[0].split(2)
            XCTAssertEqual(parts.map(\.shape), [[2, 2], [2, 2], [1, 2]])
            return parts[0] * parts[1] + parts[2]
        }
        gradCheck("chunk", [testTensor([2, 6], seed: 22)]) { t in
            let parts = t[0].chunk(3, axis: 1)
            return parts[0] - parts[2] * parts[1]
        }
    }

    // MARK: - Neural-network ops

    func testActivations() {
        gradCheck("relu", [Tensor([[-0.9, 0.4, 1.2], [0.3, -0.5, -1.1]])]) { $0[0].relu() }
        gradCheck("silu", [a23()]) { $0[0].silu() }
        gradCheck("gelu exact", [testTensor([2, 3], seed: 23, low: -3, high: 3)]) { $0[0].gelu() }
        gradCheck("gelu tanh", [testTensor([2, 3], seed: 24, low: -3, high: 3)]) { $0[0].gelu(approximate: true) }
    }

    func testSoftmaxFamily() {
        let x = testTensor([2, 3, 4], seed: 25, low: -2, high: 2)
        for axis in [0, 1, -1] {
            gradCheck("softmax axis \(axis)", [x]) { $0[0].softmax(axis: axis) }
            gradCheck("logSoftmax axis \(axis)", [x]) { $0[0].logSoftmax(axis: axis) }
        }
        gradCheck("masked softmax", [testTensor([3, 3], seed: 26)]) {
            $0[0].maskedFill(Tensor.ones([3, 3]).triu(1), -.infinity).softmax(axis: -1)
        }
    }

    func testCrossEntropy() {
        let logits = testTensor([4, 5], seed: 27, low: -2, high: 2)
        gradCheck("crossEntropy", [logits]) { $0[0].crossEntropy(targets: [1, 0, 4, 2]) }
        gradCheck("crossEntropy ignore", [logits]) { $0[0].crossEntropy(targets: [1, -100, 4, -100]) }
        gradCheck("crossEntropy 3-d", [testTensor([2, 2, 5], seed: 28)]) { $0[0].crossEntropy(targets: [3, 3, 0, 1]) }
    }

    func testEmbedding() {
        gradCheck("embedding repeated ids", [testTensor([5, 3], seed: 29)]) {
            Tensor.embedding($0[0], ids: [4, 1, 4, 0, 1, 4], shape: [2, 3])
        }
    }

    func testNormalisations() {
        let x = testTensor([2, 3, 5], seed: 30, low: -2, high: 2)
        let w = testTensor([5], seed: 31, low: 0.5, high: 1.5), b = testTensor([5], seed: 32)
        gradCheck("layerNorm", [x, w, b]) { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        gradCheck("layerNorm without affine", [x]) { $0[0].layerNorm(weight: nil, bias: nil) }
        gradCheck("layerNorm weight only", [x, w]) { $0[0].layerNorm(weight: $0[1], bias: nil) }
        gradCheck("layerNorm bias only", [x, b]) { $0[0].layerNorm(weight: nil, bias: $0[1]) }
        gradCheck("rmsNorm", [x, w]) { $0[0].rmsNorm(weight: $0[1]) }
        gradCheck("rmsNorm without weight", [x]) { $0[0].rmsNorm(weight: nil, eps: 1e-5) }
    }

    func testDropout() {
        // the same seed inside f gives the same mask on every evaluation
        gradCheck("dropout", [testTensor([4, 5], seed: 59)]) { $0[0].dropout(0.5, training: true, generator: TorchGenerator(seed: 3)) }
    }

    // MARK: - Matrix products

    func testMatmul() {
        gradCheck("mm", [testTensor([3, 4], seed: 33), testTensor([4, 2], seed: 34)]) { $0[0].matmul($0[1]) }
        gradCheck("bmm", [testTensor([2, 3, 4], seed: 35), testTensor([2, 4, 5], seed: 36)]) { $0[0].matmul($0[1]) }
        gradCheck("broadcast right", [testTensor([2, 3, 4], seed: 37), testTensor([4, 5], seed: 38)]) { $0[0].matmul($0[1]) }
        gradCheck("broadcast left", [testTensor([3, 4], seed: 39), testTensor([2, 4, 5], seed: 40)]) { $0[0].matmul($0[1]) }
        gradCheck("broadcast batch axes", [testTensor([2, 1, 3, 4], seed: 41), testTensor([3, 4, 2], seed: 42)]) { $0[0].matmul($0[1]) }
        gradCheck("vector · matrix", [testTensor([4], seed: 43), testTensor([4, 3], seed: 44)]) { $0[0].matmul($0[1]) }
        gradCheck("matrix · vector", [testTensor([3, 4], seed: 45), testTensor([4], seed: 46)]) { $0[0].matmul($0[1]) }
        gradCheck("dot", [testTensor([4], seed: 47), testTensor([4], seed: 48)]) { $0[0].matmul($0[1]) }
        // Products above 16³ multiply-adds take the kernel's other paths, forward and backward
        // (where operands are read transposed): packed tiles with ragged edges (8 rows, 33
        // columns), the skinny path for fewer than 6 rows, and one tall product when a 2-D
        // right operand is shared by the whole batch.
        gradCheck("packed kernel", [testTensor([8, 17], seed: 49), testTensor([17, 33], seed: 50)]) { $0[0].matmul($0[1]) }
        gradCheck("skinny", [testTensor([3, 40], seed: 69), testTensor([40, 50], seed: 70)]) { $0[0].matmul($0[1]) }
        gradCheck("batched × shared matrix", [testTensor([2, 8, 17], seed: 71), testTensor([17, 33], seed: 72)]) { $0[0].matmul($0[1]) }
        gradCheck("batch of 1 broadcast", [testTensor([1, 3, 4], seed: 73), testTensor([2, 4, 2], seed: 74)]) { $0[0].matmul($0[1]) }
        gradCheck("vector · batch", [testTensor([4], seed: 75), testTensor([2, 4, 3], seed: 76)]) { $0[0].matmul($0[1]) }
        gradCheck("batch · vector", [testTensor([2, 3, 4], seed: 77), testTensor([4], seed: 78)]) { $0[0].matmul($0[1]) }
        gradCheck("X · Xᵀ (one tensor on both sides)", [testTensor([4, 3], seed: 79)]) { $0[0].matmul($0[0].T) }
    }

    func testLinear() {
        let w = testTensor([3, 4], seed: 51), b = testTensor([3], seed: 52)
        gradCheck("linear", [testTensor([2, 4], seed: 53), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        gradCheck("linear no bias 3-d", [testTensor([2, 3, 4], seed: 54), w]) { Tensor.linear($0[0], weight: $0[1]) }
        gradCheck("linear with bias 3-d", [testTensor([2, 3, 4], seed: 80), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        gradCheck("linear 1-d input", [testTensor([4], seed: 81), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        gradCheck("linear, packed kernel", [testTensor([8, 17], seed: 82), testTensor([33, 17], seed: 83), testTensor([33], seed: 84)]) {
            Tensor.linear($0[0], weight: $0[1], bias: $0[2])
        }
    }

    // MARK: - The graph itself

    /// A tensor used twice gets both contributions; a small MLP end to end.
    func testCompositeWithReuse() {
        let w1 = testTensor([4, 3], seed: 55), b1 = testTensor([4], seed: 56), w2 = testTensor([2, 4], seed: 57)
        gradCheck("mlp", [testTensor([5, 3], seed: 58), w1, b1, w2]) { t in
            let hidden = Tensor.linear(t[0], weight: t[1], bias: t[2]).gelu(approximate: true)
            let out = Tensor.linear(hidden, weight: t[3])
            return out * out.sigmoid() + hidden.sum(axis: -1, keepDim: true)
        }
        gradCheck("x used three times", [a23()]) { $0[0] * $0[0] + $0[0].exp() }
    }

    /// One weight used by two layers (weight tying) receives the sum of both contributions.
    func testTiedWeight() {
        gradCheck("tied weight", [testTensor([3, 4], seed: 85), testTensor([4, 4], seed: 86)]) { t in
            Tensor.linear(Tensor.linear(t[0], weight: t[1]).tanh(), weight: t[1])
        }
    }

    /// A node read at two depths of the graph must pass its gradient on only after both
    /// readers have added theirs: a wrong topological order fails this.
    func testDiamondWithUnevenDepths() {
        gradCheck("diamond", [a23()]) { t in
            let y = t[0] * 0.5
            let deep = (y.tanh() + 1).sigmoid().squared()
            return y * deep + y
        }
    }

    func testBackwardTwiceThroughOneGraphAccumulates() {
        let x = Tensor([1, -2, 3]).requiringGrad()
        let hidden = x * x
        let loss = (hidden * 3).sum()
        loss.backward()
        XCTAssertEqual(x.grad!.data, [6, -12, 18])        // d(3x²)/dx = 6x
        loss.backward()
        XCTAssertEqual(x.grad!.data, [12, -24, 36])       // added, not replaced
        XCTAssertNil(hidden.grad)                         // intermediates keep nothing
    }

    func testOnlyTensorsThatAskGetGradients() {
        let x = Tensor([1, 2]).requiringGrad(), constant = Tensor([3, 4])
        let y = x * constant
        XCTAssertTrue(y.requiresGrad)
        XCTAssertFalse((constant * 2).requiresGrad)
        y.sum().backward()
        XCTAssertEqual(x.grad!.data, [3, 4])
        XCTAssertNil(constant.grad)
    }

    func testNoGradNestsAndRestores() {
        let x = Tensor([1, 2]).requiringGrad()
        withNoGrad {
            withNoGrad { XCTAssertFalse(isGradEnabled) }
            XCTAssertFalse(isGradEnabled)                 // the inner scope restores the outer one
            let y = x * x
            XCTAssertFalse(y.requiresGrad)
            XCTAssertTrue(y.inputs.isEmpty)               // no graph: nothing is kept alive
        }
        struct Stop: Error {}
        XCTAssertThrowsError(try withNoGrad { throw Stop() })
        XCTAssertTrue(isGradEnabled)                      // restored after a throw too
        XCTAssertTrue((x * x).requiresGrad)
    }

    /// x · detach(x): the detached factor is a constant, so the gradient is x, not 2x.
    func testDetachedFactorIsAConstant() {
        let x = Tensor([1.5, -2]).requiringGrad()
        (x * x.detach()).sum().backward()
        XCTAssertEqual(x.grad!.data, [1.5, -2])
    }

    // MARK: - Gradients at the edges

    /// Masked (−∞) scores get exactly zero probability and zero gradient, never NaN.
    func testMaskedSoftmaxGradientIsZeroWhereMasked() {
        let scores = Tensor([[0.3, 0.7, -0.2], [1.1, -0.4, 0.5]]).requiringGrad()
        let mask = Tensor([[0, 1, 1], [0, 0, 1]])
        let weights = scores.maskedFill(mask, -.infinity).softmax(axis: -1)
        (weights * Tensor([[1, 2, 3], [4, 5, 6]])).sum().backward()
        XCTAssertEqual(weights.data[1], 0)
        XCTAssertEqual(scores.grad!.data[1], 0)
        XCTAssertEqual(scores.grad!.data[2], 0)
        XCTAssertEqual(scores.grad!.data[5], 0)
        XCTAssertEqual(scores.grad!.data[0], 0)           // a row with one survivor: softmax is constant 1
        XCTAssertTrue(scores.grad!.data.allSatisfy(\.isFinite))
    }

    /// Huge logits: the fused kernels subtract the maximum, so gradients stay finite and exact.
    func testLargeLogitsKeepFiniteGradients() {
        let logits = Tensor([[1000, 1001, 990]]).requiringGrad()
        logits.crossEntropy(targets: [0]).backward()
        // softmax(1000, 1001, 990) − onehot(0), with e^−10 ≈ 4.54e-5 for the third class.
        // (Float32 numbers near 1000 are 6e-5 apart, which bounds the accuracy, as in PyTorch.)
        let z = 1 + Foundation.exp(1.0) + Foundation.exp(-10.0)
        let expected = [1 / z - 1, Foundation.exp(1.0) / z, Foundation.exp(-10.0) / z]
        for (g, e) in zip(logits.grad!.data, expected) { XCTAssertEqual(Double(g), e, accuracy: 1e-4) }
        let x = Tensor([-1000, -1001]).requiringGrad()
        x.logsumexp(axis: 0).backward()
        XCTAssertEqual(x.grad!.data[0], Float(1 / (1 + Foundation.exp(-1.0))), accuracy: 1e-4)
        XCTAssertEqual(x.grad!.data.reduce(0, +), 1, accuracy: 1e-4)
    }

    /// A constant row has variance 0, and eps keeps layerNorm's gradient finite: there x̂ = 0,
    /// so dx = (g − mean(g)) / √eps, large but exact (what PyTorch gives too).
    func testLayerNormOfAConstantRow() {
        let x = Tensor([[2, 2, 2, 2]]).requiringGrad()
        (x.layerNorm(weight: nil, bias: nil, eps: 1e-4) * Tensor([1, 2, 3, 4])).sum().backward()
        for (g, e) in zip(x.grad!.data, [-1.5, -0.5, 0.5, 1.5] as [Float]) { XCTAssertEqual(g, e * 100, accuracy: 1e-3) }
    }

    /// x⁰ = 1 everywhere, so its gradient is 0 — also at x = 0, where the power rule's
    /// 0 · x⁻¹ would give NaN (PyTorch returns 0 too).
    func testPowZeroHasZeroGradient() {
        let x = Tensor([0, 2, -3]).requiringGrad()
        x.pow(0).sum().backward()
        XCTAssertEqual(x.grad!.data, [0, 0, 0])
    }

    /// The cross-entropy of a batch whose targets are all ignored is NaN (a mean over
    /// nothing, as in PyTorch) and sends no gradient.
    func testCrossEntropyWithEveryTargetIgnored() {
        let logits = Tensor([[0.1, 0.2], [0.3, 0.4]]).requiringGrad()
        let loss = logits.crossEntropy(targets: [-100, -100])
        XCTAssertTrue(loss.item.isNaN)
        loss.backward()
        XCTAssertTrue(logits.grad?.data.allSatisfy { $0 == 0 } ?? true)
    }
}
