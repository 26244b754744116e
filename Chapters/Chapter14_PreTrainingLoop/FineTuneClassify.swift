// `finetune classify` (the book's chapter 6) and `finetune lora` (appendix E, which trains the
// same classifier through LoRA adapters): who says this line of the play? A pre-trained GPT
// gets a new head with one output per speaker, read at the last real token of each passage.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

func runClassify(_ arguments: [String]) {
    let command = FineTuneCommand("classify", summary: "fine-tune a GPT into a classifier: who says a line of the play (the book's chapter 6)",
                                  arguments: arguments, epochs: 4, learningRate: 1e-3, evalEvery: 50)
    ClassificationRun(command).run()
}

/// A classification fine-tuning run, with or without LoRA.
final class ClassificationRun {
    let command: FineTuneCommand
    let speakersFlag: Options.Flag<String>
    let maxCharsFlag: Options.Flag<Int>
    let blocksFlag: Options.Flag<Int>
    let textFlag: Options.Flag<String?>
    let bookFlag: Options.Flag<Bool>?
    let isLoRA: Bool

    init(_ command: FineTuneCommand, isLoRA: Bool = false) {
        self.command = command
        self.isLoRA = isLoRA
        let options = command.options
        speakersFlag = options.string("--speakers", default: "royals-vs-commoners", help: "the classes, comma-separated: a speaker of data/tinyshakespeare.txt (ROMEO), several (NAME=A+B+C; KING* is every KING …), or royals-vs-commoners", placeholder: "A,B")
        maxCharsFlag = options.int("--max-chars", default: 128, help: "characters per passage (whole lines, cut at this length)")
        blocksFlag = options.int("--train-blocks", default: 1, help: "without LoRA: how many of the last blocks train, with the final norm and the head")
        textFlag = options.optionalString("--text", help: "a line to classify at the end")
        bookFlag = isLoRA ? options.flag("--book", help: "only count the trainable parameters of the book's GPT-2 124M classifier (random weights) with rank-16 adapters") : nil
        options.epilogue = isLoRA ? """
        Examples:
          swift run -c release Chapter14_PreTrainingLoop finetune lora                  # rank 8 adapters on the shipped model
          swift run -c release Chapter14_PreTrainingLoop finetune lora --lora 16 --alpha 16 --init-from path/to/gpt2 --lr 8e-4
          swift run Chapter14_PreTrainingLoop finetune lora --book                      # the book's trainable-parameter counts
        """ : """
        Examples:
          swift run -c release Chapter14_PreTrainingLoop finetune classify              # the shipped model, about 1 minute
          swift run -c release Chapter14_PreTrainingLoop finetune classify --speakers "KING RICHARD III,QUEEN MARGARET"
          swift run -c release Chapter14_PreTrainingLoop finetune classify --init-from path/to/gpt2 --lr 5e-5 --epochs 5
          swift run Chapter14_PreTrainingLoop finetune classify --resume runs/finetune-classify
        """
    }

