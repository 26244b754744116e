import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// The course's GPT against Hugging Face transformers on the gpt2-tiny fixture (random weights,
/// 2 layers, width 32): logits, every hidden state, the loss, every parameter's gradient, and
/// the parameters after two AdamW steps. Like llm.c's test_gpt2, it prints each `maxdiff`.
final class GPT2ReferenceTests: XCTestCase {
    var expected: SafeTensorsFile!
    var model: GPTModel!
    var ids: [Int] = []
    var shape: [Int] = []

    override func setUpWithError() throws {
        model = try GPTModel.load(huggingFace: fixtureURL("gpt2-tiny"))
        expected = try SafeTensorsFile(contentsOf: fixtureURL("gpt2-tiny/expected.safetensors"))
        (shape, ids) = try expected.integers("input_ids")
    }


    /// AdamW divides each gradient by its own running RMS, so an element whose gradient is pure
    /// rounding noise (the key bias of attention has a true gradient of exactly 0, since softmax
    /// ignores a constant added to every score) moves by ±lr in a direction rounding decides.
    /// Those elements (|gradient| ≤ 1e-6 · the largest in the tensor) are held to the size of
    /// two steps, 2·lr; every other element to 1e-4 of the tensor's largest magnitude.
    func assertAdamWMatches(_ name: String, _ got: Tensor, _ reference: Tensor, firstGradient: Tensor,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.shape, reference.shape, name, file: file, line: line)
        let scale = reference.data.map(abs).max() ?? 0
        let noiseLevel = 1e-6 * (firstGradient.data.map(abs).max() ?? 0)
        var maxdiff: Float = 0, noisy = 0
        let (gotValues, referenceValues, gradientValues) = (got.data, reference.data, firstGradient.data)
        for i in 0..<got.count {
            let diff = abs(gotValues[i] - referenceValues[i])
            if abs(gradientValues[i]) <= noiseLevel && gradientValues[i] != 0 {
                noisy += 1
                XCTAssertLessThanOrEqual(diff, 2 * 1e-3 + 1e-6, "\(name)[\(i)] (noise-level gradient)", file: file, line: line)
            } else {
                maxdiff = max(maxdiff, diff)
            }
        }
        print("\(name): maxdiff \(maxdiff) (largest magnitude \(scale))" + (noisy > 0 ? ", \(noisy) elements with noise-level gradients" : ""))
        XCTAssertLessThanOrEqual(maxdiff, 1e-4 * scale, name, file: file, line: line)
    }

    func testConfigIsReadFromConfigJSON() {
        XCTAssertEqual(model.config, GPTConfig(vocabSize: 1000, contextLength: 64, embeddingDim: 32, numHeads: 4, numLayers: 2,
                                               dropRate: 0, qkvBias: true, tiedHead: true, geluApproximate: true, layerNormEps: 1e-5))
        XCTAssertTrue(model.lmHead.weight === model.wte.weight)
    }

    func testLogitsAndHiddenStates() throws {
        model.eval()
        var states: [Tensor] = []
        let logits = withNoGrad { model.lmHead(model.hiddenStates(ids, shape: shape, trace: { states.append($0) })) }
        assertMatchesReference("logits", logits, try expected.tensor("logits"))
        XCTAssertEqual(states.count, 3)
        for (i, h) in states.enumerated() {
            assertMatchesReference("hidden_states.\(i)", h, try expected.tensor("hidden_states.\(i)"))
        }
    }

    func testLossGradientsAndTwoAdamWSteps() throws {
        let targets = try expected.integers("targets").values
        func loss() -> Tensor {
            let logits = model(ids, shape: shape)                      // (B, T, V)
            return logits.crossEntropy(targets: targets)
        }
        model.train()
        let l = loss()
        assertMatchesReference("loss", l.reshape([1]), try expected.tensor("loss"))
        l.backward()
        for (name, p) in model.namedParameters() {
            let (hfName, transposed) = GPTModel.huggingFaceName(name)
            let reference = try expected.tensor("grad." + hfName)
            assertMatchesReference("grad." + hfName, transposed ? p.grad!.T : p.grad!, reference)
        }
        let optimizer = AdamW(model, learningRate: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        optimizer.step()
        optimizer.zeroGrad()
        loss().backward()
        optimizer.step()
        for (name, p) in model.namedParameters() {
            let (hfName, transposed) = GPTModel.huggingFaceName(name)
            let reference = try expected.tensor("adamw_step2." + hfName)
            let firstGradient = try expected.tensor("grad." + hfName)
            assertAdamWMatches("adamw_step2." + hfName, transposed ? p.T : p, reference, firstGradient: firstGradient)
        }
    }

    func testBadCheckpointsNameTheProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bad-gpt2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        XCTAssertThrowsError(try GPTModel.load(huggingFace: directory)) { XCTAssertTrue("\($0)".contains("config.json: not found"), "\($0)") }
        // a config that does not fit the weights
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("gpt2-tiny/config.json"))) as! [String: Any]
        config["n_embd"] = 64
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: fixtureURL("gpt2-tiny/model.safetensors"), to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try GPTModel.load(huggingFace: directory)) {
            XCTAssertTrue("\($0)".contains("transformer.wte.weight has shape [1000, 32], expected [1000, 64]"), "\($0)")
        }
        config["architectures"] = ["BertModel"]
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try GPTModel.load(huggingFace: directory)) { XCTAssertTrue("\($0)".contains("BertModel is not GPT-2"), "\($0)") }
        XCTAssertThrowsError(try GPTModel.load(huggingFace: directory.appendingPathComponent("missing"))) {
            XCTAssertTrue("\($0)".contains("is not a directory"), "\($0)")
        }
    }
}
