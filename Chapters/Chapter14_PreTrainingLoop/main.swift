// Chapter 14 — The pre-training loop: text → tokens → windows → GPT → cross-entropy →
// backward → clip → AdamW, with evaluation, samples and checkpoints. The flags are read and
// checked first; Setup.swift reads the text and guards the output; what the model learned is shown by Learned.swift.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

// MARK: - Flags

setvbuf(stdout, nil, _IOLBF, 0)      // each line as it is printed, even into a log file or a pipe
if CommandLine.arguments.dropFirst().first == "finetune" { runFineTuning(Array(CommandLine.arguments.dropFirst(2))) }   // FineTune.swift

let options = Options(program: "Chapter14_PreTrainingLoop",
                      summary: "pre-train a GPT from scratch: batches, loss, backward, AdamW, evaluation, checkpoints")
let datasetFlag = options.string("--dataset", default: "the-verdict", help: "the-verdict, tinyshakespeare, or a path to a UTF-8 text file", placeholder: "NAME|FILE")
let tokenizerFlag = options.string("--tokenizer", default: "gpt2", help: "gpt2 (GPT-2's BPE), char (one token per character) or bpe (a BPE trained on the text)", placeholder: "KIND")
let bpeVocabulary = options.int("--bpe-vocab", default: 512, help: "vocabulary size of the trained BPE (--tokenizer bpe)")
let contextFlag = options.int("--context", default: 256, help: "context length: tokens per training window")
let widthFlag = options.int("--width", default: 128, help: "embedding width of the model")
let layersFlag = options.int("--layers", default: 4, help: "transformer blocks")
let headsFlag = options.int("--heads", default: 4, help: "attention heads")
let strideFlag = options.int("--stride", default: 0, help: "tokens between the starts of training windows (0: the context length, no overlap)")
let dropoutFlag = options.float("--dropout", default: 0.1, help: "dropout rate while training")
let stepsFlag = options.int("--steps", default: 0, help: "optimiser steps (0: as many as --epochs take)")
let epochsFlag = options.int("--epochs", default: 30, help: "passes over the training windows (when --steps is 0)")
let batchFlag = options.int("--batch-size", default: 2, help: "windows per batch")
let lrFlag = options.float("--lr", default: 1e-3, help: "peak learning rate")
let warmupFlag = options.int("--warmup", default: 10, help: "steps of linear learning-rate warm-up")
let seedFlag = options.int("--seed", default: 123, help: "seed of the initialisation, dropout and batch order")
let evalEveryFlag = options.int("--eval-every", default: 20, help: "evaluate (and print a sample) every N steps")
let evalBatchesFlag = options.int("--eval-batches", default: 5, help: "batches' worth of windows of each split per evaluation, drawn at random from the whole split (0: every window)")
let stopAtFlag = options.int("--stop-at", default: 0, help: "stop after step N as if interrupted, saving a checkpoint to --resume from (0: run to the end)")
let saveEveryFlag = options.int("--save-every", default: 0, help: "also save a checkpoint every N steps (0: only at the end and on Ctrl-C)")
let outFlag = options.string("--out", default: "runs/chapter14", help: "directory for the checkpoint and the figures", placeholder: "DIR")
let resumeFlag = options.optionalString("--resume", help: "continue the run saved in DIR exactly where it stopped", placeholder: "DIR")
let initFlag = options.optionalString("--init-from", help: "start from the weights in DIR (a checkpoint of this chapter, a Hugging Face GPT-2 directory or Hub id) and train on --dataset: fine-tuning", placeholder: "DIR")
let promptFlag = options.optionalString("--prompt", help: "start of the sample printed at each evaluation")
let sampleTokensFlag = options.int("--sample-tokens", default: 0, help: "tokens in each sample (0: 25 for word tokens, 150 for characters)")
let bookFlag = options.flag("--book", help: "the book's own run: GPT-2 124M (context 256), seed 123, batch 2, AdamW 4e-4, 10 epochs")
let noSave = options.flag("--no-save", help: "write no checkpoint (the figures are still written)")
let noTiming = options.flag("--no-timing", help: "print no measured speeds or times (for repeatable output)")
options.epilogue = """
Examples:
  swift run Chapter14_PreTrainingLoop                                   # the-verdict, GPT-2 tokens, ~2 minutes
  swift run -c release Chapter14_PreTrainingLoop --dataset tinyshakespeare --tokenizer char \\
      --context 128 --batch-size 16 --steps 2000 --eval-every 200 --out runs/char
  swift run Chapter14_PreTrainingLoop --resume runs/char --steps 3000     # continue that run
  swift run Chapter14_PreTrainingLoop --init-from data/shakespeare-char --dataset my-text.txt
  swift run -c release Chapter14_PreTrainingLoop --book                 # the book's 124M run (slow)
"""
options.parse()

