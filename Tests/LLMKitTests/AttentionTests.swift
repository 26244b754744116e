import TestSupport
import XCTest
@testable import LLMKit
@testable import TensorKit

/// The attention modules: gradient checks, and the equivalences chapter 6 relies on.
final class AttentionTests: XCTestCase {
    let batch = Tensor.stack([
        Tensor([[0.43, 0.15, 0.89], [0.55, 0.87, 0.66], [0.57, 0.85, 0.64], [0.22, 0.58, 0.33], [0.77, 0.25, 0.10], [0.05, 0.80, 0.55]]),
        Tensor([[0.1, 0.2, 0.3], [0.9, 0.1, 0.4], [0.3, 0.3, 0.8], [0.5, 0.6, 0.1], [0.2, 0.9, 0.9], [0.7, 0.4, 0.2]]),
    ])   // (2, 6, 3)

    /// Causal masking by multiply-and-renormalise equals masking with −∞.
    func testTwoWaysOfMaskingAgree() {
        let scores = TorchGenerator(seed: 1).randn([5, 5])
        let plain = scores.softmax(axis: -1)
        let renormalised = plain * Tensor.ones([5, 5]).tril()
        let byMultiplying = renormalised / renormalised.sum(axis: -1, keepDim: true)
        let byInfinity = scores.maskedFill(causalMask(queries: 5, keys: 5), -.infinity).softmax(axis: -1)
        assertClose(byMultiplying, byInfinity, absolute: 1e-6)
    }

    func testCausalMaskWithCachedKeys() {
        XCTAssertEqual(causalMask(queries: 2, keys: 4).data, [0, 0, 0, 1, 0, 0, 0, 0])
    }

    /// The fused module given the wrapper's weights (and an identity output projection)
    /// computes the same function.
    func testWrapperEqualsFusedModule() throws {
        Tensor.manualSeed(123)
        let wrapper = MultiHeadAttentionWrapper(dIn: 3, dOut: 2, contextLength: 6, dropout: 0, numHeads: 3)
        let fused = MultiHeadAttention(dIn: 3, dOut: 6, contextLength: 6, dropout: 0, numHeads: 3)
        try fused.load([
            "W_query.weight": Tensor.cat(wrapper.heads.map { $0.wQuery.weight }, axis: 0),
            "W_key.weight": Tensor.cat(wrapper.heads.map { $0.wKey.weight }, axis: 0),
            "W_value.weight": Tensor.cat(wrapper.heads.map { $0.wValue.weight }, axis: 0),
            "out_proj.weight": Tensor.eye(6), "out_proj.bias": Tensor.zeros([6]),
        ])
        assertClose(fused(batch), wrapper(batch), absolute: 1e-6)
    }

    /// GQA with as many kv heads as heads is multi-head attention; MQA is GQA with one kv head,
    /// which is the same as every head using copies of one key/value projection.
    func testGroupedQueryEquivalences() throws {
        let x = TorchGenerator(seed: 2).randn([2, 5, 8])
        let gqa = GroupedQueryAttention(dIn: 8, numHeads: 4, numKVHeads: 4, headDim: 2, generator: TorchGenerator(seed: 3))
        let mha = MultiHeadAttention(dIn: 8, dOut: 8, contextLength: 5, dropout: 0, numHeads: 4, qkvBias: false)
        try mha.load(["W_query.weight": gqa.qProj.weight, "W_key.weight": gqa.kProj.weight, "W_value.weight": gqa.vProj.weight,
                      "out_proj.weight": gqa.oProj.weight, "out_proj.bias": Tensor.zeros([8])])
        assertClose(gqa(x), mha(x), absolute: 1e-5)

        let mqa = GroupedQueryAttention(dIn: 8, numHeads: 4, numKVHeads: 1, headDim: 2, generator: TorchGenerator(seed: 4))
        let expanded = GroupedQueryAttention(dIn: 8, numHeads: 4, numKVHeads: 4, headDim: 2, generator: TorchGenerator(seed: 5))
        try expanded.load(["q_proj.weight": mqa.qProj.weight, "o_proj.weight": mqa.oProj.weight,
                           "k_proj.weight": Tensor.cat(Array(repeating: mqa.kProj.weight, count: 4), axis: 0),
                           "v_proj.weight": Tensor.cat(Array(repeating: mqa.vProj.weight, count: 4), axis: 0)])
        assertClose(mqa(x), expanded(x), absolute: 1e-5)
    }