    func run() {
        let command = self.command
        command.parse()
        command.require(maxCharsFlag.value >= 1, "--max-chars must be positive")
        command.require(blocksFlag.value >= 0, "--train-blocks must be at least 0")
        if bookFlag?.value == true {
            showBookCounts(command)
            return
        }
        let resumeDirectory = command.resumeDirectory
        let resumed = resumeDirectory.map { dir in command.orFail { try FineTuneState.read(from: dir) } }
        if let resumed { command.require(resumed.recipe.isClassifier, "\(command.resume.value!): it is a run of finetune \(resumed.recipe.task), not of a classifier") }
        let preset = SpeakerLines.royalsAndCommoners.map { "\($0.name)=" + $0.speakers.joined(separator: "+") }
        let speakers = resumed?.recipe.labels ?? (speakersFlag.value == "royals-vs-commoners" ? preset
            : speakersFlag.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        command.require(speakers.count >= 2 && Set(speakers).count == speakers.count, "--speakers needs at least two different classes, got '\(speakersFlag.value)'")
        // a class is "NAME=A+B+C" (the speakers A, B and C, called NAME), "A+B" or one speaker "A"
        let classes: [(name: String, speakers: [String])] = speakers.map { spec in
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            let members = (parts.last ?? "").split(separator: "+").map { $0.trimmingCharacters(in: .whitespaces) }
            return (parts.count == 2 ? parts[0].trimmingCharacters(in: .whitespaces) : spec, members)
        }
        command.require(classes.allSatisfy { !$0.speakers.isEmpty && !$0.speakers.contains("") }, "--speakers: '\(speakersFlag.value)' names an empty class")
        if let resumed, speakersFlag.wasGiven,
           (speakersFlag.value == "royals-vs-commoners" ? preset : speakersFlag.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) != resumed.recipe.labels {
            command.fail("--speakers: the run in \(command.resume.value!) classifies \(resumed.recipe.labels.joined(separator: ", "))")
        }

        chapterTitle(14, isLoRA ? "After pre-training: LoRA" : "After pre-training: a classifier")
        say(isLoRA ? """
        LoRA fine-tunes a model without changing its weights: every Linear layer keeps its \
        weight W frozen and learns a low-rank correction (alpha/r)·A·B beside it. Here it trains \
        the classifier of `finetune classify` — the book's appendix E does the same with its spam \
        classifier.
        """ : """
        Pre-training taught a model to continue text. Classification fine-tuning teaches it to \
        sort text into a few classes: the language-model head, which scores every token of the \
        vocabulary, is replaced by a head that scores each class, and a few layers learn from \
        labelled examples. The book does this with spam messages; here the labels come from the \
        play itself.
        """)

        // MARK: 1. The task
        section("1. The task: who says this line?")
        let text = command.orFail { try readDataText("tinyshakespeare.txt") }
        let known = Set(SpeakerLines.speeches(in: text).map(\.speaker))
        for s in classes.flatMap(\.speakers) where !known.contains(where: { SpeakerLines.matches(s, $0) }) {
            let top = SpeakerLines.mostFrequentSpeakers(in: text, count: 8).map { "\($0.speaker) (\($0.speeches))" }
            command.fail("--speakers: nobody called '\(s)' speaks in data/tinyshakespeare.txt\nhint: the speakers with the most speeches: \(top.joined(separator: ", "))")
        }
        let passages = SpeakerLines.passages(in: text, classes: classes.map(\.speakers), maxCharacters: maxCharsFlag.value)
        let splits = LabelledSplits(balancing: passages, classes: classes.count, seed: 123)
        let names = classes.map(\.name)
        command.require(splits.train.count >= command.batchSize.value && !splits.validation.isEmpty && !splits.test.isEmpty,
                        "--speakers \(speakers.joined(separator: ",")): \(passages.count) passages are too few for a batch of \(command.batchSize.value) and three splits")
        let described = classes.map { c -> String in
            let who = c.speakers.count <= 6 ? c.speakers.joined(separator: ", ")
                : c.speakers.prefix(5).joined(separator: ", ") + " and \(c.speakers.count - 5) more"
            return c.speakers == [c.name] ? c.name : "\(c.name) (\(who))"
        }
        say("""
        The labels come from the play: who says this? The classes are \(described.joined(separator: "; "))\
        \(classes.flatMap(\.speakers).contains { $0.hasSuffix("*") } ? " (a name ending in * stands for every speaker whose name starts so: KING* for KING RICHARD II, KING HENRY VI, …)" : ""). Every speech of theirs in \
        data/tinyshakespeare.txt, cut into passages of whole lines of at most \(maxCharsFlag.value) \
        characters, is an example (the speaker's name is not in the text). As the book balances spam \
        and not-spam, each class keeps as many passages as the one with fewest; a seeded shuffle then \
        splits them 70/10/20 — the same passages on every run.
        """)
        let perClass = (0..<speakers.count).map { c in passages.filter { $0.label == c }.count }
        table(["label", "class", "passages", "kept", "train", "validation", "test"], speakers.indices.map { c in
            [String(c), names[c], grouped(perClass[c]), grouped(perClass.min()!),
             grouped(splits.train.filter { $0.label == c }.count), grouped(splits.validation.filter { $0.label == c }.count),
             grouped(splits.test.filter { $0.label == c }.count)]
        }, rightAligned: [0, 2, 3, 4, 5, 6])
        for example in splits.train.prefix(2) {
            print("  \(names[example.label]): \(quoted(example.text))")
        }

        // MARK: 2. The model
        section("2. The model: a new head")
        let generator = TorchGenerator(seed: UInt64(command.seed.value))
        let tokenizer: CheckpointTokenizer
        let prepared: FineTuneModel
        let recipe: FineTuneRecipe
        let baseName: String
        if let dir = resumeDirectory, let state = resumed {
            tokenizer = command.orFail { try CheckpointTokenizer.load(from: dir, gpt2Files: dataDirectory().appendingPathComponent("gpt2")) }
            prepared = command.orFail { try FineTuneModel.load(from: dir, state: state, generator: generator) }
            recipe = state.recipe
            baseName = state.recipe.base
            say("Resuming the run in \(command.resume.value!) (fine-tuned from \(baseName)).")
        } else {
            let base = command.loadBase(generator: generator)
            tokenizer = base.tokenizer
            baseName = base.name
            let pad = padID(tokenizer)
            recipe = FineTuneRecipe(task: "classify", base: base.name, labels: speakers, trainedBlocks: blocksFlag.value,
                                    loraRank: command.lora?.rank, loraAlpha: command.lora?.alpha, padID: pad)
            command.require(blocksFlag.value <= base.model.config.numLayers, "--train-blocks \(blocksFlag.value): the model has \(base.model.config.numLayers) blocks")
            prepared = withNoGrad { FineTuneModel(body: base.model, recipe: recipe, generator: generator) }
        }
        let config = prepared.body.config
        let classifier = prepared.classifier!
        let lmHeadSize = config.vocabSize * config.embeddingDim
        say("""
        The pre-trained model is \(baseName): \(config.numLayers) blocks of width \(config.embeddingDim), a \
        vocabulary of \(grouped(config.vocabSize)) (\(tokenizer.kind) tokens). Its language-model head maps \
        each position's \(config.embeddingDim) numbers to \(grouped(config.vocabSize)) token scores \
        (\(grouped(lmHeadSize)) weights\(config.tiedHead ? ", shared with the token embedding" : "")). \
        The classifier's head maps them to \(speakers.count) class scores instead: \
        \(config.embeddingDim) × \(speakers.count) weights and \(speakers.count) biases, drawn as \
        `torch.nn.Linear` draws them.
        """)
        describeTraining(prepared, recipe: recipe)

        // MARK: 3. Batches
        section("3. Batches: padding, and the last real token")
        let pad = recipe.padID
        let encoded: [DataSplit: [(ids: [Int], label: Int)]] = command.orFail { [
            .train: try encode(splits.train, tokenizer, context: config.contextLength),
            .validation: try encode(splits.validation, tokenizer, context: config.contextLength),
            .test: try encode(splits.test, tokenizer, context: config.contextLength),
        ] }
        let dataset = DatasetDescription(name: "tinyshakespeare: " + names.joined(separator: " or "),
                                         ids: DataSplit.allCases.flatMap { s in encoded[s]!.flatMap { [$0.label, -1] + $0.ids } },
                                         trainFraction: 0.7)
        if let state = resumed, state.dataset.fingerprint != dataset.fingerprint {
            command.fail("\(command.resume.value!): the run was made with other passages (\(state.dataset.name)); resume with the same --max-chars")
        }
        let sample = Array(encoded[.train]!.prefix(3))
        let batch = PaddedBatch(sample.map(\.ids), padID: pad)
        say("""
        Passages have different lengths. A batch pads each one after its text with the pad id \
        (\(pad)\(endOfText(tokenizer) == pad ? ", the end-of-text token" : tokenizer.kind == "char" ? ", the character \(quoted(tokenizer.tokenizer.decode([pad])))" : "")) \
        up to the longest: this batch of \(sample.count) has lengths \(batch.lengths.map(String.init).joined(separator: ", ")) \
        and shape \(describeShape(batch.shape)). The class is read at each passage's last real \
        token — the only one whose attention has seen the whole passage. Causal attention never \
        lets a token see what comes after it, so the padding changes nothing:
        """)
        let padded = classifier.evaluating { classifier(batch.ids, shape: batch.shape, lengths: batch.lengths) }         // (B, classes)
        let shortest = batch.lengths.indices.min { batch.lengths[$0] < batch.lengths[$1] }!
        let alone = classifier.evaluating { classifier(sample[shortest].ids, shape: [1, sample[shortest].ids.count], lengths: [sample[shortest].ids.count]) }
        print("  passage \(shortest + 1) alone (\(sample[shortest].ids.count) tokens):          logits \(row(alone, 0))")
        print("  passage \(shortest + 1) padded to \(batch.shape[1]) in the batch: logits \(row(padded, shortest))")
        say("""
        (The book pads every message to the longest of the training set and reads the very last \
        position, padding included; that works too once trained, but a passage's class then \
        depends on how much padding it got. Hugging Face's GPT2ForSequenceClassification reads \
        the last non-padding token, as here.)
        """)

        // MARK: 4. Before
        section("4. Before fine-tuning")
        var tokens = 0
        func loss(_ split: DataSplit, _ indices: [Int]) -> Tensor {
            let rows = indices.map { encoded[split]![$0] }
            let b = PaddedBatch(rows.map(\.ids), padID: pad)
            if split == .train && isGradEnabled { tokens += b.ids.count }
            return classifier(b.ids, shape: b.shape, lengths: b.lengths).crossEntropy(targets: rows.map(\.label))   // ()
        }
        /// The fraction classified right, of the whole split or of its first `limit` examples.
        func accuracy(_ split: DataSplit, limit: Int? = nil) -> Float {
            let rows = Array(encoded[split]!.prefix(limit ?? Int.max))
            var correct = 0
            classifier.evaluating {
                for start in Swift.stride(from: 0, to: rows.count, by: 32) {
                    let chunk = Array(rows[start..<min(start + 32, rows.count)])
                    let b = PaddedBatch(chunk.map(\.ids), padID: pad)
                    let predicted = classifier(b.ids, shape: b.shape, lengths: b.lengths).argmax(axis: -1)
                    correct += zip(predicted, chunk.map(\.label)).filter { $0 == $1 }.count
                }
            }
            return Float(correct) / Float(rows.count)
        }
        let batchesPerEpoch = encoded[.train]!.count / command.batchSize.value
        let steps = resumed.map { command.steps.value > 0 ? command.steps.value : $0.settings.steps }
            ?? (command.steps.value > 0 ? command.steps.value : command.epochs.value * batchesPerEpoch)
        var settings = resumed?.settings ?? command.settings(steps: steps)
        settings.steps = steps
        let tuner = FineTuner(model: classifier, dropoutGenerator: generator, settings: settings,
                              counts: [.train: encoded[.train]!.count, .validation: encoded[.validation]!.count, .test: encoded[.test]!.count],
                              loss: loss)
        if let dir = resumeDirectory, let state = resumed { command.orFail { try tuner.restore(from: dir, state: state) } }
        command.require(tuner.step < settings.steps || resumed == nil,
                        "\(command.resume.value ?? ""): the run already took \(tuner.step) of its \(settings.steps) steps\nhint: give a larger --steps to train on")
        command.checkWritable()
        let before = DataSplit.allCases.map { accuracy($0) }
        say("""
        Accuracy on every passage of each split\(tuner.step > 0 ? ", as resumed at step \(tuner.step)" : ", with the new head still random"); \
        guessing gives \(fixed(100 / Float(speakers.count), 1))%:
        """)
        printAccuracies(before)

        // MARK: 5. Fine-tuning
        section("5. Fine-tuning")
        say("""
        The pre-training loop, with the classifier's loss — cross-entropy between the \
        \(speakers.count) class scores and the label, one per passage — instead of one per token: \
        \(grouped(tuner.batchesPerEpoch)) batches of \(settings.batchSize) per epoch, \(grouped(settings.steps)) steps, \
        AdamW at a constant \(scientific(settings.learningRate)) with weight decay \(fixed(settings.weightDecay, 1)) \
        (the book's recipe). Only the \(grouped(prepared.trainableCount)) trainable numbers get \
        gradients and optimiser state. Every \(settings.evalEvery) steps: the mean loss of \
        \(settings.evalBatches.map { "\($0)" } ?? "all") batches of each split; after each epoch, \
        the accuracies on \(settings.evalBatches.map { "the first \($0 * settings.batchSize) examples" } ?? "all") of \
        each (the book's estimate; the whole splits are measured at the end).
        """)
        let checkpoint = command.outDirectory.appendingPathComponent("checkpoint")
        func save() {
            if command.noSave.value { return }
            command.orFail { try tuner.saveCheckpoint(to: checkpoint, model: prepared, recipe: recipe, tokenizer: tokenizer, dataset: dataset) }
        }
        let firstStep = tuner.step
        let elapsed = trainToTheEnd(tuner, command: command, tokensSeen: { tokens }, hooks: LoopHooks(afterEpoch: {
            let limit = settings.evalBatches.map { $0 * settings.batchSize }
            print("    after epoch \(tuner.position.epoch + 1): train accuracy \(fixed(100 * accuracy(.train, limit: limit), 1))%, validation \(fixed(100 * accuracy(.validation, limit: limit), 1))%")
        }), save: save)
        save()
        timing(command, loopTiming(tuner.step - firstStep, tokens: tokens, elapsed))

        // MARK: 6. After
        section("6. After fine-tuning")
        let after = DataSplit.allCases.map { accuracy($0) }
        table(["split", "examples", "before", "after"], DataSplit.allCases.indices.map { i in
            [DataSplit.allCases[i].rawValue, grouped(encoded[DataSplit.allCases[i]]!.count),
             fixed(100 * before[i], 1) + "%", fixed(100 * after[i], 1) + "%"]
        }, rightAligned: [1, 2, 3])
        say("""
        The test passages were never trained on nor used to choose a setting: \(fixed(100 * after[2], 1))% \
        of them go to the right class, against \(fixed(100 / Float(speakers.count), 1))% by chance.
        """)
        let shown = Array(zip(splits.test, encoded[.test]!).prefix(4))
        let shownBatch = PaddedBatch(shown.map(\.1.ids), padID: pad)
        let shownLogits = classifier.evaluating { classifier(shownBatch.ids, shape: shownBatch.shape, lengths: shownBatch.lengths) }
        let probabilities = withNoGrad { shownLogits.softmax(axis: -1) }
        for (i, (example, _)) in shown.enumerated() {
            let guess = probabilities.rows[i].indices.max { probabilities.rows[i][$0] < probabilities.rows[i][$1] }!
            print("  \(quoted(String(example.text.prefix(60))))\(example.text.count > 60 ? "…" : "")")
            print("      → \(names[guess]) (\(fixed(100 * probabilities.rows[i][guess], 1))%); true class: \(names[example.label])")
        }
        if let line = textFlag.value {
            let ids = command.orFail { try tokenizer.encodeChecked(line) }
            command.require(!ids.isEmpty, "--text is empty")
            let cut = Array(ids.prefix(config.contextLength))
            let p = classifier.evaluating { classifier(cut, shape: [1, cut.count], lengths: [cut.count]).softmax(axis: -1) }
            print("  \(quoted(line)) → \(names[p.argmax()]) (\(fixed(100 * p.data[p.argmax()], 1))%)")
        }
        if isLoRA { showMerging(prepared, batch: shownBatch) }
        section(isLoRA ? "8. The checkpoint" : "7. The checkpoint")
        if command.noSave.value {
            say("Nothing saved (--no-save).")
        } else {
            say("""
            Saved to \(command.checkpointPath): the body in GPT-2's layout with the head's \
            out_head.weight and out_head.bias\(recipe.loraRank != nil ? ", the adapters in adapter.safetensors" : ""), \
            the optimiser's moments (for the trainable parameters only) and training.json. Continue \
            with --resume \(command.out.value) --steps N.
            """)
        }
    }

    /// What trains, with the counts of the book's appendix E: before freezing, after, in the end.
    func describeTraining(_ prepared: FineTuneModel, recipe: FineTuneRecipe) {
        let config = prepared.body.config
        if let rank = recipe.loraRank {
            say("""
            Everything is frozen — the pre-trained weights and the new head — and every Linear \
            layer gets a LoRA adapter of rank \(rank): A (in × \(rank)) drawn like a Linear \
            layer's weight, B (\(rank) × out) zeros, scaled by alpha/rank = \(fixed(recipe.loraAlpha! / Float(rank), 2)). \
            B = 0 makes the adapted model start as exactly the frozen one.
            """)
        } else {
            say("""
            What trains, as in the book: the last \(recipe.trainedBlocks == 1 ? "transformer block" : "\(recipe.trainedBlocks) transformer blocks"), \
            the final LayerNorm and the new head. The rest is frozen: it gets no gradient, no \
            optimiser state, and backward stops before it\(config.numLayers > recipe.trainedBlocks ? " (the first \(config.numLayers - recipe.trainedBlocks) blocks are not even recorded for backward)" : "").
            """)
        }
        table(["trainable parameters", "count"], [
            ["before freezing", grouped(prepared.countBeforeFreezing)],
            ["after freezing", grouped(prepared.countAfterFreezing)],
        ] + (recipe.loraRank != nil ? [["with LoRA adapters", grouped(prepared.trainableCount)]] : []), rightAligned: [1])
    }

    /// Merging the adapters gives the same classifier (appendix E's point that LoRA costs nothing at inference).
    func showMerging(_ prepared: FineTuneModel, batch: PaddedBatch) {
        section("7. Merging the adapters")
        let classifier = prepared.classifier!
        let adapted = classifier.evaluating { classifier(batch.ids, shape: batch.shape, lengths: batch.lengths) }
        let adapters = LoRA.adapters(in: classifier).count
        let adapterNumbers = LoRA.tensors(of: classifier).values.reduce(0) { $0 + $1.count }
        LoRA.merge(classifier)
        let merged = classifier.evaluating { classifier(batch.ids, shape: batch.shape, lengths: batch.lengths) }
        let difference = zip(adapted.data, merged.data).map { abs($0 - $1) }.max() ?? 0
        say("""
        Each of the \(adapters) adapters folds into its layer's weight: W ← W + (alpha/r)·(A·B)ᵀ. The \
        merged model has no adapters and costs what the original did; its class scores for the \
        passages above differ from the adapted model's by at most \(String(format: "%.1e", difference)) \
        (float rounding). What a LoRA run has to keep is \(grouped(adapterNumbers)) numbers \
        (adapter.safetensors), not a copy of the model.
        """)
    }
}

// MARK: - Helpers

/// The id batches are padded with: the end-of-text token when the tokenizer has one
/// (<|endoftext|> for GPT-2), else id 0 (any id works: no real token sees it).
func padID(_ tokenizer: CheckpointTokenizer) -> Int {
    endOfText(tokenizer) ?? 0
}

/// Token ids of each labelled text, cut to the context length.
func encode(_ examples: [LabelledText], _ tokenizer: CheckpointTokenizer, context: Int) throws -> [(ids: [Int], label: Int)] {
    try examples.map { (Array(try tokenizer.encodeChecked($0.text).prefix(context)), $0.label) }
}

/// Row `i` of a (B, C) tensor as "[a, b]" with 4 decimals.
func row(_ t: Tensor, _ i: Int) -> String {
    "[" + t.rows[i].map { fixed($0, 4) }.joined(separator: ", ") + "]"
}

func printAccuracies(_ values: [Float]) {
    for (split, value) in zip(DataSplit.allCases, values) {
        print("\(pad(split.rawValue + " accuracy:", 22)) \(fixed(100 * value, 2))%")
    }
}