let isBook = bookFlag.value
if isBook {
    for flag in [datasetFlag.wasGiven, tokenizerFlag.wasGiven, contextFlag.wasGiven, widthFlag.wasGiven, layersFlag.wasGiven,
                 headsFlag.wasGiven, batchFlag.wasGiven, lrFlag.wasGiven, initFlag.wasGiven] where flag {
        options.fail("--book fixes the data, model and optimiser; it takes only --steps/--epochs, --eval-every, --out and --no-timing")
    }
}
require(resumeFlag.value == nil || initFlag.value == nil, "--resume and --init-from cannot be combined: --resume continues a run, --init-from starts a new one from weights")
require(["gpt2", "char", "bpe"].contains(tokenizerFlag.value), "--tokenizer must be gpt2, char or bpe, not '\(tokenizerFlag.value)'")
require(contextFlag.value >= 2, "--context must be at least 2")
require(widthFlag.value >= 1 && layersFlag.value >= 1 && headsFlag.value >= 1, "--width, --layers and --heads must be positive")
require(widthFlag.value % headsFlag.value == 0, "--width \(widthFlag.value) must be divisible by --heads \(headsFlag.value)")
require(batchFlag.value >= 1, "--batch-size must be at least 1")
require(stepsFlag.value >= 0 && epochsFlag.value >= 1, "--steps must be at least 0 and --epochs at least 1")
require(lrFlag.value > 0, "--lr must be positive")
require(dropoutFlag.value >= 0 && dropoutFlag.value < 1, "--dropout must be in [0, 1)")
require(evalEveryFlag.value >= 1 && evalBatchesFlag.value >= 0 && saveEveryFlag.value >= 0 && warmupFlag.value >= 0,
        "--eval-every must be positive; --eval-batches, --save-every and --warmup at least 0")
require(bpeVocabulary.value >= 257, "--bpe-vocab must be above 256 (the bytes)")

chapterTitle(14, "The pre-training loop")
say("""
Every earlier chapter ran a model that knew nothing. Here it learns. The loop is short: cut \
the text into windows, predict every next token, measure how wrong the predictions are \
(cross-entropy), push every weight a little in the direction that makes them less wrong \
(backward, then AdamW), and now and then check on text the model never trains on.
""")

// MARK: - 1. Text and tokens

