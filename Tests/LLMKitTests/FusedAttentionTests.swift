import TestSupport
import XCTest
@testable import LLMKit
@testable import TensorKit

/// The fused attention kernel against the step-by-step ops it replaces: the same context,
/// weights and gradients (to the bit where the order of the sums allows), with and without
/// dropout, and a numerical gradient check.
final class FusedAttentionTests: XCTestCase {
    override func tearDown() { TensorKitConfig.fusedAttention = true }

    /// Context, attention weights and every gradient of a GPT attention layer on a fixed batch.
    func run(fused: Bool, dropout: Float, t: Int = 19) -> (out: Tensor, weights: Tensor, grads: [String: Tensor], inputGrad: Tensor) {
        TensorKitConfig.fusedAttention = fused
        let config = GPTConfig(vocabSize: 10, contextLength: 256, embeddingDim: 24, numHeads: 3, numLayers: 1,
                               dropRate: dropout, qkvBias: true)
        let attention = GPTAttention(config, generator: TorchGenerator(seed: 5))
        attention.train()
        let x = TorchGenerator(seed: 6).randn([2, t, 24])
        x.requiresGrad = true
        let out = attention(x)                                              // (2, T, 24)
        let weightsOfLoss = TorchGenerator(seed: 7).randn([2, t, 24])
        (out * weightsOfLoss).sum().backward()
        var grads: [String: Tensor] = [:]
        for (name, p) in attention.namedParameters() { grads[name] = p.grad! }
        return (out, attention.lastWeights!, grads, x.grad!)
    }

    func testFusedAttentionEqualsTheStepByStepOps() {
        // Both divide the scores by √hd and take every softmax with the one row kernel, and the
        // products add in the same order: the context is the same to the last bit, with and
        // without dropout, and so are the weights (the fused kernel's are those before dropout).
        // The gradients too while the sequence fits one block of 128 query rows; past it, the
        // fused backward adds dV and dK block by block, which rounds differently from one
        // product over every row, so they agree to rounding (1e-5 of their largest magnitude).
        // 19 positions: one block of query rows; 150: two, the last partial.
        for (dropout, t): (Float, Int) in [(0, 19), (0.25, 19), (0, 150), (0.25, 150)] {
            let fused = run(fused: true, dropout: dropout, t: t), plain = run(fused: false, dropout: dropout, t: t)
            assertSameBits("context (dropout \(dropout), T \(t))", fused.out, plain.out)
            if dropout == 0 { assertSameBits("weights (T \(t))", fused.weights, plain.weights) }
            for name in ["input"] + plain.grads.keys.sorted() {
                let (a, b) = name == "input" ? (fused.inputGrad, plain.inputGrad) : (fused.grads[name]!, plain.grads[name]!)
                if t <= attentionRowBlock {
                    assertSameBits("\(name) gradient (dropout \(dropout), T \(t))", a, b)
                } else {
                    assertMatchesReference("\(name) gradient (dropout \(dropout), T \(t))", a, b, relative: 1e-5)
                }
            }
        }
    }

    func testCausalWeightsAreZeroAboveTheDiagonalAndRowsSumToOne() {
        let weights = run(fused: true, dropout: 0, t: 5).weights             // (2, 3, 5, 5)
        for row in 0..<(2 * 3 * 5) {
            let i = row % 5
            let values = Array(weights.data[(row * 5)..<(row * 5 + 5)])
            XCTAssertEqual(values.reduce(0, +), 1, accuracy: 1e-6)
            XCTAssertEqual(Array(values[(i + 1)...]), [Float](repeating: 0, count: 4 - i))
        }
    }

    func testGradientCheck() {
        let qkv = TorchGenerator(seed: 3).randn([2, 6, 12])
        gradCheck("causalSelfAttention", [qkv]) { Tensor.causalSelfAttention(qkv: $0[0], heads: 2).context }
    }
}

/// The KV cache's in-place storage and its attention kernel against the plain ops.
final class KVCacheTests: XCTestCase {
    func testCachedAttentionEqualsTheStepByStepOpsAcrossGrowth() {
        let layer = KVCache.Layer()
        let g = TorchGenerator(seed: 11)
        var allKeys: [Tensor] = [], allValues: [Tensor] = []
        for chunk in [50, 20, 1, 3] {                         // grows past its first capacity of 64
            let k = g.randn([2, 3, chunk, 8]), v = g.randn([2, 3, chunk, 8])
            layer.append(keys: k, values: v)
            allKeys.append(k)
            allValues.append(v)
        }
        XCTAssertEqual(layer.length, 74)
        let keys = Tensor.cat(allKeys, axis: 2), values = Tensor.cat(allValues, axis: 2)   // (2, 3, 74, 8)
        XCTAssertEqual(layer.keys!.data, keys.data)
        XCTAssertEqual(layer.values!.data, values.data)
        let q = g.randn([2, 3, 3, 8])                         // the last 3 positions' queries
        let (context, weights) = layer.attend(q)
        let plain = scaledDotProductAttention(q, keys, values, causal: true)
        // The same kernels, the same order of sums: the same bits as attention without a cache.
        assertSameBits("cached context", context, plain.context)
        assertSameBits("cached weights", weights, plain.weights)
    }
}

/// Asserts the same bits, element for element (a NaN only against the same NaN).
func assertSameBits(_ name: String, _ a: Tensor, _ b: Tensor, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, name, file: file, line: line)
    let differing = zip(a.data, b.data).filter { $0.bitPattern != $1.bitPattern }.count
    XCTAssertEqual(differing, 0, "\(name): \(differing) of \(a.count) elements differ", file: file, line: line)
}
