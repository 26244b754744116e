import Foundation
import TestSupport
import XCTest
@testable import LLMKit
import TensorKit
import Tokenizers

/// Fine-tuning's pieces against the book's printed figures and against direct computation:
/// the collate function and the masked loss (chapter 7), classifying from the last real token
/// (chapter 6), freezing, LoRA's merge and saved adapters (appendix E), and the data.
final class FineTuningTests: XCTestCase {
    // MARK: - Chapter 7: collate and mask

    /// The book prints these two tensors for custom_collate_fn on [0..4], [5, 6], [7, 8, 9].
    func testCollateEqualsTheBook() {
        let batch = collateInstructions([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]], padID: 50256)
        XCTAssertEqual(batch.shape, [3, 5])
        XCTAssertEqual(batch.rows(batch.inputs), [[0, 1, 2, 3, 4], [5, 6, 50256, 50256, 50256], [7, 8, 9, 50256, 50256]])
        XCTAssertEqual(batch.rows(batch.targets), [[1, 2, 3, 4, 50256], [6, 50256, -100, -100, -100], [8, 9, 50256, -100, -100]])
    }

    /// allowed_max_length cuts inputs and targets alike, after masking.
    func testCollateTruncates() {
        let batch = collateInstructions([[0, 1, 2, 3, 4], [5, 6]], padID: 9, allowedMaxLength: 3)
        XCTAssertEqual(batch.shape, [2, 3])
        XCTAssertEqual(batch.rows(batch.inputs), [[0, 1, 2], [5, 6, 9]])
        XCTAssertEqual(batch.rows(batch.targets), [[1, 2, 3], [6, 9, -100]])
    }

    /// The book's three cross-entropy values (section 7.3): 1.1269, 0.7936, and 1.1269 again
    /// when the third target is −100 — exactly equal to the first.
    func testMaskedCrossEntropyEqualsTheBook() {
        let logits1 = Tensor([[-1.0, 1.0], [-0.5, 1.5]])
        let logits2 = Tensor([[-1.0, 1.0], [-0.5, 1.5], [-0.5, 1.5]])
        let loss1 = logits1.crossEntropy(targets: [0, 1]).item
        let loss2 = logits2.crossEntropy(targets: [0, 1, 1]).item
        let loss3 = logits2.crossEntropy(targets: [0, 1, -100]).item
        XCTAssertEqual(String(format: "%.4f", loss1), "1.1269")
        XCTAssertEqual(String(format: "%.4f", loss2), "0.7936")
        XCTAssertEqual(loss1, loss3, "loss_1 == loss_3: tensor(True)")
        // and by hand: mean of −log softmax at the targets
        func nll(_ row: [Double], _ t: Int) -> Double { log(row.map(exp).reduce(0, +)) - row[t] }
        XCTAssertEqual(Double(loss1), (nll([-1, 1], 0) + nll([-0.5, 1.5], 1)) / 2, accuracy: 1e-6)
    }

    // MARK: - Data

    func testInstructionDataSplitAndFormatAsTheBook() throws {
        let examples = try InstructionExample.load(dataDirectory.appendingPathComponent("instruction-data.json"))
        XCTAssertEqual(examples.count, 1100)
        let (train, validation, test) = splitInstructions(examples)
        XCTAssertEqual([train.count, validation.count, test.count], [935, 55, 110])
        XCTAssertEqual(test[0].instruction, "Rewrite the sentence using a simile.", "the book's first test entry")
        XCTAssertEqual(validation[0].instruction, "Convert the active sentence to passive: 'The chef cooks the meal every day.'")
        XCTAssertEqual(AlpacaFormat.text(examples[50]), """
        Below is an instruction that describes a task. Write a response that appropriately completes the request.

        ### Instruction:
        Identify the correct spelling of the following word.

        ### Input:
        Ocassion

        ### Response:
        The correct spelling is 'Occasion.'
        """)
        XCTAssertEqual(AlpacaFormat.prompt(examples[999]), """
        Below is an instruction that describes a task. Write a response that appropriately completes the request.

        ### Instruction:
        What is an antonym of 'complicated'?
        """, "no input: no Input section")
    }

    func testSpeakerPassagesAndBalancedSplits() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        XCTAssertEqual(SpeakerLines.mostFrequentSpeakers(in: text, count: 2).map(\.speaker), ["GLOUCESTER", "DUKE VINCENTIO"])
        XCTAssertEqual(SpeakerLines.speeches(in: "ROMEO:\nBut soft!\nWhat light?\n\nJULIET:\nAy me!\n").map(\.speaker), ["ROMEO", "JULIET"])
        let passages = SpeakerLines.passages(in: text, classes: [["ROMEO"], ["MENENIUS"]], maxCharacters: 128)
        XCTAssertTrue(passages.allSatisfy { $0.text.unicodeScalars.count <= 128 && !$0.text.isEmpty })
        XCTAssertFalse(passages.contains { $0.text.contains("ROMEO:") }, "the speaker's name is not in the text")
        let splits = LabelledSplits(balancing: passages, classes: 2, seed: 123)
        let all = splits.train + splits.validation + splits.test
        let smaller = min(passages.filter { $0.label == 0 }.count, passages.filter { $0.label == 1 }.count)
        XCTAssertEqual(all.filter { $0.label == 0 }.count, smaller)
        XCTAssertEqual(all.filter { $0.label == 1 }.count, smaller)
        XCTAssertEqual(splits.train.count, Int(Double(all.count) * 0.7))
        XCTAssertEqual(splits.validation.count, Int(Double(all.count) * 0.1))
        XCTAssertEqual(splits, LabelledSplits(balancing: passages, classes: 2, seed: 123), "the same seed, the same splits")
        XCTAssertNotEqual(splits.train, LabelledSplits(balancing: passages, classes: 2, seed: 124).train)
    }

    // MARK: - Chapter 6: the classifier

    func tiny() throws -> GPTModel { try GPTModel.load(huggingFace: fixtureURL("gpt2-tiny")) }

    /// A text alone and the same text padded in a batch give the same logits, so the same class.
    func testPaddingDoesNotChangeTheClass() throws {
        let classifier = GPTClassifier(body: try tiny(), classes: 3, generator: TorchGenerator(seed: 1))
        classifier.eval()
        let texts = [[11, 12, 13, 14, 15, 16, 17], [21, 22], [31, 32, 33, 34]]
        let batch = PaddedBatch(texts, padID: 999)
        XCTAssertEqual(batch.shape, [3, 7])
        let padded = withNoGrad { classifier(batch.ids, shape: batch.shape, lengths: batch.lengths) }   // (3, 3)
        for (i, text) in texts.enumerated() {
            let alone = withNoGrad { classifier(text, shape: [1, text.count], lengths: [text.count]) }   // (1, 3)
            XCTAssertEqual(alone.argmax(axis: -1), [padded.argmax(axis: -1)[i]], "text \(i)")
            for c in 0..<3 { XCTAssertEqual(alone.data[c], padded.rows[i][c], accuracy: 1e-5) }
        }
        // reading the very last position instead (the book's [:, -1, :]) does depend on the padding
        let everywhere = withNoGrad { classifier.logitsAtEveryPosition(batch.ids, shape: batch.shape) }  // (3, 7, 3)
        let lastPosition = everywhere.select(1, 6).rows[1], lastReal = padded.rows[1]
        XCTAssertGreaterThan(zip(lastPosition, lastReal).map { abs($0 - $1) }.max()!, 1e-3)
    }

    /// The book's freezing: the last block, the final norm and the head train; a step of the
    /// fine-tuner changes them and nothing else, and only they have optimiser state.
    func testFrozenParametersGetNoGradientNoStateAndDoNotMove() throws {
        let classifier = GPTClassifier(body: try tiny(), classes: 2, generator: TorchGenerator(seed: 123))
        classifier.freezeForFineTuning()
        let trainable = Set(classifier.namedTrainableParameters().map(\.name))
        XCTAssertEqual(trainable, Set(classifier.namedParameters().map(\.name).filter { $0.hasPrefix("h.1.") || $0.hasPrefix("ln_f.") || $0.hasPrefix("out_head.") }))
        XCTAssertEqual(classifier.trainableParameterCount, 12_704 + 64 + 66)   // block 1, ln_f, the 32 × 2 head with bias
        let before = classifier.stateDict()
        let data = [[5, 6, 7], [8, 9], [10, 11, 12, 13]]
        let tuner = FineTuner(model: classifier, dropoutGenerator: TorchGenerator(seed: 0),
                              settings: TrainingSettings(batchSize: 2, steps: 1, learningRate: 1e-2, cosineDecay: false, gradientClip: nil),
                              counts: [.train: 3, .validation: 1]) { _, indices in
            let b = PaddedBatch(indices.map { data[$0] }, padID: 999)
            return classifier(b.ids, shape: b.shape, lengths: b.lengths).crossEntropy(targets: indices.map { $0 % 2 })
        }
        XCTAssertEqual(Set(tuner.optimizer.state().tensors.keys), Set(trainable.flatMap { ["exp_avg." + $0, "exp_avg_sq." + $0] }))
        tuner.trainStep()
        for (name, p) in classifier.namedParameters() {
            if trainable.contains(name) {
                XCTAssertNotEqual(p.data, before[name]!.data, "\(name) trains")
            } else {
                XCTAssertNil(p.grad, name)
                XCTAssertEqual(p.data, before[name]!.data, "\(name) is frozen")
            }
        }
    }

    // MARK: - Appendix E: LoRA

    func testLoRAStartsAsTheModelAndMergesToTheSameLogits() throws {
        let model = try tiny()
        model.eval()
        let ids = [3, 1, 4, 1, 5, 9, 2, 6], shape = [2, 4]
        let original = withNoGrad { model(ids, shape: shape) }
        model.freeze()
        let adapters = LoRA.apply(to: model, rank: 4, alpha: 8, generator: TorchGenerator(seed: 7))
        XCTAssertEqual(adapters.map(\.name), ["h.0.attn.c_attn", "h.0.attn.c_proj", "h.0.mlp.c_fc", "h.0.mlp.c_proj",
                                              "h.1.attn.c_attn", "h.1.attn.c_proj", "h.1.mlp.c_fc", "h.1.mlp.c_proj"],
                       "every Linear but the head tied to the embedding")
        // r·(in + out) per part: c_attn 3·4·(32+32), c_proj 4·64, c_fc 4·(32+128), mlp.c_proj 4·(128+32)
        XCTAssertEqual(model.trainableParameterCount, 2 * (768 + 256 + 640 + 640))
        XCTAssertEqual(withNoGrad { model(ids, shape: shape) }.data, original.data, "B = 0: exactly the original model")
        // give B values (as training would), then merge
        let g = TorchGenerator(seed: 9)
        var values: [String: Tensor] = [:]
        for (name, t) in LoRA.tensors(of: model) where name.contains(".B") { values[name] = g.normal(t.shape, std: 0.1) }
        try model.load(values, strict: false)
        let adapted = withNoGrad { model(ids, shape: shape) }
        XCTAssertGreaterThan(zip(adapted.data, original.data).map { abs($0 - $1) }.max()!, 1e-3, "the adapters change the output")
        LoRA.merge(model)
        XCTAssertTrue(LoRA.adapters(in: model).isEmpty)
        XCTAssertFalse(model.namedParameters().contains { $0.name.contains("lora") })
        let merged = withNoGrad { model(ids, shape: shape) }
        let scale = adapted.data.map(abs).max()!
        for (a, m) in zip(adapted.data, merged.data) { XCTAssertEqual(a, m, accuracy: 1e-5 * scale) }
    }

    func testSavedAdaptersLoadBack() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("adapter.safetensors")
        let trained = try tiny()
        trained.freeze()
        LoRA.apply(to: trained, rank: 2, alpha: 4, generator: TorchGenerator(seed: 1))
        let g = TorchGenerator(seed: 2)
        var values: [String: Tensor] = [:]
        for (name, t) in LoRA.tensors(of: trained) { values[name] = g.normal(t.shape, std: 0.2) }
        try trained.load(values, strict: false)
        try LoRA.save(trained, to: url)
        let settings = try LoRA.settings(of: url)
        XCTAssertEqual(settings.rank, 2)
        XCTAssertEqual(settings.alpha, 4)
        // a fresh model with adapters drawn from another seed, then the saved ones loaded
        let fresh = try tiny()
        fresh.freeze()
        LoRA.apply(to: fresh, rank: settings.rank, alpha: settings.alpha, generator: TorchGenerator(seed: 99))
        try LoRA.load(into: fresh, from: url)
        for (name, t) in LoRA.tensors(of: fresh) { XCTAssertEqual(t.data, values[name]!.data, name) }
        let ids = [7, 8, 9, 10]
        XCTAssertEqual(withNoGrad { fresh.evaluating { fresh(ids, shape: [1, 4]) } }.data,
                       withNoGrad { trained.evaluating { trained(ids, shape: [1, 4]) } }.data)
        // a model with adapters of another rank is refused with the file's name
        let other = try tiny()
        LoRA.apply(to: other, rank: 3, alpha: 3, generator: TorchGenerator(seed: 1))
        XCTAssertThrowsError(try LoRA.load(into: other, from: url)) { XCTAssertTrue("\($0)".contains("adapter.safetensors"), "\($0)") }
        // a checkpoint directory with adapter.safetensors loads merged (what chapter 13 generates from)
        let checkpoint = directory.appendingPathComponent("checkpoint")
        try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtureURL("gpt2-tiny/" + file), to: checkpoint.appendingPathComponent(file))
        }
        try FileManager.default.copyItem(at: url, to: checkpoint.appendingPathComponent("adapter.safetensors"))
        let loaded = try GPTModel.load(huggingFace: checkpoint)
        XCTAssertTrue(LoRA.adapters(in: loaded).isEmpty)
        let want = withNoGrad { trained.evaluating { trained(ids, shape: [1, 4]) } }
        let got = withNoGrad { loaded(ids, shape: [1, 4]) }
        for (a, b) in zip(got.data, want.data) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
    }

    /// A LoRA adapter's A is drawn as kaiming_uniform_(a=√5) on an (in, r) tensor: uniform in ±1/√r.
    func testLoRAInitialisation() {
        let layer = Linear(64, 48, generator: TorchGenerator(seed: 3))
        let lora = LoRALinear(wrapping: layer, rank: 4, alpha: 4, generator: TorchGenerator(seed: 4))
        XCTAssertEqual(lora.a[0].shape, [64, 4])
        XCTAssertEqual(lora.b[0].shape, [4, 48])
        XCTAssertTrue(lora.b[0].data.allSatisfy { $0 == 0 })
        XCTAssertTrue(lora.a[0].data.allSatisfy { abs($0) <= 0.5 })
        XCTAssertGreaterThan(lora.a[0].data.map(abs).max()!, 0.45, "spread over ±1/√4")
        XCTAssertFalse(layer.weight.requiresGrad)
        XCTAssertEqual(layer.trainableParameterCount, 4 * (64 + 48))
    }

    // MARK: - Growing a model

    /// New token rows and positions leave what the model computed for old tokens at old
    /// positions unchanged.
    func testExtendedModelKeepsItsOutputs() throws {
        let model = try GPTModel.load(huggingFace: dataDirectory.appendingPathComponent("shakespeare-char"))
        let grown = model.extended(vocabSize: 70, contextLength: 256, generator: TorchGenerator(seed: 0))
        grown.eval()
        XCTAssertEqual(grown.config.vocabSize, 70)
        XCTAssertEqual(grown.config.contextLength, 256)
        let ids = Array(0..<20)
        let old = withNoGrad { model(ids, shape: [1, 20]) }                     // (1, 20, 65)
        let new = withNoGrad { grown(ids, shape: [1, 20]) }                     // (1, 20, 70)
        for t in 0..<20 { for v in 0..<65 { XCTAssertEqual(new.data[t * 70 + v], old.data[t * 65 + v], accuracy: 1e-5) } }
        XCTAssertEqual(Array(grown.wpe.weight.data[(200 * 128)..<(201 * 128)]), Array(model.wpe.weight.data[(72 * 128)..<(73 * 128)]),
                       "position 200 starts as 200 mod 128")
        let chars = CharTokenizer(characters: Array("ab".unicodeScalars)).adding(charactersOf: "abc#")
        XCTAssertEqual(chars.characters, Array("ab".unicodeScalars) + ["\u{3}", "#", "c"])
        XCTAssertEqual(chars.endOfTextID, 2)
    }
}
