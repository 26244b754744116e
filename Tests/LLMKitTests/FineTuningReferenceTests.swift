import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit

/// Fine-tuning against plain PyTorch on the gpt2-tiny fixture (Tests/Fixtures/finetune/
/// make_finetune.py: the book's GPTModel with separate query/key/value layers, its collate
/// function, classifier and LoRA layers, written in PyTorch): the masked instruction loss and
/// every gradient, the classifier's logits and the gradients of its trainable parameters
/// (frozen ones get none), and a LoRA model's logits and the gradients of A and B.
final class FineTuningReferenceTests: XCTestCase {
    var expected: SafeTensorsFile!
    var sequences: [[Int]] = []

    override func setUpWithError() throws {
        expected = try SafeTensorsFile(contentsOf: fixtureURL("finetune/expected.safetensors"))
        let flat = try expected.integers("sequences.flat").values, lengths = try expected.integers("sequences.lengths").values
        var start = 0
        sequences = lengths.map { n in defer { start += n }; return Array(flat[start..<(start + n)]) }
    }

    /// Within `relative` of the reference's largest magnitude, every element finite.
    func assertClose(_ name: String, _ got: Tensor?, _ reference: Tensor, relative: Float = 1e-5,
                     file: StaticString = #filePath, line: UInt = #line) {
        guard let got else { return XCTFail("\(name): no tensor (no gradient?)", file: file, line: line) }
        XCTAssertEqual(got.shape, reference.shape, name, file: file, line: line)
        XCTAssertTrue(got.data.allSatisfy(\.isFinite) && reference.data.allSatisfy(\.isFinite), "\(name): not finite", file: file, line: line)
        let scale = reference.data.map(abs).max() ?? 0
        var maxdiff: Float = 0
        for (a, b) in zip(got.data, reference.data) { maxdiff = max(maxdiff, abs(a - b)) }
        XCTAssertLessThanOrEqual(maxdiff, relative * max(scale, 1e-6), "\(name): maxdiff \(maxdiff), largest \(scale)", file: file, line: line)
    }

    func tinyModel() throws -> GPTModel {
        let model = try GPTModel.load(huggingFace: fixtureURL("gpt2-tiny"))
        model.train()
        return model
    }

    func testInstructionCollateLossAndGradients() throws {
        let model = try tinyModel()
        let batch = collateInstructions(sequences, padID: 999)
        let (inShape, inputs) = try expected.integers("instruct.inputs")
        XCTAssertEqual(batch.shape, inShape)
        XCTAssertEqual(batch.inputs, inputs)
        XCTAssertEqual(batch.targets, try expected.integers("instruct.targets").values)
        XCTAssertTrue(batch.targets.contains(-100), "the fixture exercises the ignore index")
        let logits = model(batch.inputs, shape: batch.shape)                               // (B, T, V)
        assertClose("instruct.logits", logits, try expected.tensor("instruct.logits"))
        let loss = logits.reshape([-1, model.config.vocabSize]).crossEntropy(targets: batch.targets)
        assertClose("instruct.loss", loss.reshape([1]), try expected.tensor("instruct.loss"))
        loss.backward()
        for (name, p) in model.namedParameters() {
            assertClose("instruct.grad." + name, p.grad, try expected.tensor("instruct.grad." + name))
        }
    }

    func classifierInputs() -> PaddedBatch { PaddedBatch(sequences, padID: 999) }
    let labels = [0, 1, 1]

    func testClassifierLogitsAndGradientsWithFrozenLayers() throws {
        let classifier = GPTClassifier(body: try tinyModel(), classes: 2, generator: TorchGenerator(seed: 123))
        // the head is drawn as torch.nn.Linear(32, 2) after torch.manual_seed(123)
        XCTAssertEqual(classifier.head.weight.data, try expected.tensor("classifier.head.weight").data)
        XCTAssertEqual(classifier.head.bias!.data, try expected.tensor("classifier.head.bias").data)
        classifier.freezeForFineTuning()
        let batch = classifierInputs()
        let logits = classifier(batch.ids, shape: batch.shape, lengths: batch.lengths)       // (3, 2)
        assertClose("classifier.logits", logits, try expected.tensor("classifier.logits"))
        let loss = logits.crossEntropy(targets: labels)
        assertClose("classifier.loss", loss.reshape([1]), try expected.tensor("classifier.loss"))
        loss.backward()
        var checked = 0
        for (name, p) in classifier.namedParameters() {
            if name.hasPrefix("h.1.") || name.hasPrefix("ln_f.") || name.hasPrefix("out_head.") {
                assertClose("classifier.grad." + name, p.grad, try expected.tensor("classifier.grad." + name))
                checked += 1
            } else {
                XCTAssertFalse(p.requiresGrad, name)
                XCTAssertNil(p.grad, "\(name) is frozen: no gradient")
            }
        }
        XCTAssertEqual(checked, 12 + 2 + 2, "the last block's 12 tensors, the final norm's 2 and the head's 2")
    }

    func testLoRALogitsAndGradientsOfAAndBOnly() throws {
        let recipe = FineTuneRecipe(task: "classify", base: "gpt2-tiny", labels: ["a", "b"], loraRank: 4, loraAlpha: 8, padID: 999)
        let prepared = FineTuneModel(body: try tinyModel(), recipe: recipe, generator: TorchGenerator(seed: 123))
        let classifier = prepared.classifier!
        let adapters = Dictionary(uniqueKeysWithValues: LoRA.tensors(of: classifier).map { ($0.key, $0.value) })
        XCTAssertEqual(adapters.count, 2 * (2 * (3 + 3) + 1), "per block 3 parts of c_attn + c_proj, c_fc, mlp.c_proj; and the head")
        XCTAssertEqual(prepared.trainableCount, Int(try expected.tensor("lora.trainable").item))
        // every A as PyTorch draws it: kaiming_uniform_(a=√5) right after the seeded head
        for name in adapters.keys.sorted() where name.contains(".lora.A") {
            XCTAssertEqual(adapters[name]!.data, try expected.tensor("lora.init." + name).data, name)
        }
        // then B (and A) as the fixture set them, so that A has a gradient
        var values: [String: Tensor] = [:]
        for name in adapters.keys { values[name] = try expected.tensor("lora.value." + name) }
        try classifier.load(values, strict: false)
        let batch = classifierInputs()
        let logits = classifier(batch.ids, shape: batch.shape, lengths: batch.lengths)
        assertClose("lora.logits", logits, try expected.tensor("lora.logits"))
        let loss = logits.crossEntropy(targets: labels)
        assertClose("lora.loss", loss.reshape([1]), try expected.tensor("lora.loss"))
        loss.backward()
        for (name, p) in classifier.namedParameters() {
            if name.contains(".lora.") {
                assertClose("lora.grad." + name, p.grad, try expected.tensor("lora.grad." + name))
            } else {
                XCTAssertNil(p.grad, "\(name) is frozen: no gradient")
            }
        }
    }
}