section("1. Text, tokens and a held-out split")
let resumeDirectory = resumeFlag.value.map(checkpointDirectory)
let initDirectory = initFlag.value.map { name in checkpointDirectory(orFail { try resolveModelDirectory(name).path }) }   // a directory, or a Hub id in the cache
/// A resumed run trains on the text it started with, unless --dataset says otherwise.
func resumedDatasetName() -> String? {
    guard let dir = resumeDirectory, !datasetFlag.wasGiven,
          let data = FileManager.default.contents(atPath: dir.appendingPathComponent("training.json").path),
          let state = try? JSONDecoder().decode(TrainingState.self, from: data) else { return nil }
    return state.dataset.name
}
let dataset = orFail { try readDataset(isBook ? "the-verdict" : resumedDatasetName() ?? datasetFlag.value) }
let gpt2Files = dataDirectory().appendingPathComponent("gpt2")
let tokenizer: CheckpointTokenizer = orFail {
    if let dir = resumeDirectory ?? initDirectory { return try CheckpointTokenizer.load(from: dir, gpt2Files: gpt2Files) }
    switch isBook ? "gpt2" : tokenizerFlag.value {
    case "char": return .char(CharTokenizer(training: dataset.text))
    case "bpe": return .bpe(BytePairTokenizer.train(dataset.text, vocabularySize: bpeVocabulary.value))
    default: return .gpt2(try GPT2Tokenizer(directory: gpt2Files))
    }
}
/// The ids of a piece of text; a character the tokenizer has never seen is an error.
func encode(_ text: String) -> [Int] { orFail { try tokenizer.encodeChecked(text) } }
// The book splits the characters 90/10, then tokenizes each part.
let scalars = Array(dataset.text.unicodeScalars)
let splitAt = Int(0.9 * Double(scalars.count))
let trainText = String(String.UnicodeScalarView(scalars[..<splitAt]))
let validationText = String(String.UnicodeScalarView(scalars[splitAt...]))
let trainIDs = encode(trainText), validationIDs = encode(validationText)
let datasetDescription = DatasetDescription(name: dataset.name, ids: trainIDs + validationIDs, trainFraction: 0.9)
say("""
\(dataset.name): \(grouped(scalars.count)) characters. The first 90% is for training, the last 10% \
for validation: the model never learns from it, so its loss there tells how well it does on \
text it has not seen.
""")
table(["split", "characters", "tokens"],
      [["train", grouped(splitAt), grouped(trainIDs.count)],
       ["validation", grouped(scalars.count - splitAt), grouped(validationIDs.count)]], rightAligned: [1, 2])
say("Tokenizer: \(tokenizer.kind), \(grouped(tokenizer.tokenizer.vocabularySize)) tokens in its vocabulary.")

// MARK: - 2. The model

section("2. The model")
let generator = TorchGenerator(seed: isBook ? 123 : UInt64(seedFlag.value))
let config: GPTConfig
var model: GPTModel? = nil
if let dir = initDirectory {
    let loaded = orFail { try GPTModel.load(huggingFace: dir, dropRate: dropoutFlag.value, generator: generator) }
    require(loaded.config.vocabSize >= tokenizer.tokenizer.vocabularySize,
            "\(dir.path): the model has \(loaded.config.vocabSize) token ids but its tokenizer \(tokenizer.tokenizer.vocabularySize)")
    config = loaded.config
    model = loaded
    say("Starting from the weights in \(initFlag.value!): this is fine-tuning, not training from scratch.")
} else if isBook {
    var book = GPTConfig.gpt2Small124M
    book.contextLength = 256
    config = book
    say("The book's GPT_CONFIG_124M with a context of 256, initialised as `torch.manual_seed(123)` would in PyTorch.")
} else if let dir = resumeDirectory {
    require(FileManager.default.fileExists(atPath: dir.appendingPathComponent("training.json").path),
            "\(dir.path)/training.json: not found\nhint: --resume takes the --out directory of an earlier run of this chapter; to start from weights only, use --init-from")
    config = orFail { try GPTConfig(huggingFace: HuggingFaceCheckpoint(directory: dir)) }
    say("Resuming the run in \(resumeFlag.value!).")
} else {
    config = GPTConfig(vocabSize: tokenizer.tokenizer.vocabularySize, contextLength: contextFlag.value,
                       embeddingDim: widthFlag.value, numHeads: headsFlag.value, numLayers: layersFlag.value,
                       dropRate: dropoutFlag.value, qkvBias: false, tiedHead: true)
    say("""
    A GPT like the book's, small enough to train in minutes on a laptop CPU. Two changes from     the book's GPTModel, both GPT-2's: the output head shares the token embedding's weights,     and the weights start from GPT-2's initialisation (normal, standard deviation 0.02).
    """)
}
let context = resumeDirectory == nil && initDirectory == nil && !isBook ? contextFlag.value
    : min(contextFlag.wasGiven ? contextFlag.value : config.contextLength, config.contextLength)
