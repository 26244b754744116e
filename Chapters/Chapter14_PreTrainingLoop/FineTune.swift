// `Chapter14_PreTrainingLoop finetune classify|instruct|lora`: after pre-training, the book's
// chapters 6 and 7 and its appendix E. This file holds what the three subcommands share: the
// flags every run takes, loading the pre-trained model, and the loop (the progress bar,
// evaluations, checkpoints and Ctrl-C of pre-training). The tasks are in FineTuneClassify.swift,
// FineTuneInstruct.swift and FineTuneLoRA.swift; the library code in Shared/LLMKit/FineTuning.

import CourseKit
import Foundation
import LLMKit
import TensorKit
import Tokenizers

/// Runs `finetune SUBCOMMAND [flags]` (the arguments after "finetune") and exits.
func runFineTuning(_ arguments: [String]) -> Never {
    let subcommands = ["classify": runClassify, "instruct": runInstruct, "lora": runLoRA]
    guard let name = arguments.first, let run = subcommands[name] else {
        let usage = """
        Chapter14_PreTrainingLoop finetune — after pre-training: fine-tune a GPT

        Usage: swift run Chapter14_PreTrainingLoop finetune SUBCOMMAND [flags]

          classify   a classifier: who says a line of the play (the book's chapter 6)
          instruct   an instruction follower: Alpaca-style prompts and answers (chapter 7)
          lora       the classifier trained through LoRA adapters only (appendix E)

        Each takes --help. They start from the shipped data/shakespeare-char model, or from
        --init-from DIR (a Hugging Face GPT-2 download or a checkpoint of this chapter).
        """
        let first = arguments.first
        if first == nil || first == "--help" || first == "-h" { print(usage); exit(0) }
        FileHandle.standardError.write(Data("error: unknown finetune subcommand '\(first!)': use classify, instruct or lora\nRun 'Chapter14_PreTrainingLoop finetune --help' to see them.\n".utf8))
        exit(2)
    }
    run(Array(arguments.dropFirst()))
    exit(0)
}

/// What a fine-tuning run is: the flags every subcommand takes, and its checks.
final class FineTuneCommand {
    let options: Options
    let initFrom: Options.Flag<String?>
    let resume: Options.Flag<String?>
    let loraRank: Options.Flag<Int>
    let loraAlpha: Options.Flag<Float>
    let epochs: Options.Flag<Int>
    let steps: Options.Flag<Int>
    let batchSize: Options.Flag<Int>
    let learningRate: Options.Flag<Float>
    let weightDecay: Options.Flag<Float>
    let dropout: Options.Flag<Float>
    let evalEvery: Options.Flag<Int>
    let evalBatches: Options.Flag<Int>
    let seed: Options.Flag<Int>
    let stopAt: Options.Flag<Int>
    let saveEvery: Options.Flag<Int>
    let out: Options.Flag<String>
    let noSave: Options.Flag<Bool>
    let noTiming: Options.Flag<Bool>

    /// Declares the shared flags; the subcommand declares its own, then calls `parse()`.
    init(_ subcommand: String, summary: String, arguments: [String],
         epochs defaultEpochs: Int, learningRate defaultRate: Float, evalEvery defaultEvalEvery: Int, lora defaultRank: Int = 0) {
        options = Options(program: "Chapter14_PreTrainingLoop finetune \(subcommand)", summary: summary, arguments: arguments)
        initFrom = options.optionalString("--init-from", help: "start from this model: a Hugging Face GPT-2 directory or a checkpoint of this chapter (default: data/shakespeare-char)", placeholder: "DIR")
        resume = options.optionalString("--resume", help: "continue the fine-tuning run saved in DIR exactly where it stopped", placeholder: "DIR")
        loraRank = options.int("--lora", default: defaultRank, help: "train LoRA adapters of this rank on every Linear instead (0: no LoRA)")
        loraAlpha = options.float("--alpha", default: 0, help: "LoRA's alpha: the update is scaled by alpha/rank (0: alpha = rank)")
        epochs = options.int("--epochs", default: defaultEpochs, help: "passes over the training examples (when --steps is 0)")
        steps = options.int("--steps", default: 0, help: "optimiser steps (0: as many as --epochs take)")
        batchSize = options.int("--batch-size", default: 8, help: "examples per batch")
        learningRate = options.float("--lr", default: defaultRate, help: "learning rate (constant, as the book's)")
        weightDecay = options.float("--weight-decay", default: 0.1, help: "AdamW's weight decay")
        dropout = options.float("--dropout", default: 0, help: "dropout while training (the book fine-tunes with 0)")
        evalEvery = options.int("--eval-every", default: defaultEvalEvery, help: "evaluate every N steps")
        evalBatches = options.int("--eval-batches", default: 5, help: "batches of each split per evaluation (0: all)")
        seed = options.int("--seed", default: 123, help: "seed of the new head, LoRA's A matrices, dropout and the batch order")
        stopAt = options.int("--stop-at", default: 0, help: "stop after step N as if interrupted, saving a checkpoint to --resume from (0: run to the end)")
        saveEvery = options.int("--save-every", default: 0, help: "also save a checkpoint every N steps (0: only at the end and on Ctrl-C)")
        out = options.string("--out", default: "runs/finetune-\(subcommand)", help: "directory for the checkpoint and what the run writes", placeholder: "DIR")
        noSave = options.flag("--no-save", help: "write no checkpoint")
        noTiming = options.flag("--no-timing", help: "print no measured speeds or times (for repeatable output)")
    }

