// What a fine-tuning run trains, written down once so that a fresh run and a resumed one
// build the same thing: the task (a classifier, or the language model itself), which
// parameters are frozen, and LoRA's rank and alpha.

import Foundation
import TensorKit

/// The recipe of a fine-tuning run (saved in its checkpoints).
public struct FineTuneRecipe: Codable, Equatable {
    /// "classify" or "instruct".
    public var task: String
    /// Where the pre-trained weights came from (for the record).
    public var base: String
    /// classify: the class names, in label order.
    public var labels: [String]
    /// classify without LoRA: how many of the last blocks train (with the final norm and head).
    public var trainedBlocks: Int
    /// LoRA's rank and alpha, or nil for no LoRA.
    public var loraRank: Int?
    public var loraAlpha: Float?
    /// The id batches are padded with (the end-of-text token when there is one).
    public var padID: Int
    /// instruct: sequences are cut to this many tokens (the collate function's allowed_max_length).
    public var maxLength: Int?

    public init(task: String, base: String, labels: [String] = [], trainedBlocks: Int = 1, loraRank: Int? = nil,
                loraAlpha: Float? = nil, padID: Int, maxLength: Int? = nil) {
        self.task = task
        self.base = base
        self.labels = labels
        self.trainedBlocks = trainedBlocks
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha
        self.padID = padID
        self.maxLength = maxLength
    }

    public var isClassifier: Bool { task == "classify" }
}

/// A pre-trained GPT made ready for a recipe, with the trainable-parameter counts of each step.
public struct FineTuneModel {
    /// What trains: the classifier, or the GPT itself.
    public let module: Module
    public let body: GPTModel
    public let classifier: GPTClassifier?
    /// Trainable numbers before anything is frozen (the book's "before").
    public let countBeforeFreezing: Int
    /// After freezing (0 with LoRA: everything is frozen before the adapters are added).
    public let countAfterFreezing: Int
    /// What trains in the end.
    public var trainableCount: Int { module.trainableParameterCount }

    /// Builds the recipe's model around `body`, drawing a classifier's head and then LoRA's A
    /// matrices from `generator`, in that order (the book's order in its appendix E):
    ///
    /// - classify: a new head; without LoRA the last `trainedBlocks` blocks, the final norm
    ///   and the head train (chapter 6); with LoRA everything — the new head too — is frozen
    ///   and every Linear gets an adapter (appendix E).
    /// - instruct: without LoRA every parameter trains (chapter 7); with LoRA only adapters.
    public init(body: GPTModel, recipe: FineTuneRecipe, generator: TorchGenerator) {
        precondition(recipe.task == "classify" || recipe.task == "instruct", "FineTuneModel: unknown task \(recipe.task)")
        self.body = body
        body.unfreeze()
        classifier = recipe.isClassifier ? GPTClassifier(body: body, classes: recipe.labels.count, generator: generator) : nil
        module = classifier ?? body
        countBeforeFreezing = module.trainableParameterCount
        if let rank = recipe.loraRank {
            module.freeze()
            countAfterFreezing = module.trainableParameterCount
            LoRA.apply(to: module, rank: rank, alpha: recipe.loraAlpha ?? Float(rank), generator: generator)
        } else {
            classifier?.freezeForFineTuning(blocks: recipe.trainedBlocks)
            countAfterFreezing = module.trainableParameterCount
        }
    }
}
