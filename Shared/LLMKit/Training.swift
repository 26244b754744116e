// The pre-training loop: batches of windows → GPT → cross-entropy → backward → gradient
// clipping → AdamW with a learning-rate schedule, with evaluation on held-out text.
// Everything a run depends on (weights, optimiser moments, position in the data, generator
// state) lives in `Trainer`, so a checkpoint can stop and resume a run exactly.

import Foundation
import TensorKit

/// The knobs of a training run (saved in every checkpoint).
public struct TrainingSettings: Codable, Equatable {
    /// Windows per batch.
    public var batchSize: Int
    /// Optimiser steps in the whole run.
    public var steps: Int
    /// The peak learning rate (reached after warm-up).
    public var learningRate: Float
    /// Where cosine decay ends (at the last step).
    public var minLearningRate: Float
    /// Steps of linear warm-up from lr/warmup up to the peak.
    public var warmupSteps: Int
    /// Decay the learning rate along a half cosine after warm-up; false keeps it constant.
    public var cosineDecay: Bool
    /// AdamW's β2 (the decay of its squared-gradient average): 0.999 is PyTorch's default and
    /// the book's, 0.95 steadier for small batches (GPT-3, nanoGPT).
    public var beta2: Float
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float
    /// Apply weight decay to every parameter (the book does); false exempts biases, norm
    /// weights and other vectors, as GPT-2 and most modern recipes do.
    public var decayEverything: Bool
    /// Clip the global gradient norm to this value (nil: no clipping, as in the book).
    public var gradientClip: Float?
    /// Evaluate every this many steps (and after the last).
    public var evalEvery: Int
    /// How many batches' worth of windows of each split an evaluation reads, drawn at random
    /// from the whole split (`Trainer.evaluationWindows`); nil, or more than the split holds:
    /// every window of it.
    public var evalBatches: Int?
    /// Seeds the model's initialisation, dropout and the order of the batches.
    public var seed: UInt64

    public init(batchSize: Int, steps: Int, learningRate: Float, minLearningRate: Float? = nil, warmupSteps: Int = 0,
                cosineDecay: Bool = true, beta2: Float = 0.95, weightDecay: Float = 0.1, decayEverything: Bool = false, gradientClip: Float? = 1,
                evalEvery: Int = 50, evalBatches: Int? = 5, seed: UInt64 = 123) {
        self.batchSize = batchSize
        self.steps = steps
        self.learningRate = learningRate
        self.minLearningRate = minLearningRate ?? learningRate / 10
        self.warmupSteps = warmupSteps
        self.cosineDecay = cosineDecay
        self.beta2 = beta2
        self.weightDecay = weightDecay
        self.decayEverything = decayEverything
        self.gradientClip = gradientClip
        self.evalEvery = evalEvery
        self.evalBatches = evalBatches
        self.seed = seed
    }

    /// The learning rate of step `step` (0-based): linear warm-up, then a half cosine from the
    /// peak down to `minLearningRate` at the last step (or the peak throughout without decay).
    ///
    ///     let s = TrainingSettings(batchSize: 8, steps: 100, learningRate: 1e-3, warmupSteps: 10)
    ///     s.learningRate(at: 0)     // 0.0001 (1/10 of the way up)
    ///     s.learningRate(at: 9)     // 0.001
    ///     s.learningRate(at: 99)    // 0.0001
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return learningRate * Float(step + 1) / Float(warmupSteps) }
        guard cosineDecay else { return learningRate }
        let span = max(1, steps - 1 - warmupSteps)
        let progress = min(1, Double(step - warmupSteps) / Double(span))
        let cosine = 0.5 * (1 + Foundation.cos(Double.pi * progress))
        return minLearningRate + Float(cosine) * (learningRate - minLearningRate)
    }
}