    /// Reads the arguments and checks the shared flags.
    func parse() {
        options.parse()
        if !options.positional.isEmpty { fail("unexpected argument '\(options.positional[0])'") }
        require(resume.value == nil || initFrom.value == nil, "--resume and --init-from cannot be combined: --resume continues a run, --init-from starts a new one")
        require(loraRank.value >= 0, "--lora must be at least 0 (0: no LoRA)")
        require(loraAlpha.value >= 0, "--alpha must be at least 0 (0: the rank)")
        require(epochs.value >= 1 && steps.value >= 0, "--epochs must be at least 1 and --steps at least 0")
        require(batchSize.value >= 1, "--batch-size must be at least 1")
        require(learningRate.value > 0, "--lr must be positive")
        require(weightDecay.value >= 0, "--weight-decay must be at least 0")
        require(dropout.value >= 0 && dropout.value < 1, "--dropout must be in [0, 1)")
        require(evalEvery.value >= 1 && evalBatches.value >= 0 && saveEvery.value >= 0 && stopAt.value >= 0,
                "--eval-every must be positive; --eval-batches, --save-every and --stop-at at least 0")
    }

    /// Stops with `error: …` and exit code 2.
    func fail(_ message: String) -> Never { options.fail(message) }

    func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fail(message()) }
    }

    /// Runs `body`; an error (a missing file, a bad checkpoint) ends the program with its message.
    func orFail<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch { fail("\(error)") }
    }

    /// LoRA's rank and alpha from the flags (alpha defaults to the rank), or nil.
    var lora: (rank: Int, alpha: Float)? {
        loraRank.value == 0 ? nil : (loraRank.value, loraAlpha.value == 0 ? Float(loraRank.value) : loraAlpha.value)
    }

    var outDirectory: URL { URL(fileURLWithPath: out.value) }
    /// The checkpoint's path as the user wrote --out.
    var checkpointPath: String { (out.value.hasSuffix("/") ? out.value : out.value + "/") + "checkpoint" }

    /// Checks that `--out` can be written before any work is done.
    func checkWritable() {
        let probe = outDirectory.appendingPathComponent(".write-test-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: outDirectory, withIntermediateDirectories: true)
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            fail("\(outDirectory.path): cannot write there (\(error.localizedDescription))\nhint: choose a writable directory with --out")
        }
    }

    /// The run's AdamW settings: the book's (constant rate, β2 0.999, decay on every trainable
    /// parameter, no clipping), evaluating every --eval-every steps.
    func settings(steps: Int) -> TrainingSettings {
        TrainingSettings(batchSize: batchSize.value, steps: steps, learningRate: learningRate.value, warmupSteps: 0,
                         cosineDecay: false, beta2: 0.999, weightDecay: weightDecay.value, decayEverything: true,
                         gradientClip: nil, evalEvery: evalEvery.value,
                         evalBatches: evalBatches.value == 0 ? nil : evalBatches.value, seed: UInt64(seed.value))
    }

    // MARK: - The pre-trained model

    /// The model to fine-tune and its tokenizer: --init-from DIR, or the shipped character model.
    func loadBase(generator: TorchGenerator) -> (model: GPTModel, tokenizer: CheckpointTokenizer, name: String) {
        let data = dataDirectory()
        let name = initFrom.value ?? "data/shakespeare-char"
        let directory = initFrom.value.map { URL(fileURLWithPath: $0) } ?? data.appendingPathComponent("shakespeare-char")
        let model = orFail { try GPTModel.load(huggingFace: directory, dropRate: dropout.value, generator: generator) }
        let tokenizer = orFail { try CheckpointTokenizer.load(from: directory, gpt2Files: data.appendingPathComponent("gpt2")) }
        require(model.config.vocabSize >= tokenizer.tokenizer.vocabularySize,
                "\(directory.path): the model has \(model.config.vocabSize) token ids but its tokenizer \(tokenizer.tokenizer.vocabularySize)")
        return (model, tokenizer, name)
    }

    /// The checkpoint directory of a --resume run directory (or the directory itself).
    var resumeDirectory: URL? { resume.value.map(checkpointDirectory) }
}

