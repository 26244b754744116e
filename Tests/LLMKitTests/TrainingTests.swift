import Foundation
import TensorKit
import Tokenizers
import XCTest
@testable import LLMKit

/// The pre-training loop: the schedule, learning, checkpoints and exact resumption.
final class TrainingTests: XCTestCase {
    /// A tiny character-level setup: 32 characters of text repeated, a 2-layer GPT.
    func makeTrainer(steps: Int, seed: UInt64 = 7, dropout: Float = 0.1, text: String? = nil)
        -> (Trainer, CheckpointTokenizer, DatasetDescription) {
        let corpus = text ?? String(repeating: "the cat sat on the mat. a dog ran. ", count: 12)
        let tokenizer = CharTokenizer(training: corpus)
        let ids = tokenizer.encode(corpus)
        let cut = ids.count * 9 / 10
        let config = GPTConfig(vocabSize: tokenizer.vocabularySize, contextLength: 16, embeddingDim: 16, numHeads: 2,
                               numLayers: 2, dropRate: dropout, qkvBias: false, tiedHead: true)
        let generator = TorchGenerator(seed: seed)
        let model = GPTModel(config, generator: generator)
        model.initializeLikeGPT2(generator: generator)
        let settings = TrainingSettings(batchSize: 4, steps: steps, learningRate: 1e-2, warmupSteps: 2,
                                        evalEvery: 3, evalBatches: 2, seed: seed)
        let trainer = Trainer(model: model, dropoutGenerator: generator,
                              trainData: SlidingWindowDataset(ids: Array(ids[..<cut]), maxLength: 16, stride: 8),
                              validationData: SlidingWindowDataset(ids: Array(ids[cut...]), maxLength: 16, stride: 16),
                              settings: settings)
        return (trainer, .char(tokenizer), DatasetDescription(name: "cats", ids: ids, trainFraction: 0.9))
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("training-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testLearningRateScheduleWarmsUpThenDecaysAlongACosine() {
        let s = TrainingSettings(batchSize: 8, steps: 101, learningRate: 1e-3, minLearningRate: 1e-4, warmupSteps: 10)
        XCTAssertEqual(s.learningRate(at: 0), 1e-4, accuracy: 1e-9)
        XCTAssertEqual(s.learningRate(at: 4), 5e-4, accuracy: 1e-9)
        XCTAssertEqual(s.learningRate(at: 9), 1e-3, accuracy: 1e-9)
        XCTAssertEqual(s.learningRate(at: 10), 1e-3, accuracy: 1e-9)          // cosine starts at the peak
        XCTAssertEqual(s.learningRate(at: 55), 5.5e-4, accuracy: 1e-8)        // halfway: the mean of peak and floor
        XCTAssertEqual(s.learningRate(at: 100), 1e-4, accuracy: 1e-9)         // the last step reaches the floor
        var constant = s
        constant.cosineDecay = false
        XCTAssertEqual(constant.learningRate(at: 80), 1e-3)
    }

    func testWeightDecaySkipsBiasesAndNormWeights() {
        let (trainer, _, _) = makeTrainer(steps: 1)
        let groups = trainer.optimizer.groups
        XCTAssertEqual(groups.count, 2)
        XCTAssertEqual(groups[0].weightDecay, 0.1)
        XCTAssertEqual(groups[1].weightDecay, 0)
        XCTAssertTrue(groups[0].parameters.allSatisfy { $0.tensor.rank == 2 })
        XCTAssertTrue(groups[1].parameters.map(\.name).contains("h.0.ln_1.weight"))
        XCTAssertTrue(groups[1].parameters.map(\.name).contains("h.1.mlp.c_fc.bias"))
    }

    func testGPT2InitialisationGivesTheUniformLossAtFirst() {
        let (trainer, _, _) = makeTrainer(steps: 1)
        let vocabulary = Float(trainer.model.config.vocabSize)
        XCTAssertEqual(trainer.meanLoss(trainer.trainData), Foundation.log(vocabulary), accuracy: 0.05)
    }

    /// An evaluation reads a seeded random sample spread over the whole split — not its first
    /// batches — the same sample for the same step (so a resumed run evaluates alike), another
    /// at the next evaluation; over many evaluations every window is read, each about equally
    /// often. A split smaller than the sample is read whole.
    func testEvaluationSamplesTheWholeSplit() {
        let (trainer, _, _) = makeTrainer(steps: 1)
        let data = trainer.trainData
        XCTAssertEqual(data.count, 46)
        let atThree = trainer.evaluationWindows(data, split: .train, step: 3)
        XCTAssertEqual(atThree.count, 2 * 4, "evalBatches × batchSize windows")
        XCTAssertEqual(Set(atThree).count, atThree.count, "without replacement")
        XCTAssertTrue(atThree.allSatisfy { (0..<data.count).contains($0) })
        XCTAssertEqual(trainer.evaluationWindows(data, split: .train, step: 3), atThree)
        XCTAssertNotEqual(trainer.evaluationWindows(data, split: .train, step: 6), atThree)
        XCTAssertNotEqual(trainer.evaluationWindows(data, split: .validation, step: 3), atThree)
        var reads = [Int](repeating: 0, count: data.count)
        for step in 1...2000 { for w in trainer.evaluationWindows(data, split: .train, step: step) { reads[w] += 1 } }
        let expected = 2000.0 * 8 / 46                                       // 347.8 reads per window
        XCTAssertTrue(reads.allSatisfy { abs(Double($0) - expected) < 0.25 * expected }, "\(reads)")
        XCTAssertEqual(trainer.evaluationWindows(trainer.validationData, split: .validation, step: 3),
                       Array(0..<trainer.validationData.count), "a split smaller than the sample is read whole")
    }

    /// `meanLoss` is the mean over windows (and so over tokens): a last, smaller batch weighs
    /// what its windows weigh. Checked against each window's own loss, averaged here.
    func testMeanLossWeighsEveryWindowAlike() {
        let (trainer, _, _) = makeTrainer(steps: 1)
        let windows = [0, 5, 9, 13, 21]                                       // one batch of 4, one of 1
        let single = windows.map { Double(trainer.meanLoss(trainer.trainData, windows: [$0])) }
        XCTAssertEqual(Double(trainer.meanLoss(trainer.trainData, windows: windows)), single.reduce(0, +) / 5, accuracy: 1e-5)
        let batchMeans = (Double(trainer.meanLoss(trainer.trainData, windows: Array(windows.prefix(4)))) + single[4]) / 2
        XCTAssertNotEqual(Double(trainer.meanLoss(trainer.trainData, windows: windows)), batchMeans, accuracy: 1e-4,
                          "not the mean of batch means")
    }

    func testLossFallsWhenOverfittingATinyText() {
        let (trainer, _, _) = makeTrainer(steps: 150, dropout: 0)
        let before = trainer.meanLoss(trainer.trainData)
        for _ in 0..<150 { trainer.trainStep() }
        let after = trainer.meanLoss(trainer.trainData)
        XCTAssertGreaterThan(before, 2.5)
        XCTAssertLessThan(after, 0.6, "a 2-layer GPT should nearly memorise 12 copies of one sentence in 150 steps (loss \(before) → \(after))")
        XCTAssertEqual(trainer.losses.count, 150)
        XCTAssertEqual(trainer.position.epoch, (150 - 1) / trainer.batchesPerEpoch)
    }

    func testResumedRunEqualsTheUninterruptedRun() throws {
        let steps = 10
        let (uninterrupted, _, _) = makeTrainer(steps: steps)
        for _ in 0..<steps {
            uninterrupted.trainStep()
            if uninterrupted.isEvaluationStep { uninterrupted.evaluate() }
        }

        let (first, tokenizer, dataset) = makeTrainer(steps: steps)
        for _ in 0..<4 {
            first.trainStep()
            if first.isEvaluationStep { first.evaluate() }
        }
        let directory = try temporaryDirectory().appendingPathComponent("checkpoint")
        try first.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        let resumed = try Trainer.resume(from: directory, trainData: first.trainData, validationData: first.validationData,
                                         dataset: dataset)
        XCTAssertEqual(resumed.step, 4)
        XCTAssertEqual(resumed.position, first.position)
        while resumed.step < steps {
            resumed.trainStep()
            if resumed.isEvaluationStep { resumed.evaluate() }
        }
        XCTAssertEqual(resumed.losses, uninterrupted.losses, "every batch loss, bit for bit")
        XCTAssertEqual(resumed.evaluations, uninterrupted.evaluations)
        for ((name, a), (_, b)) in zip(resumed.model.namedParameters(), uninterrupted.model.namedParameters()) {
            XCTAssertEqual(a.data, b.data, name)
        }
    }

    func testACheckpointIsAHuggingFaceGPT2Directory() throws {
        let (trainer, tokenizer, dataset) = makeTrainer(steps: 2)
        trainer.trainStep()
        let directory = try temporaryDirectory().appendingPathComponent("checkpoint")
        try trainer.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        XCTAssertEqual(names, ["config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "training.json"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path + ".partial"))

        let file = try SafeTensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(file.info("transformer.h.0.attn.c_attn.weight")?.shape, [16, 48])   // Conv1D: (in, out)
        XCTAssertEqual(try file.tensor("transformer.h.0.attn.c_attn.bias").data, [Float](repeating: 0, count: 48))
        XCTAssertNil(file.info("lm_head.weight"))                                          // tied

        let loaded = try GPTModel.load(huggingFace: directory)
        XCTAssertEqual(loaded.config, trainer.model.config)
        let ids = Array(trainer.trainData[0].input)
        trainer.model.eval()
        let expected = withNoGrad { trainer.model(ids, shape: [1, 16]) }
        let got = withNoGrad { loaded(ids, shape: [1, 16]) }
        XCTAssertEqual(got.data, expected.data)
        guard case .char(let chars) = try CheckpointTokenizer.load(from: directory, gpt2Files: directory) else {
            return XCTFail("tokenizer.json should say char")
        }
        XCTAssertEqual(chars.characters, (tokenizer.tokenizer as! CharTokenizer).characters)
    }

    func testSavingTwiceReplacesTheCheckpoint() throws {
        let (trainer, tokenizer, dataset) = makeTrainer(steps: 3)
        let directory = try temporaryDirectory().appendingPathComponent("checkpoint")
        trainer.trainStep()
        try trainer.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        trainer.trainStep()
        try trainer.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        let state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: directory.appendingPathComponent("training.json")))
        XCTAssertEqual(state.step, 2)
        let siblings = try FileManager.default.contentsOfDirectory(atPath: directory.deletingLastPathComponent().path)
        XCTAssertEqual(siblings, ["checkpoint"], "no .partial or .previous left behind")
    }

    /// A save killed between its two renames (the old checkpoint moved aside to
    /// checkpoint.previous, the new one not yet renamed from checkpoint.partial) leaves no
    /// checkpoint/: the old one is the last complete checkpoint, resuming reads it, and the next
    /// save puts everything right.
    func testASaveKilledBetweenItsRenamesLeavesThePreviousCheckpoint() throws {
        let (trainer, tokenizer, dataset) = makeTrainer(steps: 4)
        let parent = try temporaryDirectory()
        let directory = parent.appendingPathComponent("checkpoint")
        let previous = parent.appendingPathComponent("checkpoint.previous"), partial = parent.appendingPathComponent("checkpoint.partial")
        trainer.trainStep()
        try trainer.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)            // step 1, complete
        // the state such a kill leaves: the step-1 checkpoint aside, a step-2 one half-written
        try FileManager.default.moveItem(at: directory, to: previous)
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try Data("{\"step\": 2".utf8).write(to: partial.appendingPathComponent("training.json"))
        XCTAssertEqual(lastCompleteCheckpoint(directory).path, previous.path)
        let resumed = try Trainer.resume(from: lastCompleteCheckpoint(directory), trainData: trainer.trainData,
                                         validationData: trainer.validationData, dataset: dataset)
        XCTAssertEqual(resumed.step, 1)
        XCTAssertEqual(resumed.losses, trainer.losses)
        // the next save restores the old one first, then replaces it
        resumed.trainStep()
        try resumed.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        XCTAssertEqual(lastCompleteCheckpoint(directory).path, directory.path)
        XCTAssertEqual(try TrainingState.load(from: directory.appendingPathComponent("training.json")).step, 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["checkpoint"], "no .partial or .previous left")
    }