/// One evaluation: the mean loss of each split (and so its perplexity, e^loss).
public struct Evaluation: Codable, Equatable {
    public var step: Int
    public var trainLoss: Float
    public var validationLoss: Float
    public var trainPerplexity: Float { Foundation.exp(trainLoss) }
    public var validationPerplexity: Float { Foundation.exp(validationLoss) }
}

/// Where a run is in its data: the epoch (a pass over the training windows in a shuffled
/// order fixed by the seed and the epoch) and the next batch within it.
public struct DataPosition: Codable, Equatable {
    public var epoch = 0
    public var batch = 0
}

/// Trains a GPT on windows of token ids.
public final class Trainer {
    public let model: GPTModel
    public let settings: TrainingSettings
    public let optimizer: AdamW
    public let trainData: SlidingWindowDataset
    public let validationData: SlidingWindowDataset
    /// The generator the model's dropout layers draw from (saved with checkpoints).
    public let dropoutGenerator: TorchGenerator
    /// Optimiser steps taken so far.
    public internal(set) var step = 0
    public internal(set) var position = DataPosition()
    /// The loss of every training batch, in order.
    public internal(set) var losses: [Float] = []
    public internal(set) var evaluations: [Evaluation] = []
    private var epochOrder: (epoch: Int, batches: [[Int]])?

    /// - Parameters:
    ///   - model: a model whose dropout layers draw from `dropoutGenerator`.
    ///   - trainData, validationData: windows of the two splits; there must be at least one
    ///     full training batch and one validation window.
    public init(model: GPTModel, dropoutGenerator: TorchGenerator, trainData: SlidingWindowDataset,
                validationData: SlidingWindowDataset, settings: TrainingSettings) {
        precondition(trainData.count >= settings.batchSize,
                     "Trainer: \(trainData.count) training windows cannot fill one batch of \(settings.batchSize)")
        precondition(validationData.count >= 1, "Trainer: the validation split has no window")
        self.model = model
        self.dropoutGenerator = dropoutGenerator
        self.trainData = trainData
        self.validationData = validationData
        self.settings = settings
        optimizer = AdamW(groups: Trainer.parameterGroups(model, settings), learningRate: settings.learningRate,
                          beta1: 0.9, beta2: settings.beta2, eps: 1e-8)
        model.train()
    }

    /// Weight decay for matrices (linear and embedding weights), none for vectors (biases,
    /// LayerNorm weights) unless the settings decay everything.
    static func parameterGroups(_ model: GPTModel, _ settings: TrainingSettings) -> [ParameterGroup] {
        let all = model.namedParameters()
        if settings.decayEverything { return [ParameterGroup(all, weightDecay: settings.weightDecay)] }
        return [ParameterGroup(all.filter { $0.tensor.rank >= 2 }, weightDecay: settings.weightDecay),
                ParameterGroup(all.filter { $0.tensor.rank < 2 }, weightDecay: 0)]
    }

    /// Full batches per pass over the training windows.
    public var batchesPerEpoch: Int { trainData.count / settings.batchSize }

    /// Tokens of input per step.
    public var tokensPerStep: Int { settings.batchSize * trainData.maxLength }

    /// The window indices of each batch of `epoch`: a permutation drawn from a generator seeded
    /// with seed + epoch, so any epoch's order can be rebuilt when resuming.
    func batches(ofEpoch epoch: Int) -> [[Int]] {
        if let cached = epochOrder, cached.epoch == epoch { return cached.batches }
        let order = TorchGenerator(seed: settings.seed &+ UInt64(epoch)).permutation(trainData.count)
        let batches = (0..<batchesPerEpoch).map { Array(order[($0 * settings.batchSize)..<(($0 + 1) * settings.batchSize)]) }
        epochOrder = (epoch, batches)
        return batches
    }

    /// The next training batch: inputs and targets (B·T ids each) and the shape (B, T).
    func nextBatch() -> (inputs: [Int], targets: [Int], shape: [Int]) {
        if position.batch >= batchesPerEpoch { position = DataPosition(epoch: position.epoch + 1, batch: 0) }
        let windows = batches(ofEpoch: position.epoch)[position.batch]
        position.batch += 1
        return trainData.batch(windows)
    }