// MARK: - The loop

/// What the loop calls back into: a line after each evaluation, something after each epoch.
struct LoopHooks {
    var afterEvaluation: (Evaluation) -> Void = { _ in }
    var afterEpoch: () -> Void = {}
}

/// Runs `tuner` to its last step as pre-training does: a progress bar on a terminal, an
/// evaluation every --eval-every steps, checkpoints every --save-every steps and at the end,
/// and on Ctrl-C or --stop-at a checkpoint and exit. Returns the seconds it took, on the
/// clock and of processor time (summed over the threads: on a busy machine the clock time
/// grows, the processor time does not).
func trainToTheEnd(_ tuner: FineTuner, command: FineTuneCommand, tokensSeen: () -> Int, hooks: LoopHooks,
                   save: () -> Void) -> (seconds: Double, cpuSeconds: Double) {
    let interruption = Interruption()
    interruption.install()
    let progress = ProgressBar(total: tuner.settings.steps, enabled: isatty(STDOUT_FILENO) != 0 && !command.noTiming.value)
    let started = Date(), startedCPU = clock()
    let width = String(tuner.settings.steps).count
    while tuner.step < tuner.settings.steps {
        let loss = tuner.trainStep()
        progress.update(step: tuner.step, loss: loss, tokens: tokensSeen())
        if tuner.isEvaluationStep {
            let e = tuner.evaluate()
            progress.clear()
            print("step \(pad(String(e.step), width, right: true))/\(tuner.settings.steps) (epoch \(tuner.position.epoch + 1))  "
                  + "train loss: \(fixed(e.trainLoss, 3))  val loss: \(fixed(e.validationLoss, 3))")
            hooks.afterEvaluation(e)
        }
        if tuner.finishedEpoch { progress.clear(); hooks.afterEpoch() }
        if command.saveEvery.value > 0 && tuner.step % command.saveEvery.value == 0 { save() }
        if interruption.requested || tuner.step == command.stopAt.value {
            progress.clear()
            save()
            print(command.noSave.value ? "Stopped at step \(tuner.step) (--no-save: no checkpoint)."
                                       : "Stopped at step \(tuner.step). Checkpoint saved to \(command.checkpointPath).")
            if !command.noSave.value {
                print("Continue with: swift run Chapter14_PreTrainingLoop finetune \(command.options.program.split(separator: " ").last!) --resume \(command.out.value)")
            }
            exit(interruption.requested ? 130 : 0)   // 130: the shell's code for a program ended by Ctrl-C
        }
    }
    progress.clear()
    return (Date().timeIntervalSince(started), Double(clock() - startedCPU) / Double(CLOCKS_PER_SEC))
}

/// Says `text` unless --no-timing asks for repeatable output.
func timing(_ command: FineTuneCommand, _ text: @autoclosure () -> String) {
    if !command.noTiming.value { say(text()) }
}

/// "896 steps (845,264 tokens) in 171.9 s (65.4 s of processor time)."
func loopTiming(_ steps: Int, tokens: Int, _ elapsed: (seconds: Double, cpuSeconds: Double)) -> String {
    "\(grouped(steps)) steps (\(grouped(tokens)) tokens) in \(String(format: "%.1f", elapsed.seconds)) s "
        + "(\(String(format: "%.1f", elapsed.cpuSeconds)) s of processor time over the cores)."
}
