import XCTest
@testable import TensorKit

/// Forward values against numbers known independently (by hand, or from the book).
final class TensorOpsTests: XCTestCase {
    func assertClose(_ t: Tensor, _ expected: [Float], accuracy: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(t.count, expected.count, file: file, line: line)
        for (a, b) in zip(t.data, expected) { XCTAssertEqual(a, b, accuracy: accuracy, "\(t.data) vs \(expected)", file: file, line: line) }
    }

    func testCreation() {
        XCTAssertEqual(Tensor.arange(5).data, [0, 1, 2, 3, 4])
        XCTAssertEqual(Tensor.arange(1, 2, step: 0.25).data, [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(Tensor.eye(2, 3).data, [1, 0, 0, 0, 1, 0])
        XCTAssertEqual(Tensor.ones([3, 3]).tril().data, [1, 0, 0, 1, 1, 0, 1, 1, 1])
        XCTAssertEqual(Tensor.ones([3, 3]).triu(1).data, [0, 1, 1, 0, 0, 1, 0, 0, 0])
        XCTAssertEqual(Tensor.full([2], 7).data, [7, 7])
        XCTAssertEqual(Tensor([[[1, 2]], [[3, 4]]]).shape, [2, 1, 2])
        // tril keeps -inf where it keeps values (no 0 · inf = nan)
        XCTAssertEqual(Tensor([[-.infinity, 1], [2, 3]]).tril().data, [-.infinity, 0, 2, 3])
    }

    func testBroadcastShapes() {
        XCTAssertEqual(broadcastShapes([2, 1, 3], [4, 1], op: "t"), [2, 4, 3])
        XCTAssertEqual(broadcastShapes([], [5], op: "t"), [5])
        XCTAssertEqual((Tensor([[1], [2]]) + Tensor([10, 20, 30])).data, [11, 21, 31, 12, 22, 32])
        XCTAssertEqual((Tensor([[1, 2, 3]]) * 2).shape, [1, 3])
    }

    func testShapeOps() {
        let x = Tensor.arange(24).reshape([2, 3, 4])
        XCTAssertEqual(x.permute([2, 0, 1]).shape, [4, 2, 3])
        XCTAssertEqual(x.permute([2, 0, 1])[1, 1, 2], x[1, 2, 1])
        XCTAssertEqual(x.transpose(0, 2)[3, 1, 0], 7)
        XCTAssertEqual(x.slice(2, 1, 4, step: 2).data.prefix(4), [1, 3, 5, 7])
        XCTAssertEqual(x.select(1, -1).data, [8, 9, 10, 11, 20, 21, 22, 23])
        XCTAssertEqual(x.indexSelect(0, [1, 1]).shape, [2, 3, 4])
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).gather(1, [1, 0, 0, 0], indexShape: [2, 2]).data, [2, 1, 3, 3])
        XCTAssertEqual(Tensor.cat([Tensor([[1, 2]]), Tensor([[3, 4]])], axis: 1).data, [1, 2, 3, 4])
        XCTAssertEqual(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 1).data, [1, 3, 2, 4])
        XCTAssertEqual(Tensor.arange(7).chunk(3).map(\.count), [3, 3, 1])
        XCTAssertEqual(x.flatten(from: 1).shape, [2, 12])
        XCTAssertEqual(x.reshape([-1, 4]).shape, [6, 4])
    }

    func testReductions() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(x.sum().item, 21)
        XCTAssertEqual(x.sum(axis: 0).data, [5, 7, 9])
        XCTAssertEqual(x.sum(axis: 1, keepDim: true).shape, [2, 1])
        XCTAssertEqual(x.mean(axis: -1).data, [2, 5])
        XCTAssertEqual(x.max(axis: 0).data, [4, 5, 6])
        XCTAssertEqual(x.argmax(axis: 1), [2, 2])
        XCTAssertEqual(Tensor([3, 7, 7, 1]).argmax(), 1)   // the first of equal maxima, like PyTorch
        assertClose(Tensor([1, 2, 3, 4]).variance(axis: 0), [1.6667])
        assertClose(Tensor([1, 2, 3, 4]).variance(axis: 0, unbiased: false), [1.25])
        assertClose(Tensor([1, 2, 3]).logsumexp(axis: 0), [3.4076])
        assertClose(Tensor([1000, 1000]).logsumexp(axis: 0), [1000.6931], accuracy: 1e-3)
    }

    func testSoftmaxIsStableAndExact() {
        assertClose(Tensor([1, 2, 3]).softmax(axis: 0), [0.0900, 0.2447, 0.6652])
        assertClose(Tensor([1000, 1001]).softmax(axis: 0), [0.2689, 0.7311])
        XCTAssertEqual(Tensor([0, -.infinity, 1]).softmax(axis: 0).data[1], 0)
        assertClose(Tensor([1, 2, 3]).logSoftmax(axis: 0), [-2.4076, -1.4076, -0.4076])
    }

    func testActivations() {
        assertClose(Tensor([1]).gelu(), [0.8413447], accuracy: 1e-6)
        assertClose(Tensor([1]).gelu(approximate: true), [0.8411920], accuracy: 1e-6)
        assertClose(Tensor([-1, 0, 2]).relu(), [0, 0, 2])
        assertClose(Tensor([1]).silu(), [0.7310586], accuracy: 1e-6)
        assertClose(Tensor([0]).sigmoid(), [0.5])
    }

    func testCrossEntropyByHand() {
        // row 0: logits [0, ln 3] → p(target 1) = 3/4;  row 1: [ln 4, 0] → p(target 0) = 4/5
        let logits = Tensor([[0, Float(log(3.0))], [Float(log(4.0)), 0]])
        assertClose(logits.crossEntropy(targets: [1, 0]), [Float(-(log(0.75) + log(0.8)) / 2)], accuracy: 1e-6)
        assertClose(logits.crossEntropy(targets: [1, -100]), [Float(-log(0.75))], accuracy: 1e-6)
    }

    func testNormalisations() {
        let x = Tensor([[1, 2, 3, 4], [-2, 0, 2, 10]])
        let y = x.layerNorm(weight: nil, bias: nil, eps: 0)
        assertClose(y.mean(axis: -1), [0, 0], accuracy: 1e-6)
        assertClose(y.variance(axis: -1, unbiased: false), [1, 1], accuracy: 1e-5)
        // RMSNorm of [3, 4]: rms = √12.5
        assertClose(Tensor([3, 4]).rmsNorm(weight: nil, eps: 0), [3 / 12.5.squareRoot(), 4 / 12.5.squareRoot()].map(Float.init), accuracy: 1e-6)
        assertClose(Tensor([3, 4]).rmsNorm(weight: Tensor([2, 0.5]), eps: 0), [Float(6 / 12.5.squareRoot()), Float(2 / 12.5.squareRoot())], accuracy: 1e-6)
    }

    func testEmbeddingAndMaskedFill() {
        let table = Tensor([[0, 1], [2, 3], [4, 5]])
        XCTAssertEqual(Tensor.embedding(table, ids: [2, 0, 2], shape: [3]).data, [4, 5, 0, 1, 4, 5])
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).maskedFill(Tensor([[0, 1], [0, 0]]), -.infinity).data, [1, -.infinity, 3, 4])
        XCTAssertEqual(Tensor.where(Tensor([1, 0]), Tensor([5, 6]), Tensor([7, 8])).data, [5, 8])
    }

    /// The book's chapter 3 numbers, computed by the ops directly.
    func testBookAttentionFigures() {
        let inputs = Tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                             [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
        let scores = inputs.matmul(inputs.select(0, 1))
        assertClose(scores, [0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865])
        let weights = scores.softmax(axis: 0)
        assertClose(weights, [0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581])
        assertClose(weights.matmul(inputs), [0.4419, 0.6515, 0.5683])
    }

    func testDropoutKeepsTheExpectationAndIsSeeded() {
        let x = Tensor.ones([100, 100])
        let a = x.dropout(0.3, training: true, generator: TorchGenerator(seed: 1))
        let b = x.dropout(0.3, training: true, generator: TorchGenerator(seed: 1))
        XCTAssertEqual(a.data, b.data)
        XCTAssertEqual(a.mean().item, 1, accuracy: 0.03)
        XCTAssertEqual(Set(a.data), [0, 1 / 0.7])
        XCTAssertTrue(x.dropout(0.3, training: false) === x)
    }
}
