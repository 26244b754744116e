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
    /// ignores a constant added to every score) moves by about ±lr in a direction rounding
    /// decides, here and in PyTorch alike. Those elements (|first gradient| ≤ 1e-6 · the largest
    /// in the tensor) are held to the size of two steps, 2·lr, against the reference; every
    /// other element to 1e-4 of the tensor's largest magnitude. (`testAdamWStepsFollowTheFormula`
    /// holds every element, noise-level ones included, to AdamW's formula on the course's own
    /// gradients.) Returns why they do not match, or nil; a NaN or infinity anywhere fails.
    static func adamWMismatch(_ got: Tensor, _ reference: Tensor, firstGradient: Tensor, learningRate: Float)
        -> (problem: String?, maxdiff: Float, scale: Float, noisy: Int) {
        guard got.shape == reference.shape, firstGradient.shape == reference.shape else {
            return ("shapes \(got.shape), \(reference.shape) and \(firstGradient.shape) differ", 0, 0, 0)
        }
        let comparison = Comparison(got.data, reference.data)
        if let problem = comparison.problem { return (problem, 0, 0, 0) }
        if let problem = Comparison(firstGradient.data, firstGradient.data).problem { return ("first gradient: " + problem, 0, 0, 0) }
        let noiseLevel = 1e-6 * firstGradient.data.reduce(0) { max($0, abs($1)) }
        var maxdiff: Float = 0, noisy = 0
        let (gotValues, referenceValues, gradientValues) = (got.data, reference.data, firstGradient.data)
        for i in 0..<got.count {
            let diff = abs(gotValues[i] - referenceValues[i]), g = gradientValues[i]
            if abs(g) <= noiseLevel && g != 0 {
                noisy += 1
                if diff > 2 * learningRate + 1e-6 {
                    return ("element \(i) (noise-level gradient \(g)) is off by \(diff), more than two steps of \(learningRate)", maxdiff, comparison.scale, noisy)
                }
            } else {
                maxdiff = max(maxdiff, diff)
            }
        }
        guard maxdiff <= 1e-4 * comparison.scale else {
            return ("maxdiff \(maxdiff) exceeds 1e-4 × the largest magnitude \(comparison.scale)", maxdiff, comparison.scale, noisy)
        }
        return (nil, maxdiff, comparison.scale, noisy)
    }

    func assertAdamWMatches(_ name: String, _ got: Tensor, _ reference: Tensor, firstGradient: Tensor, learningRate: Float,
                            file: StaticString = #filePath, line: UInt = #line) {
        let result = Self.adamWMismatch(got, reference, firstGradient: firstGradient, learningRate: learningRate)
        print("\(name): maxdiff \(result.maxdiff) (largest magnitude \(result.scale))"
              + (result.noisy > 0 ? ", \(result.noisy) elements with noise-level gradients" : ""))
        if let problem = result.problem { XCTFail("\(name): \(problem)", file: file, line: line) }
    }

    /// The check itself fails on a NaN in the middle of either side, and on a noise-level
    /// element that moved by more than two steps.
    func testTheAdamWCheckCannotBeFooled() {
        let reference = Tensor([0.5, -0.25, 0.125, 1, 0.75]), gradient = Tensor([1, 2, 1e-9, 3, 4])
        XCTAssertNil(Self.adamWMismatch(reference, reference, firstGradient: gradient, learningRate: 1e-3).problem)
        var values = reference.data
        values[2] = .nan
        XCTAssertNotNil(Self.adamWMismatch(Tensor(shape: [5], data: values), reference, firstGradient: gradient, learningRate: 1e-3).problem)
        XCTAssertNotNil(Self.adamWMismatch(reference, Tensor(shape: [5], data: values), firstGradient: gradient, learningRate: 1e-3).problem)
        values[2] = 0.125 + 3e-3      // a noise-level element three steps away
        XCTAssertNotNil(Self.adamWMismatch(Tensor(shape: [5], data: values), reference, firstGradient: gradient, learningRate: 1e-3).problem)
        values[2] = 0.125 + 1.5e-3    // within two steps
        XCTAssertNil(Self.adamWMismatch(Tensor(shape: [5], data: values), reference, firstGradient: gradient, learningRate: 1e-3).problem)
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
        let learningRate: Float = 1e-3
        let optimizer = AdamW(model, learningRate: learningRate, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        optimizer.step()
        optimizer.zeroGrad()
        loss().backward()
        optimizer.step()
        for (name, p) in model.namedParameters() {
            let (hfName, transposed) = GPTModel.huggingFaceName(name)
            let reference = try expected.tensor("adamw_step2." + hfName)
            let firstGradient = try expected.tensor("grad." + hfName)
            assertAdamWMatches("adamw_step2." + hfName, transposed ? p.T : p, reference, firstGradient: firstGradient,
                               learningRate: learningRate)
        }
    }

    /// Two AdamW steps on the course's own gradients, every element (those whose gradient is
    /// rounding noise included) against AdamW's formula computed here in double precision:
    /// within 5e-7 of the value (a few float32 roundings). A wrong update of any element — a
    /// missed weight decay (1e-4 of the weight per step), a wrong bias correction, a step of
    /// the wrong size — is caught.
    func testAdamWStepsFollowTheFormula() throws {
        let targets = try expected.integers("targets").values
        let (lr, beta1, beta2, eps, decay) = (1e-3, 0.9, 0.95, 1e-8, 0.1)
        let optimizer = AdamW(model, learningRate: Float(lr), beta1: Float(beta1), beta2: Float(beta2), eps: Float(eps),
                              weightDecay: Float(decay))
        model.train()
        let parameters = model.namedParameters()
        var weights = parameters.map { $0.tensor.data.map(Double.init) }
        var m = parameters.map { [Double](repeating: 0, count: $0.tensor.count) }
        var v = m
        for step in 1...2 {
            optimizer.zeroGrad()
            model(ids, shape: shape).crossEntropy(targets: targets).backward()
            // AdamW as PyTorch writes it, on the gradients just computed
            let (bc1, bc2) = (1 - Foundation.pow(beta1, Double(step)), 1 - Foundation.pow(beta2, Double(step)))
            for (k, (_, p)) in parameters.enumerated() {
                let g = try XCTUnwrap(p.grad).data
                for j in 0..<g.count {
                    let gj = Double(g[j])
                    weights[k][j] *= 1 - lr * decay
                    m[k][j] = beta1 * m[k][j] + (1 - beta1) * gj
                    v[k][j] = beta2 * v[k][j] + (1 - beta2) * gj * gj
                    weights[k][j] -= lr / bc1 * m[k][j] / (v[k][j].squareRoot() / bc2.squareRoot() + eps)
                }
            }
            optimizer.step()
        }
        for (k, (name, p)) in parameters.enumerated() {
            let values = p.data                                   // a copy: read it once
            for j in 0..<p.count {
                let (got, want) = (Double(values[j]), weights[k][j])
                if !(abs(got - want) <= 5e-7 * abs(want) + 1e-9) {
                    XCTFail("\(name)[\(j)]: \(got) after two AdamW steps, the formula gives \(want)")
                    return
                }
            }
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
