import Foundation
import TestSupport
import XCTest
@testable import TensorKit

/// Forward values against numbers known independently (by hand, or from the book).
final class TensorOpsTests: XCTestCase {
    /// Every element within `accuracy` of `expected` (the shared `assertClose`, which fails on a
    /// NaN or infinity anywhere), with both lists printed on failure.
    func assertClose(_ t: Tensor, _ expected: [Float], accuracy: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
        TestSupport.assertClose(t, expected, absolute: accuracy, "\(t.data) vs \(expected)", file: file, line: line)
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
        XCTAssertEqual(broadcastShapes([], [], op: "t"), [])
        XCTAssertEqual(broadcastShapes([3, 1, 5], [1, 4, 1], op: "t"), [3, 4, 5])
        XCTAssertEqual(broadcastShapes([1], [2, 3], op: "t"), [2, 3])
        XCTAssertEqual(broadcastShapes([2, 3], [2, 3], op: "t"), [2, 3])
        XCTAssertEqual(broadcastShapes([8, 1, 6, 1], [7, 1, 5], op: "t"), [8, 7, 6, 5])   // NumPy's documented example
        XCTAssertEqual((Tensor([[1], [2]]) - Tensor([[10, 20, 30]])).data, [-9, -19, -29, -8, -18, -28])
        XCTAssertEqual((1 / Tensor([2, 4])).data, [0.5, 0.25])
        XCTAssertEqual((Tensor([2, 4]) / Tensor(scalar: 2)).shape, [2])
        XCTAssertEqual((Tensor(scalar: 2) * Tensor(scalar: 3)).shape, [])
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
        XCTAssertEqual(x.unsqueeze(-1).shape, [2, 3, 4, 1])
        XCTAssertEqual(x.unsqueeze(0).squeeze(0).shape, [2, 3, 4])
        XCTAssertEqual(Tensor.zeros([1, 3, 1]).squeeze().shape, [3])
        XCTAssertEqual(x.squeeze(1).shape, [2, 3, 4])   // not of size 1: unchanged
    }

