// Classification fine-tuning (the book's chapter 6): a pre-trained GPT whose language-model
// head — width → vocabulary — is replaced by a small head — width → number of classes — read
// at one position only: the last real token of each text, the one that has attended to all
// the others.

import TensorKit

/// A GPT with a classification head instead of its language-model head.
///
/// Its parameters keep GPT-2's names (`h.11.attn.c_attn.weight`, `ln_f.bias`) plus the book's
/// `out_head.weight` and `out_head.bias`; the language-model head is not part of it.
///
///     let classifier = GPTClassifier(body: gpt, classes: 2, generator: TorchGenerator(seed: 123))
///     classifier.freezeForFineTuning()                         // last block, final norm, head
///     let logits = classifier([5211, 345, 423, 640], shape: [1, 4], lengths: [4])   // (1, 2)
public final class GPTClassifier: Module {
    /// The pre-trained model whose embeddings, blocks and final norm this classifier uses.
    public let body: GPTModel
    /// width → classes, initialised as `torch.nn.Linear` is (the book's `model.out_head`).
    public let head: Linear
    public var classes: Int { head.outFeatures }

    /// Wraps `body`'s layers (shared, not copied) and draws a new head from `generator`.
    public init(body: GPTModel, classes: Int, generator: TorchGenerator) {
        precondition(classes >= 2, "GPTClassifier: needs at least 2 classes, got \(classes)")
        self.body = body
        head = Linear(body.config.embeddingDim, classes, generator: generator)
        super.init()
        register("wte", body.wte)
        register("wpe", body.wpe)
        register("drop", body.embeddingDropout)
        register("h", list: body.blocks)
        register("ln_f", body.lnF)
        register("out_head", head)
    }

    /// The class logits (B, classes) of each sequence's last real token: ids (B, T) padded
    /// after the text, `lengths` the number of real tokens of each row. With causal attention
    /// no real token sees the padding after it, so padding changes nothing.
    public func callAsFunction(_ ids: [Int], shape: [Int], lengths: [Int]) -> Tensor {
        precondition(shape.count == 2 && lengths.count == shape[0],
                     "GPTClassifier: \(lengths.count) lengths for ids of shape \(describeShape(shape))")
        let (b, t, d) = (shape[0], shape[1], body.config.embeddingDim)
        for n in lengths { precondition(n >= 1 && n <= t, "GPTClassifier: a length of \(n) does not fit \(t) positions") }
        let hidden = body.hiddenStates(ids, shape: shape)                     // (B, T, d)
        let lastReal = lengths.enumerated().map { row, n in row * t + n - 1 }
        let last = hidden.reshape([b * t, d]).indexSelect(0, lastReal)        // (B, d)
        return head(last)                                                     // (B, classes)
    }

    /// The class logits at every position (B, T, classes), as the book's model prints them.
    public func logitsAtEveryPosition(_ ids: [Int], shape: [Int]) -> Tensor {
        head(body.hiddenStates(ids, shape: shape))                            // (B, T, classes)
    }

    /// The book's choice of what to train: freeze everything, then unfreeze the last
    /// `blocks` transformer blocks, the final LayerNorm and the head.
    public func freezeForFineTuning(blocks: Int = 1) {
        precondition(blocks >= 0 && blocks <= body.blocks.count, "GPTClassifier: cannot train \(blocks) of \(body.blocks.count) blocks")
        freeze()
        for block in body.blocks.suffix(blocks) { block.unfreeze() }
        body.lnF.unfreeze()
        head.unfreeze()
    }
}

// MARK: - Batches

/// Sequences of different lengths padded into one (B, T) batch: each row is its tokens, then
/// `padID` up to the longest row (or `length`), and `lengths` says where each row's text ends.
///
///     let batch = PaddedBatch([[7, 8, 9], [5]], padID: 50256)
///     batch.ids        // [7, 8, 9, 5, 50256, 50256]
///     batch.shape      // [2, 3]
///     batch.lengths    // [3, 1]
public struct PaddedBatch: Equatable {
    public let ids: [Int]
    public let shape: [Int]
    public let lengths: [Int]

    public init(_ sequences: [[Int]], padID: Int, length: Int? = nil) {
        precondition(!sequences.isEmpty && sequences.allSatisfy { !$0.isEmpty }, "PaddedBatch: needs at least one non-empty sequence")
        let t = length ?? sequences.map(\.count).max()!
        precondition(sequences.allSatisfy { $0.count <= t }, "PaddedBatch: a sequence is longer than the length \(t)")
        ids = sequences.flatMap { $0 + [Int](repeating: padID, count: t - $0.count) }
        shape = [sequences.count, t]
        lengths = sequences.map(\.count)
    }
}

/// The fraction of `logits` rows (N, classes) whose largest entry is at `labels` (ties go to
/// the first class, as `argmax` does).
public func accuracy(_ logits: Tensor, labels: [Int]) -> Float {
    let predicted = logits.argmax(axis: -1)
    precondition(predicted.count == labels.count, "accuracy: \(predicted.count) predictions for \(labels.count) labels")
    return Float(zip(predicted, labels).filter { $0 == $1 }.count) / Float(max(labels.count, 1))
}
