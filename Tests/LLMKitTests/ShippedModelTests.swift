import Foundation
import TensorKit
import TestSupport
import XCTest
@testable import LLMKit

/// The trained model the course ships in data/shakespeare-char (chapter 14): Hugging Face's
/// GPT2LMHeadModel loads the same directory and computes the same logits, it fits the size
/// budget, and its README states the validation loss its training.json records.
final class ShippedModelTests: XCTestCase {
    let directory = dataDirectory.appendingPathComponent("shakespeare-char")

    func testLogitsEqualHuggingFaceOnTheSameDirectory() throws {
        let (model, tokenizer) = try loadGPTCheckpoint(directory, gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
        let reference = try SafeTensorsFile(contentsOf: fixtureURL("shakespeare-char/reference.safetensors"))
        let ids = try reference.integers("input_ids")
        XCTAssertEqual(ids.values, try tokenizer.encodeChecked(reference.metadata["prompt"]!), "the tokenizer's ids are Hugging Face's input")
        let logits = withNoGrad { model(ids.values, shape: ids.shape) }             // (1, T, 65)
        assertMatchesReference("shakespeare-char logits vs transformers", logits, try reference.tensor("logits"), relative: 1e-5)
    }

    func testFitsTheSizeBudgetAndTheReadmeStatesItsLoss() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let bytes = try files.reduce(0) { total, name in
            total + ((try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.size] as? Int) ?? 0)
        }
        XCTAssertLessThanOrEqual(bytes, 20_000_000, "the shipped checkpoint must stay within 20 MB")
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: directory.appendingPathComponent("training.json")))
        let last = try XCTUnwrap(state.evaluations.last)
        XCTAssertEqual(last.step, state.settings.steps, "trained to the end of its schedule")
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("Chapters/Chapter14_PreTrainingLoop/README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("validation loss \(String(format: "%.3f", last.validationLoss))"),
                      "the chapter README states the final validation loss \(last.validationLoss)")
    }
}