require(context <= config.contextLength, "--context \(context) is longer than the model's \(config.contextLength)")
table(["setting", "value"], [
    ["vocabulary", grouped(config.vocabSize)], ["context length", String(config.contextLength)],
    ["embedding width", String(config.embeddingDim)], ["layers × heads", "\(config.numLayers) × \(config.numHeads)"],
    ["dropout", fixed(config.dropRate, 2)],
], rightAligned: [1])

// MARK: - 3. Windows and batches

section("3. Windows and batches")
let batchSize = isBook ? 2 : batchFlag.value
let stride = strideFlag.value > 0 && !isBook ? strideFlag.value : context
let trainWindows = SlidingWindowDataset(ids: trainIDs, maxLength: context, stride: stride)
let validationWindows = SlidingWindowDataset(ids: validationIDs, maxLength: context, stride: context)
require(trainWindows.count >= batchSize, """
\(dataset.name): the \(grouped(trainIDs.count)) training tokens make \(trainWindows.count) windows of \(context), \
fewer than one batch of \(batchSize)
hint: train on a longer text, or use a smaller --context or --batch-size
""")
require(validationWindows.count >= 1, """
\(dataset.name): the \(grouped(validationIDs.count)) validation tokens do not fill one window of \(context) (+1 for the target)
hint: train on a longer text or use a smaller --context
""")
let batchesPerEpoch = trainWindows.count / batchSize
let steps = stepsFlag.value > 0 ? stepsFlag.value : (isBook && !epochsFlag.wasGiven ? 10 : epochsFlag.value) * batchesPerEpoch
say("""
Windows of \(context) tokens\(stride == context ? "" : ", starting every \(stride) tokens"), each paired with the same window shifted by one token: the \
targets. \(grouped(trainWindows.count)) training windows make \(grouped(batchesPerEpoch)) batches of \(batchSize) per \
epoch (a pass over the training text, in a new shuffled order each time); \
\(grouped(validationWindows.count)) validation window\(validationWindows.count == 1 ? "" : "s"). \
The run takes \(grouped(steps)) step\(steps == 1 ? "" : "s") of \(grouped(batchSize * context)) tokens.
""")

// MARK: - 4. The optimiser and its schedule

let settings = isBook
    ? TrainingSettings(batchSize: 2, steps: steps, learningRate: 4e-4, warmupSteps: 0, cosineDecay: false, beta2: 0.999,
                       weightDecay: 0.1, decayEverything: true, gradientClip: nil,
                       evalEvery: evalEveryFlag.wasGiven ? evalEveryFlag.value : 5, evalBatches: 5, seed: 123)
    : TrainingSettings(batchSize: batchSize, steps: steps, learningRate: lrFlag.value, warmupSteps: min(warmupFlag.value, steps),
                       evalEvery: evalEveryFlag.value, evalBatches: evalBatchesFlag.value == 0 ? nil : evalBatchesFlag.value,
                       seed: UInt64(seedFlag.value))
let trainer: Trainer = orFail {
    if let dir = resumeDirectory {
        return try Trainer.resume(from: dir, trainData: trainWindows, validationData: validationWindows,
                                  dataset: datasetDescription, steps: stepsFlag.value > 0 ? stepsFlag.value : nil)
    }
    let m = model ?? withNoGrad {
        let fresh = GPTModel(config, generator: generator)
        if !isBook { fresh.initializeLikeGPT2(generator: generator) }
        return fresh
    }
    return Trainer(model: m, dropoutGenerator: generator, trainData: trainWindows, validationData: validationWindows, settings: settings)
}
let runSettings = trainer.settings
require(trainer.step < runSettings.steps || resumeDirectory == nil,
        "\(resumeDirectory!.path): the run already took \(trainer.step) of its \(runSettings.steps) steps\nhint: give a larger --steps to train on")
let outDirectory = URL(fileURLWithPath: outFlag.value)
checkWritable(outDirectory)
/// The windows the loss is taken apart on, before and after training (sections 4 and 6).
let byHandWindows = Array(0..<min(2, validationWindows.count))
let byHandShown = tokenizer.kind == "char" ? 6 : 4

