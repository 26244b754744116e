import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// Llama and Mixtral against Hugging Face transformers (fixtures llama-tiny: 8 heads, 2 kv
/// heads, RoPE, RMSNorm, SwiGLU; mixtral-tiny: 4 experts, top-2).
final class LlamaReferenceTests: XCTestCase {
    func checkForward(_ fixture: String) throws {
        let model = try LlamaModel.load(huggingFace: fixtureURL(fixture))
        let expected = try SafeTensorsFile(contentsOf: fixtureURL(fixture + "/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        var states: [Tensor] = []
        let logits = withNoGrad { model.lmHead(model.hiddenStates(ids, shape: shape, trace: { states.append($0) })) }
        assertMatchesReference("\(fixture) logits", logits, try expected.tensor("logits"))
        XCTAssertEqual(states.count, model.config.numLayers + 1)
        for (i, h) in states.enumerated() { assertMatchesReference("\(fixture) hidden_states.\(i)", h, try expected.tensor("hidden_states.\(i)")) }
    }

    func testLlamaForward() throws { try checkForward("llama-tiny") }

    func testMixtralForward() throws {
        try checkForward("mixtral-tiny")
        let model = try LlamaModel.load(huggingFace: fixtureURL("mixtral-tiny"))
        XCTAssertEqual(model.config.numExperts, 4)
        XCTAssertEqual(model.config.expertsPerToken, 2)
    }

    /// Loss, every gradient and two AdamW steps, as for GPT-2.
    func testLlamaTraining() throws {
        let model = try LlamaModel.load(huggingFace: fixtureURL("llama-tiny"))
        let expected = try SafeTensorsFile(contentsOf: fixtureURL("llama-tiny/expected.safetensors"))
        let (shape, ids) = try expected.integers("input_ids")
        let targets = try expected.integers("targets").values
        model.train()
        let loss = model(ids, shape: shape).crossEntropy(targets: targets)
        assertMatchesReference("loss", loss.reshape([1]), try expected.tensor("loss"))
        loss.backward()
        for (name, p) in model.namedParameters() { assertMatchesReference("grad." + name, p.grad!, try expected.tensor("grad." + name)) }
        let optimizer = AdamW(model, learningRate: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        optimizer.step()
        optimizer.zeroGrad()
        model(ids, shape: shape).crossEntropy(targets: targets).backward()
        optimizer.step()
        for (name, p) in model.namedParameters() {
            assertAdamWStepMatches("adamw_step2." + name, p, try expected.tensor("adamw_step2." + name),
                                   firstGradient: try expected.tensor("grad." + name), learningRate: 1e-3, eps: 1e-8)
        }
    }

    /// The router keeps the top 2 of 4 experts and renormalises their probabilities.
    func testRouting() {
        let moe = MixtureOfExperts(dim: 4, hidden: 6, experts: 4, topK: 2, generator: TorchGenerator(seed: 3))
        let x = TorchGenerator(seed: 4).randn([5, 4])
        let (chosen, weights) = moe.route(x)
        XCTAssertEqual(chosen.count, 5)
        XCTAssertTrue(chosen.allSatisfy { Set($0).count == 2 })
        for row in 0..<5 { XCTAssertEqual(weights[row, 0] + weights[row, 1], 1, accuracy: 1e-6) }
        _ = moe(x)
        XCTAssertEqual(moe.tokensPerExpert.reduce(0, +), 10)
        gradCheck("MixtureOfExperts", [x] + moe.parameters) { t in moe(t[0]) }
    }
}