    /// One optimiser step on the next batch; returns the batch's loss (before the update).
    @discardableResult
    public func trainStep() -> Float {
        let loss = self.loss(nextBatch())                                                      // ()
        optimizer.zeroGrad()
        loss.backward()
        if let clip = settings.gradientClip { clipGradNorm(model.parameters, maxNorm: clip) }
        optimizer.learningRate = settings.learningRate(at: step)
        optimizer.step()
        step += 1
        let value = loss.item
        losses.append(value)
        return value
    }

    /// The model's mean cross-entropy on a batch: the next token of every window position.
    func loss(_ batch: (inputs: [Int], targets: [Int], shape: [Int])) -> Tensor {
        let logits = model(batch.inputs, shape: batch.shape)                                   // (B, T, V)
        return logits.reshape([-1, model.config.vocabSize]).crossEntropy(targets: batch.targets)   // ()
    }

    /// The mean loss over `windows` of a dataset (every window when nil), with dropout off:
    /// the mean over all their target tokens, so a last, smaller batch weighs what its windows
    /// weigh (the book's `calc_loss_loader` averages batch means instead; the two agree when
    /// every batch is full).
    ///
    ///     trainer.meanLoss(trainer.validationData)    // the whole validation split
    public func meanLoss(_ data: SlidingWindowDataset, windows: [Int]? = nil) -> Float {
        let chosen = windows ?? Array(0..<data.count)
        precondition(!chosen.isEmpty, "meanLoss: no window to evaluate")
        let total = model.evaluating {
            stride(from: 0, to: chosen.count, by: settings.batchSize).reduce(0.0) { sum, start in
                let part = chosen[start..<min(start + settings.batchSize, chosen.count)]
                return sum + Double(loss(data.batch(part)).item) * Double(part.count)           // a batch's mean × its windows
            }
        }
        return Float(total / Double(chosen.count))
    }

    /// The windows of a split an evaluation after `step` reads: every window when `evalBatches`
    /// is nil or covers the split; otherwise `evalBatches × batchSize` of them, drawn uniformly
    /// without replacement from the *whole* split by a generator seeded with the run's seed, the
    /// step and the split. The mean over them is an unbiased estimate of the whole split's loss
    /// — a different sample at every evaluation, as nanoGPT's random batches, and the same one
    /// again when a run is resumed. (Reading the first batches every time, as the book's
    /// `calc_loss_loader` does for an unshuffled loader, measures only the start of the split.)
    ///
    ///     trainer.evaluationWindows(trainer.validationData, split: .validation, step: 1000)
    public func evaluationWindows(_ data: SlidingWindowDataset, split: Split, step: Int) -> [Int] {
        let wanted = (settings.evalBatches ?? Int.max / max(1, settings.batchSize)) * settings.batchSize
        if wanted >= data.count { return Array(0..<data.count) }
        let seed = settings.seed &* 1_000_003 &+ UInt64(step) &* 2 &+ (split == .validation ? 1 : 0)
        return Array(TorchGenerator(seed: seed).permutation(data.count).prefix(wanted))
    }

    /// The two parts of the text.
    public enum Split: Sendable { case train, validation }

    /// Evaluates both splits (`evaluationWindows` of each) and records the result.
    @discardableResult
    public func evaluate() -> Evaluation {
        let evaluation = Evaluation(step: step,
                                    trainLoss: meanLoss(trainData, windows: evaluationWindows(trainData, split: .train, step: step)),
                                    validationLoss: meanLoss(validationData,
                                                             windows: evaluationWindows(validationData, split: .validation, step: step)))
        evaluations.append(evaluation)
        return evaluation
    }

    /// Whether the loop should evaluate after the step just taken.
    public var isEvaluationStep: Bool {
        step % settings.evalEvery == 0 || step == settings.steps
    }
}