/// What an evaluation reads of a split of `count` windows: all of them, or a random sample.
func evaluationCoverage(_ count: Int, _ split: String) -> String {
    let wanted = runSettings.evalBatches.map { $0 * runSettings.batchSize } ?? Int.max
    return wanted >= count ? "all \(grouped(count)) \(split) window\(count == 1 ? "" : "s")"
        : "\(grouped(wanted)) of the \(grouped(count)) \(split) windows"
}
/// Whether evaluations read a random sample of either split rather than all of it.
let evaluationSamples = runSettings.evalBatches.map { $0 * runSettings.batchSize < max(trainWindows.count, validationWindows.count) } ?? false

section("4. Loss before training")
say("""
\(grouped(trainer.model.parameterCount)) parameters. Untrained, the model spreads its \
probability almost evenly over the \(grouped(config.vocabSize)) tokens, so its loss is close to \
ln \(config.vocabSize) = \(fixed(Float(Foundation.log(Double(config.vocabSize))), 5)) — the loss of a uniform guess.
""")
if trainer.step == 0 {
    let untrained = (train: trainer.meanLoss(trainWindows, windows: isBook ? nil : trainer.evaluationWindows(trainWindows, split: .train, step: 0)),
                     validation: trainer.meanLoss(validationWindows,
                                                  windows: isBook ? nil : trainer.evaluationWindows(validationWindows, split: .validation, step: 0)))
    print("train loss: \(fixed(untrained.train, 5))")
    print("val loss:   \(fixed(untrained.validation, 5))")
    if isBook { say("The book prints 10.98758 and 10.98111 for the same model and data.") }
    say("""

    The loss, by hand. For every position of a window the model gives a probability to every \
    token; the loss reads only the probability of the token that really comes next, takes \
    −log of it, and averages over every position of every window. The first \(byHandWindows.count) validation \
    window\(byHandWindows.count == 1 ? "" : "s") (the first \(byHandShown) positions of each shown):
    """)
    showLossByHand(trainer.model, validationWindows, windows: byHandWindows, tokenizer: tokenizer, shown: byHandShown)
    say("""
    Untrained, every token gets about 1/\(grouped(config.vocabSize)): −log of that is ln \(config.vocabSize). The fused \
    `crossEntropy` computes the same mean in one pass (log-sum-exp minus the target's logit, row \
    by row) and its gradient with it; section 6 repeats this table with the trained model.
    """)
} else {
    say("Resumed at step \(trainer.step); the last evaluation was:")
    if let last = trainer.evaluations.last { print("train loss: \(fixed(last.trainLoss, 5))\nval loss:   \(fixed(last.validationLoss, 5))") }
}

// MARK: - 5. The loop

let interruption = Interruption()
interruption.install()                 // from here on, Ctrl-C saves a checkpoint before it stops
section("5. Training")
say("""
Each step: a batch → logits → cross-entropy → backward → \
\(runSettings.gradientClip.map { "clip the gradient's global norm to \(fixed($0, 1)) → " } ?? "")AdamW at \
\(runSettings.warmupSteps == 0 && !runSettings.cosineDecay ? "a constant learning rate of \(scientific(runSettings.learningRate))\(runSettings.gradientClip == nil ? ", no clipping, as the book does" : "")"
   : "the scheduled learning rate (\(runSettings.warmupSteps) warm-up steps\(runSettings.cosineDecay ? ", then a cosine decay from \(scientific(runSettings.learningRate)) to \(scientific(runSettings.minLearningRate))" : ", then constant at \(scientific(runSettings.learningRate))"))"). \
Every \(runSettings.evalEvery) steps: the mean loss over \(evaluationCoverage(trainWindows.count, "training")) and \
\(evaluationCoverage(validationWindows.count, "validation"))\
\(evaluationSamples ? " (a sample is drawn at random from the whole split, anew at each evaluation)" : ""), and a greedy sample.
""")
say("The learning rate of the first steps, and of the middle and last ones:")
showLearningRates(runSettings)
let defaultPrompt = dataset.name == "tinyshakespeare" ? "ROMEO:" : (dataset.name == "the-verdict" ? "Every effort moves you" : String(trainText.prefix(20)))
let prompt = promptFlag.value ?? defaultPrompt
let promptIDs = encode(prompt)
require(!promptIDs.isEmpty, "--prompt is empty")
let sampleTokens = sampleTokensFlag.value > 0 ? sampleTokensFlag.value : (tokenizer.kind == "char" ? 150 : 25)