    /// A training.json whose values a run cannot continue from is refused, naming the file and
    /// the value, before any model is made.
    func testResumeRefusesImpossibleTrainingStates() throws {
        let (trainer, tokenizer, dataset) = makeTrainer(steps: 4)
        let directory = try temporaryDirectory().appendingPathComponent("checkpoint")
        trainer.trainStep()
        try trainer.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        let url = directory.appendingPathComponent("training.json")
        let saved = try TrainingState.load(from: url)
        let cases: [(String, (inout TrainingState) -> Void)] = [
            ("holds 0 batch losses at step 1", { $0.losses = [] }),
            ("its batch size 0 is not positive", { $0.settings.batchSize = 0 }),
            ("it evaluates every 0 steps", { $0.settings.evalEvery = 0 }),
            ("its data position (epoch -1,", { $0.position.epoch = -1 }),
            ("its dropout generator has 623 words", { $0.dropoutGenerator.words.removeLast() }),
            ("the model's number of heads is 0", { $0.model.numHeads = 0 }),
            ("the model's dropout rate 1.0 is not in [0, 1)", { $0.model.dropRate = 1 }),
            ("describes another model than config.json", { $0.model.embeddingDim = 32 }),
            ("has batches of 1000 windows, more than the", { $0.settings.batchSize = 1000 }),
        ]
        for (message, change) in cases {
            var state = saved
            change(&state)
            try JSONEncoder().encode(state).write(to: url)
            XCTAssertThrowsError(try Trainer.resume(from: directory, trainData: trainer.trainData,
                                                    validationData: trainer.validationData, dataset: dataset)) { error in
                XCTAssertTrue("\(error)".hasPrefix(url.path + ": "), "names training.json: \(error)")
                XCTAssertTrue("\(error)".contains(message), "\(message): \(error)")
            }
        }
    }

