import TestSupport
import XCTest
@testable import TensorKit

/// Every differentiable op's gradient against finite differences.
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
    }

    func testFloatOperands() {
        gradCheck("x + 2", [a23()]) { $0[0] + 2 }
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
        gradCheck("large (packed kernel)", [testTensor([20, 33], seed: 49), testTensor([33, 40], seed: 50)], tolerance: 5e-3) { $0[0].matmul($0[1]) }
    }

    func testLinear() {
        let w = testTensor([3, 4], seed: 51), b = testTensor([3], seed: 52)
        gradCheck("linear", [testTensor([2, 4], seed: 53), w, b]) { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        gradCheck("linear no bias 3-d", [testTensor([2, 3, 4], seed: 54), w]) { Tensor.linear($0[0], weight: $0[1]) }
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
}