func sample() -> String {
    let ids = trainer.model.evaluating {
        generate(trainer.model, prompt: Array(promptIDs.suffix(config.contextLength)), maxNewTokens: sampleTokens)
    }
    return tokenizer.tokenizer.decode(promptIDs + ids)
}

let progress = ProgressBar(total: runSettings.steps, enabled: isatty(STDOUT_FILENO) != 0 && !noTiming.value)
let checkpoint = outDirectory.appendingPathComponent("checkpoint")
let checkpointPath = (outFlag.value.hasSuffix("/") ? outFlag.value : outFlag.value + "/") + "checkpoint"   // as the user wrote it
func save() {
    if noSave.value { return }
    orFail { try trainer.saveCheckpoint(to: checkpoint, tokenizer: tokenizer, dataset: datasetDescription) }
}
let started = Date()
let firstStep = trainer.step
while trainer.step < runSettings.steps {
    let loss = trainer.trainStep()
    progress.update(step: trainer.step, loss: loss, tokens: (trainer.step - firstStep) * trainer.tokensPerStep)
    if trainer.isEvaluationStep {
        let e = trainer.evaluate()
        progress.clear()
        print("step \(pad(String(e.step), String(runSettings.steps).count, right: true))/\(runSettings.steps) " +
              "(epoch \(trainer.position.epoch + 1))  train loss: \(fixed(e.trainLoss, 3))  val loss: \(fixed(e.validationLoss, 3))  " +
              "val perplexity: \(fixed(e.validationPerplexity, 1))")
        print("    " + quoted(sample()))
    }
    if saveEveryFlag.value > 0 && trainer.step % saveEveryFlag.value == 0 { save() }
    if interruption.requested || trainer.step == stopAtFlag.value {
        progress.clear()
        save()
        print(noSave.value ? "Stopped at step \(trainer.step) (--no-save: no checkpoint)." : "Stopped at step \(trainer.step). Checkpoint saved to \(checkpointPath).")
        if !noSave.value { print("Continue with: swift run Chapter14_PreTrainingLoop --resume \(outFlag.value)") }
        exit(interruption.requested ? 130 : 0)   // 130: the shell's code for a program ended by Ctrl-C
    }
}
progress.clear()
let elapsed = Date().timeIntervalSince(started)
save()

// MARK: - 6. The losses

section("6. The losses")
let trained = trainer.losses
say("Every batch's training loss, from the first step to the last (\(fixed(trained.first ?? 0, 2)) → \(fixed(trained.last ?? 0, 2))):")
print(sparkline(trained, width: 60))
let evaluations = trainer.evaluations
if evaluations.count >= 2 {
    print(plot(x: evaluations.map { Float($0.step) },
               series: [("train", "t", evaluations.map(\.trainLoss)), ("validation", "v", evaluations.map(\.validationLoss))],
               width: 60, height: 12))
}
if let best = evaluations.min(by: { $0.validationLoss < $1.validationLoss }), let last = evaluations.last {
    let sampled = trainer.evaluationWindows(validationWindows, split: .validation, step: 0).count < validationWindows.count
    say("""
    Lowest validation loss \(fixed(best.validationLoss, 3)) at step \(best.step)\(sampled ? " (each evaluation a random sample of the split)" : ""); \
    at the end train \(fixed(last.trainLoss, 3)), validation \(fixed(last.validationLoss, 3)). \
    \(last.trainLoss < last.validationLoss - 1 ? "The gap between them is overfitting: the model memorises its training text faster than it learns what carries over to new text." : "")
    """)
}
say("""

The same \(byHandWindows.count == 1 ? "window" : "windows") as in section 4, with the trained model: now the probabilities \
differ from token to token, and the loss is their mean −log.
""")
showLossByHand(trainer.model, validationWindows, windows: byHandWindows, tokenizer: tokenizer, shown: byHandShown)
let wholeValidation = trainer.meanLoss(validationWindows)
print("validation loss over the whole split (\(grouped(validationWindows.count)) window\(validationWindows.count == 1 ? "" : "s")): "
      + "\(fixed(wholeValidation, 4)), perplexity \(fixed(Foundation.exp(wholeValidation), 2))")
