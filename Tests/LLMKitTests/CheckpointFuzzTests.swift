import Foundation
import TensorKit
import TestSupport
import Tokenizers
import XCTest
@testable import LLMKit

/// The files of a checkpoint survive any bytes: thousands of seeded mutations of each file a
/// real checkpoint holds (written by the course's trainer, or by Hugging Face for gpt2-tiny)
/// end in an `InputError` naming a file of the checkpoint, or in a model that resumes, trains
/// a step and evaluates — never a crash, a hang or a model of whatever size the file claims.
final class CheckpointFuzzTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try fuzzScratchDirectory("checkpoint-fuzz")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A tiny character-level run, 3 steps in, saved to `directory/checkpoint`, and what
    /// resuming it needs.
    func savedRun() throws -> (checkpoint: URL, train: SlidingWindowDataset, validation: SlidingWindowDataset, dataset: DatasetDescription) {
        let corpus = String(repeating: "the cat sat on the mat. a dog ran. ", count: 8)
        let tokenizer = CharTokenizer(training: corpus)
        let ids = tokenizer.encode(corpus), cut = ids.count * 9 / 10
        let config = GPTConfig(vocabSize: tokenizer.vocabularySize, contextLength: 8, embeddingDim: 8, numHeads: 2,
                               numLayers: 1, dropRate: 0.1, qkvBias: false, tiedHead: true)
        let generator = TorchGenerator(seed: 3)
        let model = GPTModel(config, generator: generator)
        let train = SlidingWindowDataset(ids: Array(ids[..<cut]), maxLength: 8, stride: 8)
        let validation = SlidingWindowDataset(ids: Array(ids[cut...]), maxLength: 8, stride: 8)
        let trainer = Trainer(model: model, dropoutGenerator: generator, trainData: train, validationData: validation,
                              settings: TrainingSettings(batchSize: 4, steps: 10, learningRate: 1e-2, warmupSteps: 2,
                                                         evalEvery: 2, evalBatches: 1, seed: 3))
        for _ in 0..<3 { trainer.trainStep() }
        trainer.evaluate()
        let checkpoint = directory.appendingPathComponent("checkpoint")
        let dataset = DatasetDescription(name: "cats", ids: ids, trainFraction: 0.9)
        try trainer.saveCheckpoint(to: checkpoint, tokenizer: .char(tokenizer), dataset: dataset)
        return (checkpoint, train, validation, dataset)
    }

    /// An `InputError` (or a safetensors or tokenizer error) that names a file inside `checkpoint`.
    func namesAFile(in checkpoint: URL) -> (Error) -> Bool {
        { error in
            let path = (error as? InputError)?.path ?? (error as? SafeTensorsError)?.path ?? (error as? TokenizerError)?.source
            return path.map { $0.hasPrefix(checkpoint.path + "/") } ?? false
        }
    }

    /// Mutates `file` of a saved run and resumes it each time; a resumed run must train a step
    /// and evaluate.
    func fuzzResume(_ file: String, cases: Int, seed: UInt64, tokens: [String], hotOffsets: [Int] = []) throws -> FuzzOutcome {
        let run = try savedRun()
        let url = run.checkpoint.appendingPathComponent(file)
        return fuzz(file, original: [UInt8](try Data(contentsOf: url)), at: url, cases: cases, seed: seed, tokens: tokens,
                    hotOffsets: hotOffsets, parse: { _ in
                        let trainer = try Trainer.resume(from: run.checkpoint, trainData: run.train, validationData: run.validation,
                                                         dataset: run.dataset)
                        trainer.trainStep()
                        trainer.evaluate()
                    }, isExpected: namesAFile(in: run.checkpoint))
    }

    // MARK: - training.json and the optimiser's state

    func testTrainingJSON() throws {
        let tokens = Mutator.jsonTokens + ["\"step\"", "\"batchSize\"", "\"epoch\"", "\"position\"", "\"words\"", "\"losses\"",
                                           "\"evalEvery\"", "\"numHeads\"", "\"dropRate\"", "0.5", "1.0", "null"]
        let outcome = try fuzzResume("training.json", cases: 1500, seed: 21, tokens: tokens)
        XCTAssertGreaterThan(outcome.refused, 500)
        XCTAssertGreaterThan(outcome.parsed, 10, "changes to what the run does not check (a loss, a learning rate) still resume")
    }

    func testOptimizerState() throws {
        let outcome = try fuzzResume("optimizer.safetensors", cases: 1000, seed: 22, tokens: SafeTensorsFuzzTokens.all,
                                     hotOffsets: Array(0..<8))
        XCTAssertGreaterThan(outcome.refused, 200)
    }

    // MARK: - config.json

    /// The course's own config.json (with its course_config), resumed.
    func testCourseConfigJSON() throws {
        let tokens = Mutator.jsonTokens + ["\"n_embd\"", "\"n_head\"", "\"vocab_size\"", "\"course_config\"", "\"embeddingDim\"",
                                           "\"numHeads\"", "\"contextLength\"", "\"dropRate\"", "\"gelu\"", "0.5", "true", "false"]
        let outcome = try fuzzResume("config.json", cases: 1000, seed: 23, tokens: tokens)
        XCTAssertGreaterThan(outcome.refused, 300)
    }

    /// Hugging Face's config.json of gpt2-tiny, loaded as chapters 11–13 load a model, then run.
    func testHuggingFaceConfigJSON() throws {
        let model = directory.appendingPathComponent("gpt2-tiny")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixtureURL("gpt2-tiny/model.safetensors"), to: model.appendingPathComponent("model.safetensors"))
        let url = model.appendingPathComponent("config.json")
        let tokens = Mutator.jsonTokens + ["\"n_embd\"", "\"n_head\"", "\"n_layer\"", "\"vocab_size\"", "\"n_positions\"",
                                           "\"activation_function\"", "\"gelu\"", "\"relu\"", "\"tie_word_embeddings\"", "false", "0.5"]
        let outcome = fuzz("gpt2-tiny config.json", original: [UInt8](try Data(contentsOf: fixtureURL("gpt2-tiny/config.json"))), at: url,
                           cases: 1000, seed: 24, tokens: tokens, parse: { _ in
                               let gpt = try GPTModel.load(huggingFace: model)
                               _ = withNoGrad { gpt([1, 2, 3], shape: [1, 3]) }
                           }, isExpected: namesAFile(in: model))
        XCTAssertGreaterThan(outcome.refused, 300)
    }

    /// The config.json of each other architecture the course reads (chapter 11's `forward`),
    /// loaded through `LoadedModel` and run on three tokens.
    func testOtherArchitecturesConfigJSON() throws {
        let tokens = Mutator.jsonTokens + ["\"hidden_size\"", "\"num_attention_heads\"", "\"num_key_value_heads\"", "\"head_dim\"",
                                           "\"intermediate_size\"", "\"num_hidden_layers\"", "\"vocab_size\"", "\"d_model\"",
                                           "\"num_local_experts\"", "\"num_experts_per_tok\"", "\"max_position_embeddings\"", "0.5", "null"]
        for (k, fixture) in ["llama-tiny", "mixtral-tiny", "marian-tiny", "bert-tiny"].enumerated() {
            let model = directory.appendingPathComponent(fixture)
            try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixtureURL("\(fixture)/model.safetensors"), to: model.appendingPathComponent("model.safetensors"))
            let url = model.appendingPathComponent("config.json")
            let outcome = fuzz("\(fixture) config.json", original: [UInt8](try Data(contentsOf: fixtureURL("\(fixture)/config.json"))), at: url,
                               cases: 500, seed: 26 + UInt64(k), tokens: tokens, parse: { _ in
                                   let loaded = try LoadedModel.load(huggingFace: model)
                                   _ = try loaded.forward([1, 2, 3], shape: [1, 3], decoderIDs: (shape: [1, 2], values: [0, 1]))
                               }, isExpected: { error in
                                   // a model of fewer than 3 positions refuses the 3 tokens: the input's fault, not the file's
                                   self.namesAFile(in: model)(error) || ["input_ids", "decoder_input_ids"].contains((error as? InputError)?.path)
                               })
            XCTAssertGreaterThan(outcome.refused, 100)
        }
    }

    // MARK: - tokenizer.json of a course checkpoint

    func testCheckpointTokenizerJSON() throws {
        let run = try savedRun()
        let url = run.checkpoint.appendingPathComponent("tokenizer.json")
        let outcome = fuzz("tokenizer.json (course checkpoint)", original: [UInt8](try Data(contentsOf: url)), at: url, cases: 1000, seed: 25,
                           tokens: Mutator.jsonTokens + ["\"type\"", "\"char\"", "\"bpe\"", "\"characters\"", "\"ab\"", "\"\\n\""],
                           parse: { _ in
                               let (model, tokenizer) = try loadGPTCheckpoint(run.checkpoint, gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
                               // a character the damaged list lacks is the input's fault, not the file's
                               if let ids = try? tokenizer.encodeChecked("the cat"), !ids.isEmpty {
                                   _ = withNoGrad { model(ids, shape: [1, ids.count]) }
                               }
                           }, isExpected: namesAFile(in: run.checkpoint))
        XCTAssertGreaterThan(outcome.refused, 300)
    }
}

/// The words of a safetensors header, for mutating one.
enum SafeTensorsFuzzTokens {
    static let all = Mutator.jsonTokens + [
        "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"__metadata__\"", "\"step\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"",
        "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "[0,0]", "[-1]",
    ]
}