    func testResumeRejectsABadOrMismatchedCheckpoint() throws {
        let (trainer, tokenizer, dataset) = makeTrainer(steps: 3)
        let directory = try temporaryDirectory().appendingPathComponent("checkpoint")
        try trainer.saveCheckpoint(to: directory, tokenizer: tokenizer, dataset: dataset)
        func resume(_ description: DatasetDescription = dataset) throws -> Trainer {
            try Trainer.resume(from: directory, trainData: trainer.trainData, validationData: trainer.validationData, dataset: description)
        }
        // another text
        let other = DatasetDescription(name: "dogs", ids: [1, 2, 3], trainFraction: 0.9)
        XCTAssertThrowsError(try resume(other)) { XCTAssertTrue("\($0)".contains("was trained on cats"), "\($0)") }
        // a truncated optimiser state
        let optimizer = directory.appendingPathComponent("optimizer.safetensors")
        let bytes = try Data(contentsOf: optimizer)
        try bytes.prefix(bytes.count / 2).write(to: optimizer)
        XCTAssertThrowsError(try resume()) { XCTAssertTrue("\($0)".contains("optimizer.safetensors"), "\($0)") }
        // weights only
        try FileManager.default.removeItem(at: optimizer)
        XCTAssertThrowsError(try resume()) { XCTAssertTrue("\($0)".contains("--init-from"), "\($0)") }
        // not a training state
        try Data("{\"step\": 3}".utf8).write(to: directory.appendingPathComponent("training.json"))
        XCTAssertThrowsError(try resume()) { XCTAssertTrue("\($0)".contains("training.json: is not a valid training state"), "\($0)") }
        // not a checkpoint at all
        XCTAssertThrowsError(try Trainer.resume(from: directory.deletingLastPathComponent(), trainData: trainer.trainData,
                                                validationData: trainer.validationData, dataset: dataset)) {
            XCTAssertTrue("\($0)".contains("training.json: not found"), "\($0)")
        }
    }