let unigram = CountedNGram(order: 1, training: trainIDs, vocabularySize: config.vocabSize)
let bigram = CountedNGram(order: 2, training: trainIDs, vocabularySize: config.vocabSize)
say("""

What it must beat, on the same validation windows: models that only count the training text \
(add-one smoothing, so that nothing has probability 0; `CountedNGram` in Shared/LLMKit/Baselines.swift).
""")
table(["on the validation windows", "loss"], [
    ["uniform guess, ln \(config.vocabSize)", fixed(Float(Foundation.log(Double(config.vocabSize))), 4)],
    ["unigram: how often each token occurs", fixed(Float(unigram.meanLoss(on: validationWindows)), 4)],
    ["bigram: how often it follows the token before", fixed(Float(bigram.meanLoss(on: validationWindows)), 4)],
    ["this model, after \(grouped(runSettings.steps)) steps", fixed(wholeValidation, 4)],
], rightAligned: [1])
if bigram.meanLoss(on: validationWindows) > unigram.meanLoss(on: validationWindows) {
    say("""
    With \(grouped(trainIDs.count)) training tokens and \(grouped(config.vocabSize)) possible ones, most pairs were \
    never seen, and add-one smoothing spreads their probability over every token: here the \
    bigram does worse than the unigram. With enough text it wins (tiny Shakespeare by \
    characters: bigram 2.4819, unigram 3.3473, the shipped model 1.5015).
    """)
}
if !noTiming.value {
    say("\(grouped((runSettings.steps - firstStep) * trainer.tokensPerStep)) tokens in \(String(format: "%.1f", elapsed)) s: \(grouped(Int(Double((runSettings.steps - firstStep) * trainer.tokensPerStep) / max(elapsed, 1e-9)))) tokens/s.")
}
let lossFigure = Figures.lineChart(x: evaluations.map { Double($0.step) },
                                   series: [("train", evaluations.map { Double($0.trainLoss) }),
                                            ("validation", evaluations.map { Double($0.validationLoss) })],
                                   title: "Loss during training (\(dataset.name), \(tokenizer.kind) tokens)", xLabel: "step", yLabel: "cross-entropy loss")
options.saveFigure(lossFigure, "loss.svg", into: outFlag.value)

// MARK: - 7. What the model learned

section("7. What the model learned")
let finalSample: [Int] = trainer.model.evaluating {
    let room = config.contextLength - min(promptIDs.count, config.contextLength - 1)
    return generate(trainer.model, prompt: Array(promptIDs.suffix(config.contextLength - 1)), maxNewTokens: min(room, 2 * sampleTokens),
                    sampler: Sampler(greedy: false, temperature: 0.8, seed: UInt64(seedFlag.value)))
}
say("Its own text, sampled at temperature 0.8 (greedy picks, as above, soon repeat themselves):")
print(tokenizer.tokenizer.decode(promptIDs + finalSample).split(separator: "\n", omittingEmptySubsequences: false)
    .map { $0.isEmpty ? "  │" : "  │ " + $0 }.joined(separator: "\n"))
print("")
showLearnedEmbeddings(trainer.model, tokenizer: tokenizer, trainIDs: trainIDs, into: outFlag.value)

section("8. The checkpoint")
if noSave.value {
    say("Nothing saved (--no-save).")
} else {
    say("""
    Saved to \(checkpointPath): config.json and model.safetensors in Hugging Face GPT-2's layout \
    (so the later chapters, and `transformers`, can load it), tokenizer.json, the optimiser's \
    moments and training.json (step, data position, generator state, losses) for --resume.
    """)
    print("Generate from it:  swift run Chapter13_AutoregressiveLoopAndKVCache generate \(checkpointPath) --prompt \(quoted(prompt))")
}