    /// Every element of a permutation lands where the index formula says.
    func testPermuteMovesEveryElement() {
        let x = Tensor.arange(120).reshape([2, 3, 4, 5])
        let y = x.permute([3, 1, 0, 2])   // shape (5, 3, 2, 4): y[l, j, i, k] = x[i, j, k, l]
        XCTAssertEqual(y.shape, [5, 3, 2, 4])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { for l in 0..<5 {
            XCTAssertEqual(y[l, j, i, k], Float(((i * 3 + j) * 4 + k) * 5 + l))
        } } } }
        XCTAssertEqual(Tensor([[1, 2, 3], [4, 5, 6]]).T.data, [1, 4, 2, 5, 3, 6])
    }

    func testSlicingLikePython() {
        let x = Tensor.arange(10)
        XCTAssertEqual(x.slice(0, 2, 8, step: 3).data, [2, 5])          // x[2:8:3]
        XCTAssertEqual(x.slice(0, -3).data, [7, 8, 9])                  // x[-3:]
        XCTAssertEqual(x.slice(0, -100, 100).count, 10)                 // clamped
        XCTAssertEqual(x.slice(0, 6, 2).count, 0)                       // empty, like x[6:2]
        XCTAssertEqual(x.slice(0, 0, -1).count, 9)                      // x[:-1]
        XCTAssertEqual(x.split(4).map(\.data), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        XCTAssertEqual(Tensor.arange(6).chunk(4).map(\.count), [2, 2, 2])   // torch.chunk gives 3 pieces here
        let m = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(m.indexSelect(1, [2, 2, 0]).data, [3, 3, 1, 6, 6, 4])
        XCTAssertEqual(m.gather(0, [1, 0, 1], indexShape: [1, 3]).data, [4, 2, 6])
        XCTAssertEqual(m.select(1, 0).data, [1, 4])
        XCTAssertEqual(Tensor.cat([m, Tensor([[7, 8, 9]])], axis: 0).shape, [3, 3])
    }

    func testTrianglesWithDiagonals() {
        let ones = Tensor.ones([3, 3])
        XCTAssertEqual(ones.tril(-1).data, [0, 0, 0, 1, 0, 0, 1, 1, 0])
        XCTAssertEqual(ones.triu(-1).data, [1, 1, 1, 1, 1, 1, 0, 1, 1])
        XCTAssertEqual(Tensor.ones([2, 3]).tril(1).data, [1, 1, 0, 1, 1, 1])
        XCTAssertEqual(Tensor.ones([2, 2, 2]).triu().data, [1, 1, 0, 1, 1, 1, 0, 1])   // per matrix of a batch
    }

    func testSumToShapeAndExpand() {
        let x = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(x.sum(toShape: [1, 3]).data, [5, 7, 9])
        XCTAssertEqual(x.sum(toShape: [3]).data, [5, 7, 9])
        XCTAssertEqual(x.sum(toShape: [2, 1]).data, [6, 15])
        XCTAssertEqual(x.sum(toShape: []).data, [21])
        XCTAssertEqual(Tensor([1, 2]).reshape([2, 1]).expand(to: [2, 3]).data, [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(Tensor([1, 2]).expand(to: [2, 2]).data, [1, 2, 1, 2])
    }

    func testElementwiseValues() {
        let x = Tensor([[0.1, 0.9, -0.4]]), y = Tensor([0.5, 0.2, -0.4])
        XCTAssertEqual(x.maximum(y).data, [0.5, 0.9, -0.4])
        XCTAssertEqual(x.minimum(y).data, [0.1, 0.2, -0.4])
        XCTAssertEqual(Tensor([-2, 3]).abs().data, [2, 3])
        XCTAssertEqual(Tensor([4, 9]).sqrt().data, [2, 3])
        XCTAssertEqual(Tensor([4, 16]).rsqrt().data, [0.5, 0.25])
        XCTAssertEqual(Tensor([2, 3]).pow(3).data, [8, 27])
        XCTAssertEqual(Tensor([-3]).squared().data, [9])
        assertClose(Tensor([0.5]).tanh(), [0.4621172], accuracy: 1e-6)
        assertClose(Tensor([2]).sigmoid(), [0.8807971], accuracy: 1e-6)
        assertClose(Tensor([1]).exp(), [2.7182818], accuracy: 1e-6)
        assertClose(Tensor([Float.pi / 6]).sin(), [0.5], accuracy: 1e-6)
        assertClose(Tensor([Float.pi / 3]).cos(), [0.5], accuracy: 1e-6)
        XCTAssertEqual(Tensor([1, 2, 3]).greater(Tensor([2])).data, [0, 0, 1])
        XCTAssertEqual(Tensor([1, 2, 3]).lessEqual(Tensor([2])).data, [1, 1, 0])
        XCTAssertEqual(Tensor.where(Tensor([1, 0, 1]), Tensor([[1, 2, 3], [4, 5, 6]]), Tensor(scalar: -1)).data, [1, -1, 3, 4, -1, 6])
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
        XCTAssertEqual(Tensor([-.infinity, 0]).logsumexp(axis: 0).item, 0)
        XCTAssertEqual(Tensor([-.infinity, -.infinity]).logsumexp(axis: 0).item, -.infinity)
        XCTAssertEqual(Tensor([[1, 5], [7, 3]]).argmax(axis: 0), [1, 0])
        XCTAssertEqual(Tensor([[2, 2], [2, 2]]).argmax(axis: 0), [0, 0])   // ties: the first
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).mean(axis: 0).data, [2, 3])
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).max(axis: 1, keepDim: true).shape, [2, 1])
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).variance(axis: 1, keepDim: true).shape, [2, 1])
        XCTAssertEqual(Tensor([[1, 2], [3, 5]]).variance(axis: 0).data, [2, 4.5])
        XCTAssertEqual(Tensor([3, -1, 4]).max().item, 4)
        XCTAssertEqual(Tensor([[1, 2], [3, 4]]).mean().item, 2.5)
    }

    func testSoftmaxIsStableAndExact() {
        assertClose(Tensor([1, 2, 3]).softmax(axis: 0), [0.0900, 0.2447, 0.6652])
        assertClose(Tensor([1000, 1001]).softmax(axis: 0), [0.2689, 0.7311])
        XCTAssertEqual(Tensor([0, -.infinity, 1]).softmax(axis: 0).data[1], 0)
        assertClose(Tensor([1, 2, 3]).logSoftmax(axis: 0), [-2.4076, -1.4076, -0.4076])
        XCTAssertFalse(Tensor([1000, 1001]).softmax(axis: 0).data.contains { $0.isNaN })
        XCTAssertFalse(Tensor([-1000, -1001]).softmax(axis: 0).data.contains { $0.isNaN })
        assertClose(Tensor([1000, 1001]).logSoftmax(axis: 0), [-1.3133, -0.3133])
        // a causal mask: row i keeps positions 0...i, each equally likely for equal scores
        let causal = Tensor.zeros([3, 3]).maskedFill(Tensor.ones([3, 3]).triu(1), -.infinity).softmax(axis: -1)
        assertClose(causal, [1, 0, 0, 0.5, 0.5, 0, 1.0 / 3, 1.0 / 3, 1.0 / 3], accuracy: 1e-6)
        XCTAssertEqual(causal.data[1], 0)
        XCTAssertEqual(causal.data[2], 0)
        // softmax along axis 0 of a matrix normalises each column
        assertClose(Tensor([[0, 0], [0, Float(log(3.0))]]).softmax(axis: 0), [0.5, 0.25, 0.5, 0.75], accuracy: 1e-6)
    }

    func testEverySoftmaxIsTheOneRowKernel() {
        // 37 columns: two whole vectors of 16 and a partial one.
        let x = TorchGenerator(seed: 21).randn([5, 37]) * 4
        let rows = x.rows, probabilities = x.softmax(axis: -1), logProbabilities = x.logSoftmax(axis: -1)
        func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
        for (r, row) in rows.enumerated() {
            // a list of logits (the samplers') gives the tensor's bits
            XCTAssertEqual(bits(softmax(row)), bits(probabilities.rows[r]))
            XCTAssertEqual(bits(logSoftmax(row)), bits(logProbabilities.rows[r]))
            // a row with masked (−∞) entries after its scores: the prefix's bits (the fused kernel passes only the prefix)
            let masked = Array(row.prefix(20)) + [Float](repeating: -.infinity, count: 17)
            XCTAssertEqual(bits(Array(softmax(masked).prefix(20))), bits(softmax(Array(row.prefix(20)))))
            XCTAssertEqual(softmax(masked).suffix(17), ArraySlice([Float](repeating: 0, count: 17)))
            // and it is a true softmax: within a few float32 ulps of exp(x − max) / Σ in double
            // (x − max taken in float32, as the kernel takes it)
            let top = row.max()!, shifted = row.map { Double($0 - top) }
            let total = shifted.reduce(0) { $0 + Foundation.exp($1) }
            for (p, v) in zip(softmax(row), shifted) {
                XCTAssertEqual(Double(p), Foundation.exp(v) / total, accuracy: 5e-7 * Double(p))
            }
        }
        // along another axis: gathered into a row, the same kernel, the same bits
        XCTAssertEqual(bits(x.T.softmax(axis: 0).T.data), bits(probabilities.data))
        XCTAssertEqual(bits(x.T.logSoftmax(axis: 0).T.data), bits(logProbabilities.data))
        XCTAssertEqual(bits((x - x.logsumexp(axis: -1, keepDim: true)).data), bits(logProbabilities.data))
    }

    func testActivations() {
        assertClose(Tensor([1]).gelu(), [0.8413447], accuracy: 1e-6)
        assertClose(Tensor([1]).gelu(approximate: true), [0.8411920], accuracy: 1e-6)
        // x·Φ(x) with Φ(−1) = 0.1586553, Φ(0.5) = 0.6914625, Φ(2) = 0.9772499
        assertClose(Tensor([-1, 0.5, 2]).gelu(), [-0.1586553, 0.3457312, 1.9544997], accuracy: 1e-6)
        assertClose(Tensor([-1, 0.5, 2]).gelu(approximate: true), [-0.1588080, 0.3457140, 1.9545977], accuracy: 1e-6)
        assertClose(Tensor([-1, 0, 2]).relu(), [0, 0, 2])
        assertClose(Tensor([1]).silu(), [0.7310586], accuracy: 1e-6)
        assertClose(Tensor([0]).sigmoid(), [0.5])
    }

    func testCrossEntropyByHand() {
        // row 0: logits [0, ln 3] → p(target 1) = 3/4;  row 1: [ln 4, 0] → p(target 0) = 4/5
        let logits = Tensor([[0, Float(log(3.0))], [Float(log(4.0)), 0]])
        assertClose(logits.crossEntropy(targets: [1, 0]), [Float(-(log(0.75) + log(0.8)) / 2)], accuracy: 1e-6)
        assertClose(logits.crossEntropy(targets: [1, -100]), [Float(-log(0.75))], accuracy: 1e-6)
        // log(e² + e + e^0.1) − 2 = 0.4170300, and the mean with a second row
        assertClose(Tensor([[2, 1, 0.1]]).crossEntropy(targets: [0]), [0.4170300], accuracy: 1e-6)
        assertClose(Tensor([[2, 1, 0.1], [0.5, 2.5, -1]]).crossEntropy(targets: [0, 2]), [2.0351041], accuracy: 1e-5)
        // a (B, T, C) batch is flattened to (B·T, C); an ignored target does not count in the mean
        let batch = Tensor([[[2, 1, 0.1], [0, 0, 0]], [[0.5, 2.5, -1], [9, 9, 9]]])
        assertClose(batch.crossEntropy(targets: [0, -100, 2, -100]), [2.0351041], accuracy: 1e-5)
        assertClose(Tensor([[0, 0, 0, 0]]).crossEntropy(targets: [3]), [Float(log(4.0))], accuracy: 1e-6)
        assertClose(Tensor([[1000, 0]]).crossEntropy(targets: [1]), [1000], accuracy: 1e-3)
        assertClose(Tensor([[0, 7]]).crossEntropy(targets: [0], ignoreIndex: 1), [Float(log(1 + exp(7.0)))], accuracy: 1e-5)
    }

    func testCrossEntropyGivesIgnoredRowsNoGradientEvenInReusedStorage() {
        // Leave dirty storage of the gradient's size (3 rows of 600 classes) in the pool.
        BufferPool.removeAll()
        for _ in 0..<3 { _ = TensorStorage(uninitialized: 1800) }
        withExtendedLifetime((0..<3).map { _ in TensorStorage(repeating: .nan, count: 1800) }) {}   // die dirty
        let logits = TorchGenerator(seed: 0).randn([3, 600]).requiringGrad()
        logits.crossEntropy(targets: [5, -100, 7]).backward()
        let grad = logits.grad!.rows
        XCTAssertEqual(grad[1], [Float](repeating: 0, count: 600), "the ignored row")
        XCTAssertEqual(grad[0].reduce(0, +), 0, accuracy: 1e-6, "softmax − one-hot sums to 0")
        XCTAssertLessThan(grad[2][7], 0)
    }

    func testNormalisations() {
        let x = Tensor([[1, 2, 3, 4], [-2, 0, 2, 10]])
        let y = x.layerNorm(weight: nil, bias: nil, eps: 0)
        assertClose(y.mean(axis: -1), [0, 0], accuracy: 1e-6)
        assertClose(y.variance(axis: -1, unbiased: false), [1, 1], accuracy: 1e-5)
        // RMSNorm of [3, 4]: rms = √12.5
        assertClose(Tensor([3, 4]).rmsNorm(weight: nil, eps: 0), [3 / 12.5.squareRoot(), 4 / 12.5.squareRoot()].map(Float.init), accuracy: 1e-6)
        assertClose(Tensor([3, 4]).rmsNorm(weight: Tensor([2, 0.5]), eps: 0), [Float(6 / 12.5.squareRoot()), Float(2 / 12.5.squareRoot())], accuracy: 1e-6)
        // [1, 3]: mean 2, biased variance 1, so x̂ = [−1, 1]; then · weight + bias
        assertClose(Tensor([1, 3]).layerNorm(weight: Tensor([2, 3]), bias: Tensor([0.5, -0.5]), eps: 0), [-1.5, 2.5], accuracy: 1e-6)
        // eps sits inside the square root: 1 / √(1 + 3) = 0.5
        assertClose(Tensor([1, 3]).layerNorm(weight: nil, bias: nil, eps: 3), [-0.5, 0.5], accuracy: 1e-6)
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

    /// The whole of the book's section 3.3.2: Ω = X·Xᵀ, A = softmax(Ω) by rows, Z = A·X.
    func testBookAttentionFiguresForEveryWord() {
        let inputs = Tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64],
                             [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]])
        let scores = inputs.matmul(inputs.T)
        assertClose(scores, [0.9995, 0.9544, 0.9422, 0.4753, 0.4576, 0.6310,
                             0.9544, 1.4950, 1.4754, 0.8434, 0.7070, 1.0865,
                             0.9422, 1.4754, 1.4570, 0.8296, 0.7154, 1.0605,
                             0.4753, 0.8434, 0.8296, 0.4937, 0.3474, 0.6565,
                             0.4576, 0.7070, 0.7154, 0.3474, 0.6654, 0.2935,
                             0.6310, 1.0865, 1.0605, 0.6565, 0.2935, 0.9450])
        let weights = scores.softmax(axis: -1)
        assertClose(weights, [0.2098, 0.2006, 0.1981, 0.1242, 0.1220, 0.1452,
                              0.1385, 0.2379, 0.2333, 0.1240, 0.1082, 0.1581,
                              0.1390, 0.2369, 0.2326, 0.1242, 0.1108, 0.1565,
                              0.1435, 0.2074, 0.2046, 0.1462, 0.1263, 0.1720,
                              0.1526, 0.1958, 0.1975, 0.1367, 0.1879, 0.1295,
                              0.1385, 0.2184, 0.2128, 0.1420, 0.0988, 0.1896])
        assertClose(weights.sum(axis: -1), [Float](repeating: 1, count: 6), accuracy: 1e-6)
        assertClose(weights.matmul(inputs), [0.4421, 0.5931, 0.5790, 0.4419, 0.6515, 0.5683,
                                             0.4431, 0.6496, 0.5671, 0.4304, 0.6298, 0.5510,
                                             0.4671, 0.5910, 0.5266, 0.4177, 0.6503, 0.5645])
    }

    /// `a @ b` by a plain loop in double: batch axes aligned from the right, size 1 stretched.
    func referenceMatmul(_ a: Tensor, _ b: Tensor, batch: [Int]) -> [Double] {
        let (m, k, n) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 1])
        func offset(_ t: Tensor, _ index: [Int]) -> Int {   // the first element of t's matrix for a batch index
            let own = Array(t.shape.dropLast(2))
            var flat = 0
            for (d, size) in own.enumerated() {
                flat = flat * size + (size == 1 ? 0 : index[index.count - own.count + d])
            }
            return flat * t.shape[t.rank - 2] * t.shape[t.rank - 1]
        }
        var out: [Double] = []
        let (aValues, bValues) = (a.data, b.data)
        for item in 0..<batch.product {
            var index = [Int](repeating: 0, count: batch.count), rest = item
            for d in stride(from: batch.count - 1, through: 0, by: -1) { index[d] = rest % batch[d]; rest /= batch[d] }
            let (oa, ob) = (offset(a, index), offset(b, index))
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k { s += Double(aValues[oa + i * k + p]) * Double(bValues[ob + p * n + j]) }
                    out.append(s)
                }
            }
        }
        return out
    }

    func testMatmulAgainstALoop() {
        let cases: [(a: [Int], b: [Int], batch: [Int])] = [
            ([3, 4], [4, 5], []), ([2, 3, 4], [2, 4, 5], [2]), ([2, 3, 4], [4, 5], [2]), ([3, 4], [2, 4, 5], [2]),
            ([2, 1, 3, 4], [3, 4, 2], [2, 3]), ([1, 3, 4], [2, 4, 2], [2]),
            ([20, 33], [33, 40], []), ([3, 40], [40, 50], []), ([2, 8, 20], [20, 30], [2]), ([2, 7, 40], [2, 40, 33], [2]),
            ([7, 300], [300, 35], []), ([100, 20], [20, 40], []),   // more than one block of k, of rows
        ]
        for (seed, c) in cases.enumerated() {
            let g = TorchGenerator(seed: UInt64(seed))
            let a = g.uniform(c.a, low: -1, high: 1), b = g.uniform(c.b, low: -1, high: 1)
            let product = a.matmul(b)
            XCTAssertEqual(product.shape, c.batch + [c.a[c.a.count - 2], c.b[c.b.count - 1]], "\(c)")
            // float32 sums of k products in [-1, 1]: rounding grows with k
            let accuracy = 1e-6 * Double(c.a[c.a.count - 1])
            for (x, y) in zip(product.data, referenceMatmul(a, b, batch: c.batch)) { XCTAssertEqual(Double(x), y, accuracy: accuracy, "\(c)") }
        }
        // 1-D operands: a row vector on the left, a column vector on the right, their axis dropped
        let v = Tensor([1, 2]), m = Tensor([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(v.matmul(m).shape, [3])
        XCTAssertEqual(v.matmul(m).data, [9, 12, 15])
        XCTAssertEqual(m.T.matmul(v).data, [9, 12, 15])
        XCTAssertEqual(v.matmul(Tensor([3, 4])).shape, [])
        XCTAssertEqual(v.matmul(Tensor([3, 4])).item, 11)
        XCTAssertEqual(v.matmul(Tensor.stack([m, m * 2])).data, [9, 12, 15, 18, 24, 30])
        XCTAssertEqual(Tensor.stack([m, m * 2]).matmul(Tensor([1, 0, 1])).data, [4, 10, 8, 20])
    }

    /// `Tensor.linear(x, weight: W, bias: b)` is x · Wᵀ + b over the last axis of any x.
    func testLinearAgainstALoop() {
        for (seed, (rows, inFeatures, outFeatures)) in [(6, 4, 5), (7, 33, 40), (1, 40, 50)].enumerated() {
            let g = TorchGenerator(seed: UInt64(100 + seed))
            let x = g.uniform([rows, inFeatures], low: -1, high: 1)
            let w = g.uniform([outFeatures, inFeatures], low: -1, high: 1), b = g.uniform([outFeatures], low: -1, high: 1)
            let biasValues = b.data
            let expected = zip(referenceMatmul(x, w.T, batch: []), (0..<rows * outFeatures).map { Double(biasValues[$0 % outFeatures]) }).map(+)
            let accuracy = 1e-6 * Double(inFeatures)
            for (y, e) in zip(Tensor.linear(x, weight: w, bias: b).data, expected) { XCTAssertEqual(Double(y), e, accuracy: accuracy) }
            let noBias = Tensor.linear(x, weight: w).data
            for (y, e) in zip(noBias, referenceMatmul(x, w.T, batch: [])) { XCTAssertEqual(Double(y), e, accuracy: accuracy) }
        }
        let x3 = Tensor([[[1, 2], [3, 4]], [[5, 6], [7, 8]]])
        let y3 = Tensor.linear(x3, weight: Tensor([[1, 0], [1, 1], [0, -1]]), bias: Tensor([0, 0, 10]))
        XCTAssertEqual(y3.shape, [2, 2, 3])
        XCTAssertEqual(y3.data, [1, 3, 8, 3, 7, 6, 5, 11, 4, 7, 15, 2])
        XCTAssertEqual(Tensor.linear(Tensor([1, 2]), weight: Tensor([[3, 4]])).data, [11])
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
