// The fine-tuning loop: the pre-training loop of Training.swift with three changes. The data
// are examples (labelled texts, instruction–response pairs) instead of windows of one long
// text; the loss is the task's (a class at one position, or next tokens outside a mask);
// and only the trainable parameters — the ones not frozen — get gradients and optimiser state.

import Foundation
import TensorKit

/// The parts of a fine-tuning dataset.
public enum DataSplit: String, Codable, CaseIterable {
    case train, validation, test
}

/// Trains the trainable parameters of a model on batches of examples.
///
/// The task supplies `loss(split, indices)`: the mean loss of the examples at `indices` of a
/// split, as one scalar tensor recorded for backward. Batches of training examples are drawn
/// in a new shuffled order each epoch (seeded by the seed and the epoch, so a resumed run
/// draws the same ones); a last incomplete batch is dropped, as the book's loaders do.
///
///     let tuner = FineTuner(model: classifier, dropoutGenerator: generator, settings: settings,
///                           counts: [.train: 420, .validation: 60, .test: 120]) { split, indices in
///         lossOfExamples(split, indices)
///     }
///     while tuner.step < settings.steps { tuner.trainStep() }
public final class FineTuner {
    public let model: Module
    public let settings: TrainingSettings
    /// AdamW over the trainable parameters only: frozen ones have no moments.
    public let optimizer: AdamW
    /// The generator the model's dropout layers draw from (saved with checkpoints).
    public let dropoutGenerator: TorchGenerator
    /// Examples in each split.
    public let counts: [DataSplit: Int]
    let lossOfBatch: (DataSplit, [Int]) -> Tensor
    /// Optimiser steps taken so far.
    public internal(set) var step = 0
    public internal(set) var position = DataPosition()
    /// The loss of every training batch, in order.
    public internal(set) var losses: [Float] = []
    public internal(set) var evaluations: [Evaluation] = []
    private var epochOrder: (epoch: Int, batches: [[Int]])?

    public init(model: Module, dropoutGenerator: TorchGenerator, settings: TrainingSettings, counts: [DataSplit: Int],
                loss: @escaping (DataSplit, [Int]) -> Tensor) {
        precondition((counts[.train] ?? 0) >= settings.batchSize,
                     "FineTuner: \(counts[.train] ?? 0) training examples cannot fill one batch of \(settings.batchSize)")
        precondition((counts[.validation] ?? 0) >= 1, "FineTuner: the validation split is empty")
        let trainable = model.namedTrainableParameters()
        precondition(!trainable.isEmpty, "FineTuner: every parameter is frozen; nothing would train")
        self.model = model
        self.dropoutGenerator = dropoutGenerator
        self.settings = settings
        self.counts = counts
        lossOfBatch = loss
        let groups = settings.decayEverything
            ? [ParameterGroup(trainable, weightDecay: settings.weightDecay)]
            : [ParameterGroup(trainable.filter { $0.tensor.rank >= 2 }, weightDecay: settings.weightDecay),
               ParameterGroup(trainable.filter { $0.tensor.rank < 2 }, weightDecay: 0)]
        optimizer = AdamW(groups: groups, learningRate: settings.learningRate, beta1: 0.9, beta2: settings.beta2, eps: 1e-8)
        model.train()
    }

    /// Full batches per pass over the training examples.
    public var batchesPerEpoch: Int { counts[.train]! / settings.batchSize }

    /// The example indices of each batch of `epoch`: a permutation drawn from a generator
    /// seeded with seed + epoch.
    func batches(ofEpoch epoch: Int) -> [[Int]] {
        if let cached = epochOrder, cached.epoch == epoch { return cached.batches }
        let order = TorchGenerator(seed: settings.seed &+ UInt64(epoch)).permutation(counts[.train]!)
        let batches = (0..<batchesPerEpoch).map { Array(order[($0 * settings.batchSize)..<(($0 + 1) * settings.batchSize)]) }
        epochOrder = (epoch, batches)
        return batches
    }

    /// One optimiser step on the next training batch; returns the batch's loss (before the update).
    @discardableResult
    public func trainStep() -> Float {
        if position.batch >= batchesPerEpoch { position = DataPosition(epoch: position.epoch + 1, batch: 0) }
        let indices = batches(ofEpoch: position.epoch)[position.batch]
        position.batch += 1
        let loss = lossOfBatch(.train, indices)                                       // ()
        optimizer.zeroGrad()
        loss.backward()
        if let clip = settings.gradientClip { clipGradNorm(optimizer.groups.flatMap { $0.parameters.map(\.tensor) }, maxNorm: clip) }
        optimizer.learningRate = settings.learningRate(at: step)
        optimizer.step()
        step += 1
        let value = loss.item
        losses.append(value)
        return value
    }

    /// Whether the step just taken finished a pass over the training examples.
    public var finishedEpoch: Bool { position.batch == batchesPerEpoch }

    /// The batches of `split` in order (the last may be smaller), the first `limit` of them.
    public func orderedBatches(_ split: DataSplit, limit: Int? = nil) -> [[Int]] {
        let n = counts[split] ?? 0
        let all = stride(from: 0, to: n, by: settings.batchSize).map { Array($0..<min($0 + settings.batchSize, n)) }
        return Array(all.prefix(limit ?? all.count))
    }

    /// The mean of the batch losses over the first `batches` batches of `split` (all when
    /// nil), in order, with dropout off (the book's `calc_loss_loader`).
    public func meanLoss(_ split: DataSplit, batches: Int? = nil) -> Float {
        let used = orderedBatches(split, limit: batches)
        guard !used.isEmpty else { return .nan }
        let total = model.evaluating { used.reduce(0.0) { $0 + Double(lossOfBatch(split, $1).item) } }
        return Float(total / Double(used.count))
    }

    /// Evaluates the training and validation losses (`evalBatches` batches each) and records them.
    @discardableResult
    public func evaluate() -> Evaluation {
        let evaluation = Evaluation(step: step, trainLoss: meanLoss(.train, batches: settings.evalBatches),
                                    validationLoss: meanLoss(.validation, batches: settings.evalBatches))
        evaluations.append(evaluation)
        return evaluation
    }

    /// Whether the loop should evaluate after the step just taken.
    public var isEvaluationStep: Bool {
        step % settings.evalEvery == 0 || step == settings.steps
    }
}