    func testNearestNeighboursAndPrincipalComponents() {
        // Rows 0 and 2 point the same way; row 1 is orthogonal; row 3 is opposite to row 0.
        let table = Tensor(shape: [4, 2], data: [1, 0, 0, 1, 2, 0.1, -1, 0])
        let near = nearestNeighbours(of: 0, in: table, k: 3)
        XCTAssertEqual(near.map(\.row), [2, 1, 3])
        XCTAssertEqual(near[0].similarity, Float(2 / (4.01 as Double).squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(near[2].similarity, -1, accuracy: 1e-6)
        // Points along the line y = 2x: all variance on the first component, none on the second.
        let line = Tensor(shape: [3, 2], data: [-1, -2, 0, 0, 1, 2])
        let pc = principalComponents(line, count: 2)
        let s5 = Float(5.0.squareRoot())
        XCTAssertEqual(pc.data[0], -s5, accuracy: 1e-5)
        XCTAssertEqual(pc.data[4], s5, accuracy: 1e-5)
        for r in 0..<3 { XCTAssertEqual(pc.data[2 * r + 1], 0, accuracy: 1e-5) }
    }

    // MARK: - Storage reuse (BufferPool)

    /// A trainer big enough that its activations, attention blocks and dropout masks are all
    /// at least `BufferPool.minimumCount` floats, with dropout and gradient clipping on.
    func makePooledTrainer() -> Trainer {
        let corpus = String(repeating: "the cat sat on the mat. a dog ran. ", count: 40)
        let tokenizer = CharTokenizer(training: corpus)
        let ids = tokenizer.encode(corpus)
        let config = GPTConfig(vocabSize: tokenizer.vocabularySize, contextLength: 32, embeddingDim: 32, numHeads: 2,
                               numLayers: 2, dropRate: 0.1, qkvBias: true, tiedHead: true)
        let generator = TorchGenerator(seed: 3)
        let model = GPTModel(config, generator: generator)
        var settings = TrainingSettings(batchSize: 4, steps: 20, learningRate: 1e-2, warmupSteps: 2, evalEvery: 100, seed: 3)
        settings.gradientClip = 1
        return Trainer(model: model, dropoutGenerator: generator,
                       trainData: SlidingWindowDataset(ids: ids, maxLength: 32, stride: 16),
                       validationData: SlidingWindowDataset(ids: ids, maxLength: 32, stride: 32), settings: settings)
    }

    func testATrainingStepOnceWarmTakesEveryBufferFromDeadTensors() {
        // On one thread, so that kernels' scratch memory is needed one block at a time in every
        // step (with more threads, how many blocks are in use at once varies from step to step
        // until the pool has seen the most; the benchmark reports that case, after many steps).
        let threads = TensorKitConfig.threadCount
        TensorKitConfig.threadCount = 1
        defer { TensorKitConfig.threadCount = threads }
        BufferPool.removeAll()
        let trainer = makePooledTrainer()
        for _ in 0..<2 { trainer.trainStep() }
        BufferPool.resetStatistics()
        for _ in 0..<3 { trainer.trainStep() }
        let stats = BufferPool.statistics
        XCTAssertEqual(stats.fresh, 0, "no buffer of 4 KB or more came from the allocator")
        XCTAssertGreaterThan(stats.reused, 3 * 40, "every activation, gradient and scratch block was reused")
        XCTAssertEqual(stats.returned, stats.reused, "and every one came back")
    }

    func testReusedStorageGivesTheSameBitsAsFreshStorage() {
        func losses(poolBytes: Int) -> ([Float], [Float]) {
            TensorKitConfig.bufferPoolLimit = poolBytes
            defer { TensorKitConfig.bufferPoolLimit = 1 << 30 }
            BufferPool.removeAll()
            let trainer = makePooledTrainer()
            let losses = (0..<6).map { _ in trainer.trainStep() }
            return (losses, trainer.model.parameters.flatMap(\.data))
        }
        let (freshLosses, freshWeights) = losses(poolBytes: 0)
        let (pooledLosses, pooledWeights) = losses(poolBytes: 1 << 30)
        XCTAssertEqual(freshLosses.map(\.bitPattern), pooledLosses.map(\.bitPattern))
        XCTAssertTrue(freshWeights.map(\.bitPattern) == pooledWeights.map(\.bitPattern), "weights differ after 6 steps")
    }
}