    /// With RoPE, q·k depends only on the offset between the two positions.
    func testRoPEDependsOnlyOnTheOffset() {
        let rope = RotaryEmbedding(headDim: 8)
        let q = TorchGenerator(seed: 6).randn([1, 8]), k = TorchGenerator(seed: 7).randn([1, 8])
        func score(_ m: Int, _ n: Int) -> Float { (rope.apply(q, positions: m..<(m + 1)) * rope.apply(k, positions: n..<(n + 1))).sum().item }
        XCTAssertEqual(score(3, 1), score(40, 38), accuracy: 1e-5)
        XCTAssertEqual(score(0, 0), (q * k).sum().item, accuracy: 1e-6)
        XCTAssertNotEqual(score(3, 1), score(3, 2), accuracy: 1e-3)
    }

    /// Sinusoidal encodings: the paper's formula at a few positions.
    func testSinusoidalFormula() {
        let pe = sinusoidalPositionalEncoding(positions: 4, dim: 6)
        XCTAssertEqual(pe[0, 1], 1)
        XCTAssertEqual(pe[1, 0], Float(sin(1.0)), accuracy: 1e-7)
        XCTAssertEqual(pe[3, 2], Float(sin(3 / pow(10000, 2.0 / 6))), accuracy: 1e-7)
        XCTAssertEqual(pe[3, 5], Float(cos(3 / pow(10000, 4.0 / 6))), accuracy: 1e-7)
        let halves = sinusoidalPositionalEncoding(positions: 4, dim: 6, halves: true)
        XCTAssertEqual(halves[3, 1], pe[3, 2])
        XCTAssertEqual(halves[3, 4], pe[3, 3])
    }

    // MARK: - Gradient checks of every attention variant

    func gradCheckModule(_ name: String, _ module: Module, input: Tensor, file: StaticString = #filePath, line: UInt = #line,
                         _ f: (Tensor) -> Tensor) {
        let parameters = module.parameters
        gradCheck(name, [input] + parameters, file: file, line: line) { _ in f(input) }
    }

    func testAttentionGradients() {
        let x = TorchGenerator(seed: 8).randn([2, 4, 6])
        let v1 = SelfAttentionV1(dIn: 6, dOut: 3, generator: TorchGenerator(seed: 9))
        gradCheckModule("SelfAttentionV1", v1, input: x.select(0, 0)) { v1($0) }
        let v2 = SelfAttentionV2(dIn: 6, dOut: 3, generator: TorchGenerator(seed: 10))
        gradCheckModule("SelfAttentionV2", v2, input: x.select(0, 1)) { v2($0) }
        let causal = CausalAttention(dIn: 6, dOut: 3, contextLength: 4, dropout: 0, generator: TorchGenerator(seed: 11))
        gradCheckModule("CausalAttention", causal, input: x) { causal($0) }
        let wrapper = MultiHeadAttentionWrapper(dIn: 6, dOut: 2, contextLength: 4, dropout: 0, numHeads: 2, generator: TorchGenerator(seed: 12))
        gradCheckModule("MultiHeadAttentionWrapper", wrapper, input: x) { wrapper($0) }
        let mha = MultiHeadAttention(dIn: 6, dOut: 6, contextLength: 4, dropout: 0, numHeads: 3, qkvBias: true, generator: TorchGenerator(seed: 13))
        gradCheckModule("MultiHeadAttention", mha, input: x) { mha($0) }
        let gqa = GroupedQueryAttention(dIn: 6, numHeads: 4, numKVHeads: 2, headDim: 2, rope: RotaryEmbedding(headDim: 2), generator: TorchGenerator(seed: 14))
        gradCheckModule("GroupedQueryAttention + RoPE", gqa, input: x) { gqa($0) }
        let memory = TorchGenerator(seed: 15).randn([2, 5, 6])
        let cross = CrossAttention(dModel: 6, numHeads: 2, generator: TorchGenerator(seed: 16))
        gradCheck("CrossAttention", [x, memory] + cross.parameters) { t in cross(t[0], memory: t[1]) }
        let gpt = GPTAttention(GPTConfig(vocabSize: 10, contextLength: 4, embeddingDim: 6, numHeads: 2, numLayers: 1, qkvBias: true),
                               generator: TorchGenerator(seed: 17))
        gradCheckModule("GPTAttention", gpt, input: x) { gpt($0) }
    }
}
