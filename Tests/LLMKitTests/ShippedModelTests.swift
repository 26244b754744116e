import Foundation
import TensorKit
import TestSupport
import XCTest
@testable import LLMKit

/// The trained model the course ships in data/shakespeare-char (chapter 14): Hugging Face's
/// GPT2LMHeadModel loads the same directory and computes the same logits and the same loss over
/// the whole validation split, it fits the size budget, and its README states that loss.
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

    /// Every layer's attention weights on chapter 6's line equal transformers' (eager attention,
    /// output_attentions; Tests/Fixtures/trained-attention/make_trained_attention.py).
    func testAttentionWeightsEqualHuggingFace() throws {
        let (model, tokenizer) = try loadGPTCheckpoint(directory, gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
        let reference = try SafeTensorsFile(contentsOf: fixtureURL("trained-attention/attention.safetensors"))
        let ids = try reference.integers("input_ids")
        XCTAssertEqual(ids.values, try tokenizer.encodeChecked(reference.metadata["line"]!))
        let attentions = try reference.tensor("attentions")                                   // (layers, heads, T, T)
        model.eval()
        withNoGrad { _ = model(ids.values, shape: ids.shape) }
        for (layer, block) in model.blocks.enumerated() {
            assertMatchesReference("layer \(layer) attention weights", block.attn.lastWeights!.select(0, 0), attentions.select(0, layer),
                                   relative: 1e-5)
        }
    }

    /// The counted baselines chapter 14 prints, on the shipped model's data: unigram and bigram
    /// with add-one smoothing over the 871 validation windows, against an independent count in
    /// Python (Tests/Fixtures/shakespeare-char/make_baselines.py); each a distribution (sums to 1).
    func testCountedBaselinesEqualAnIndependentCount() throws {
        let (_, tokenizer) = try loadGPTCheckpoint(directory, gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
        let scalars = Array(try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8).unicodeScalars)
        let cut = Int(0.9 * Double(scalars.count))
        let train = try tokenizer.encodeChecked(String(String.UnicodeScalarView(scalars[..<cut])))
        let validation = SlidingWindowDataset(ids: try tokenizer.encodeChecked(String(String.UnicodeScalarView(scalars[cut...]))),
                                              maxLength: 128, stride: 128)
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("shakespeare-char/baselines.json")))
                                      as? [String: Double])
        let unigram = CountedNGram(order: 1, training: train, vocabularySize: 65)
        let bigram = CountedNGram(order: 2, training: train, vocabularySize: 65)
        XCTAssertEqual(unigram.meanLoss(on: validation), try XCTUnwrap(reference["unigram"]), accuracy: 1e-9)
        XCTAssertEqual(bigram.meanLoss(on: validation), try XCTUnwrap(reference["bigram"]), accuracy: 1e-9)
        for previous in [0, 1, 43, 64] {
            XCTAssertEqual((0..<65).reduce(0.0) { $0 + bigram.probability(of: $1, after: previous) }, 1, accuracy: 1e-12)
        }
        XCTAssertEqual((0..<65).reduce(0.0) { $0 + unigram.probability(of: $1, after: 0) }, 1, accuracy: 1e-12)
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("Chapters/Chapter14_PreTrainingLoop/README.md"), encoding: .utf8)
        for figure in [String(format: "%.4f", reference["bigram"]!), String(format: "%.4f", reference["unigram"]!)] {
            XCTAssertTrue(readme.contains(figure), "the chapter README states \(figure)")
        }
    }

    func testFitsTheSizeBudget() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let bytes = try files.reduce(0) { total, name in
            total + ((try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)[.size] as? Int) ?? 0)
        }
        XCTAssertLessThanOrEqual(bytes, 20_000_000, "the shipped checkpoint must stay within 20 MB")
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: directory.appendingPathComponent("training.json")))
        XCTAssertEqual(state.evaluations.last?.step, state.settings.steps, "trained to the end of its schedule")
    }

    /// The headline figure: the loss over the *whole* validation split (chapter 14's 871 windows
    /// of 128 characters), computed by the course's `Trainer.meanLoss`, equals Hugging Face's
    /// (Tests/Fixtures/shakespeare-char/make_full_split_loss.py), window by window and in the
    /// mean; so does the mean of the first 640 windows, all the training log ever measured. The
    /// chapter's README states both, each for what it is.
    func testWholeValidationSplitLossEqualsHuggingFaceAndTheReadme() throws {
        let (model, tokenizer) = try loadGPTCheckpoint(directory, gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
        let scalars = Array(try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8).unicodeScalars)
        let cut = Int(0.9 * Double(scalars.count))
        let validationIDs = try tokenizer.encodeChecked(String(String.UnicodeScalarView(scalars[cut...])))
        let validation = SlidingWindowDataset(ids: validationIDs, maxLength: 128, stride: 128)
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("shakespeare-char/full_split_loss.json")))
                                      as? [String: Any])
        XCTAssertEqual(validation.count, reference["windows"] as? Int)
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: directory.appendingPathComponent("training.json")))
        let trainer = Trainer(model: model, dropoutGenerator: TorchGenerator(seed: 0), trainData: validation, validationData: validation,
                              settings: state.settings)
        let perWindow = try XCTUnwrap(reference["validation_window_losses"] as? [Double])
        for window in [0, 1, 639, 640, 870] {
            XCTAssertEqual(Double(trainer.meanLoss(validation, windows: [window])), perWindow[window], accuracy: 1e-4, "window \(window)")
        }
        // the split in its two parts (one pass over the 871 windows): meanLoss weighs windows alike,
        // so the whole split's mean is their window-weighted mean (TrainingTests checks that rule)
        let first640 = trainer.meanLoss(validation, windows: Array(0..<640))
        let rest = trainer.meanLoss(validation, windows: Array(640..<validation.count))
        XCTAssertEqual(Double(first640), try XCTUnwrap(reference["first_640_windows"] as? Double), accuracy: 1e-4)
        XCTAssertEqual(Double(rest), try XCTUnwrap(reference["last_windows"] as? Double), accuracy: 1e-4)
        let whole = (640 * first640 + Float(validation.count - 640) * rest) / Float(validation.count)
        XCTAssertEqual(Double(whole), try XCTUnwrap(reference["validation_loss"] as? Double), accuracy: 1e-4)
        // the training log's last evaluation read exactly those first 640 windows
        XCTAssertEqual(state.settings.evalBatches.map { $0 * state.settings.batchSize }, 640)
        XCTAssertEqual(Double(try XCTUnwrap(state.evaluations.last).validationLoss), Double(first640), accuracy: 2e-3)

        let readme = try String(contentsOf: packageRoot.appendingPathComponent("Chapters/Chapter14_PreTrainingLoop/README.md"), encoding: .utf8)
        for figure in [String(format: "%.4f", whole), String(format: "%.3f", first640),
                       String(format: "%.2f", (reference["last_windows"] as? Double) ?? 0),
                       String(format: "%.4f", (reference["train_loss"] as? Double) ?? 0)] {
            XCTAssertTrue(readme.contains(figure), "the chapter README states \(figure)")
        }
    }
}
