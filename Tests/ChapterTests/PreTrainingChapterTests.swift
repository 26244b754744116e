import Foundation
import LLMKit
import XCTest

/// Chapter 14: a short deterministic run, exact resumption through the command, the book's
/// untrained losses, and clear errors for bad input.
final class PreTrainingChapterTests: XCTestCase {
    let chapter = "Chapter14_PreTrainingLoop"
    /// A tiny model on the-verdict: seconds, not minutes.
    let tiny = ["--context", "32", "--width", "32", "--layers", "2", "--heads", "2", "--batch-size", "4",
                "--eval-every", "3", "--eval-batches", "2", "--sample-tokens", "8", "--no-timing"]

    /// A fresh directory under .build (relative to the package root, where chapters run).
    func scratch(_ name: String) -> String {
        let path = ".build/chapter14-tests/\(name)-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(at: packageRoot.appendingPathComponent(path)) }
        return path
    }

    func testShortRunMatchesExpectedOutput() throws {
        try assertMatchesExpected(chapter, tiny + ["--steps", "6", "--out", ".build/chapter14-tests/expected"])
        try? FileManager.default.removeItem(at: packageRoot.appendingPathComponent(".build/chapter14-tests/expected"))
    }

    func testCharacterRunLearns() throws {
        let out = scratch("char")
        let run = try runChapter(chapter, tiny + ["--tokenizer", "char", "--steps", "60", "--eval-every", "30", "--lr", "3e-3",
                                                  "--no-save", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        let losses = evaluationLines(run.stdout)
        XCTAssertEqual(losses.count, 2)
        XCTAssertTrue(run.stdout.contains("ln 62 = 4.12713"), "the-verdict has 62 distinct characters")
        XCTAssertLessThan(losses.last!.validation, 3.5, "60 steps take a character model well below the uniform 4.13")
    }

    /// A 6-step run stopped after step 3 (as Ctrl-C would) and resumed gives exactly the losses
    /// of the uninterrupted run: every batch loss and evaluation, bit for bit, from the runs'
    /// training.json (which holds them at full precision), and the lines they print.
    func testResumeThroughTheCommandEqualsTheUninterruptedRun() throws {
        let whole = scratch("whole"), half = scratch("half")
        let uninterrupted = try runChapter(chapter, tiny + ["--steps", "6", "--out", whole])
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)
        let first = try runChapter(chapter, tiny + ["--steps", "6", "--stop-at", "3", "--out", half])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Stopped at step 3. Checkpoint saved to \(half)/checkpoint."))
        let stopped = try trainingState(half)
        let resumed = try runChapter(chapter, ["--resume", half, "--out", half, "--no-timing"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("Resuming the run in"))

        // The numbers themselves, at full precision.
        let reference = try trainingState(whole), continued = try trainingState(half)
        XCTAssertEqual(reference.step, 6)
        XCTAssertEqual(continued.step, 6)
        XCTAssertEqual(reference.losses.count, 6, "one loss per step")
        XCTAssertEqual(stopped.losses.map(\.bitPattern), reference.losses.prefix(3).map(\.bitPattern), "the first 3 steps")
        XCTAssertEqual(continued.losses.map(\.bitPattern), reference.losses.map(\.bitPattern), "all 6 batch losses")
        XCTAssertEqual(reference.evaluations.map(\.step), [3, 6])
        XCTAssertEqual(continued.evaluations.map(bits), reference.evaluations.map(bits), "both evaluations")

        // What the runs print from them.
        let printed = evaluationLines(uninterrupted.stdout).map(\.line)
        XCTAssertEqual(printed.count, 2, uninterrupted.stdout)
        XCTAssertEqual(evaluationLines(resumed.stdout).map(\.line), Array(printed.suffix(1)))
        let sparkline = try XCTUnwrap(sparklineLine(uninterrupted.stdout), uninterrupted.stdout)
        XCTAssertEqual(sparklineLine(resumed.stdout), sparkline, "the batch losses of all 6 steps")
    }

    /// A run with a BPE trained on the text, and chapter 13 generating from its checkpoint
    /// with the checkpoint's own tokenizer.
    func testBPERunAndGenerateFromItsCheckpoint() throws {
        let out = scratch("bpe")
        let run = try runChapter(chapter, tiny + ["--tokenizer", "bpe", "--bpe-vocab", "300", "--steps", "4", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Tokenizer: bpe, 300 tokens in its vocabulary."))
        let merges = try String(contentsOf: packageRoot.appendingPathComponent("\(out)/checkpoint/bpe-merges.txt"), encoding: .utf8)
        XCTAssertEqual(merges.split(separator: "\n").filter { !$0.hasPrefix("#") }.count, 44, "300 − 256 merges")
        let generated = try runChapter("Chapter13_AutoregressiveLoopAndKVCache",
                                       ["generate", "\(out)/checkpoint", "--prompt", "Every effort", "--max-new-tokens", "5", "--json"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let ids = try XCTUnwrap(generated.stdout.split(separator: "\n").last.flatMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }?["ids"] as? [Int])
        XCTAssertEqual(ids.count, 5)
        XCTAssertTrue(ids.allSatisfy { $0 >= 0 && $0 < 300 })
    }

    /// The loss by hand (sections 4 and 6): the mean of −log p computed in Double equals the
    /// fused crossEntropy to the printed digit, before and after training; every printed −log p
    /// is −log of its printed p; perplexity is e^loss; ln V is ln 50257. The learning-rate table
    /// follows the formulas, computed here: linear warm-up over 4 steps, then the half cosine
    /// from 1e-3 down to 1e-4 at step 12.
    func testLossByHandAndTheLearningRates() throws {
        let run = try runChapter(chapter, tiny + ["--steps", "12", "--warmup", "4", "--no-save", "--out", scratch("byhand")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.components(separatedBy: "\n")
        let byHand = lines.filter { $0.hasPrefix("mean of −log p over all 64 targets (2 × 32), by hand: ") }
        let fused = lines.filter { $0.hasPrefix("crossEntropy on the same logits (TensorKit, fused): ") }
        XCTAssertEqual(byHand.count, 2, "before and after training")
        XCTAssertEqual(byHand.map { $0.split(separator: " ").last! }, fused.map { $0.split(separator: " ").last! })
        let losses = byHand.map { Double($0.split(separator: " ").last!)! }
        XCTAssertLessThan(losses[1], losses[0], "training lowered it")
        for (loss, line) in zip(losses, lines.filter { $0.hasPrefix("perplexity e^loss: ") }) {
            let perplexity = Double(line.dropFirst("perplexity e^loss: ".count).prefix { $0 != ";" })!
            XCTAssertEqual(perplexity, exp(loss), accuracy: exp(loss) * 1e-5 + 0.05, line)   // the loss is printed to 5 decimals
            XCTAssertTrue(line.contains("ln 50257 = \(String(format: "%.5f", log(50257.0))), perplexity 50,257"), line)
        }
        var rows = 0
        for line in lines where line.range(of: #"^ +[01] +[0-3]  …"#, options: .regularExpression) != nil {
            let cells = line.split(separator: " ")
            let (p, nll) = (Double(cells[cells.count - 2])!, Double(cells[cells.count - 1])!)
            XCTAssertEqual(nll, -log(p), accuracy: 2e-3 * nll, line)
            rows += 1
        }
        XCTAssertEqual(rows, 2 * 2 * 4, "4 positions of 2 windows, before and after")
        let (peak, floor, warmup, steps) = (1e-3, 1e-4, 4, 12)
        var rates = 0
        for line in lines where line.range(of: #"^ +\d+ +0\.\d{6}  "#, options: .regularExpression) != nil {
            let cells = line.split(separator: " ")
            let step = Int(cells[0])! - 1
            let expected = step < warmup ? peak * Double(step + 1) / Double(warmup)
                : floor + 0.5 * (1 + cos(Double.pi * Double(step - warmup) / Double(steps - 1 - warmup))) * (peak - floor)
            XCTAssertEqual(Double(cells[1])!, expected, accuracy: 5e-7, line)
            rates += 1
        }
        XCTAssertEqual(rates, 4 + 2 + 2, "warm-up, two more, the middle and the last step")
    }

    /// Fine-tuning: a new run starting from a checkpoint's weights and tokenizer.
    func testInitFromACheckpointFineTunes() throws {
        let base = scratch("base"), tuned = scratch("tuned")
        let first = try runChapter(chapter, tiny + ["--tokenizer", "char", "--steps", "30", "--lr", "3e-3", "--out", base])
        XCTAssertEqual(first.status, 0, first.stderr)
        let run = try runChapter(chapter, ["--init-from", base, "--steps", "2", "--eval-every", "1", "--eval-batches", "2",
                                           "--batch-size", "4", "--no-timing", "--out", tuned])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Starting from the weights in"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Tokenizer: char, 62 tokens"), "the checkpoint's own tokenizer")
        // it starts where the base model ended, far below the uniform ln 62 = 4.13
        let untrained = run.stdout.components(separatedBy: "train loss: ")[1].prefix(7)
        XCTAssertLessThan(Float(untrained)!, 3.6, run.stdout)
        // a Hugging Face GPT-2 whose vocabulary is not GPT-2's tokenizer's is refused clearly
        let fixture = packageRoot.appendingPathComponent("Tests/Fixtures/gpt2-tiny").path
        let bad = try runChapter(chapter, ["--init-from", fixture, "--steps", "1", "--out", tuned])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("the model has 1000 token ids but its tokenizer 50257"), bad.stderr)
    }

    /// A model trained further in PyTorch (Tests/Fixtures/hf-roundtrip, saved by transformers'
    /// save_pretrained) comes back with --init-from and generates in chapter 13.
    func testInitFromAModelTrainedInPyTorch() throws {
        let fixture = packageRoot.appendingPathComponent("Tests/Fixtures/hf-roundtrip/shakespeare-char-pytorch").path
        let run = try runChapter(chapter, ["--init-from", fixture, "--dataset", "tinyshakespeare",
                                           "--context", "64", "--steps", "1", "--batch-size", "2", "--eval-every", "1",
                                           "--eval-batches", "1", "--sample-tokens", "4", "--no-timing", "--no-save"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("Starting from the weights in"), run.stdout)
        XCTAssertTrue(run.stdout.contains("Tokenizer: char, 65 tokens"), "the checkpoint's own tokenizer")
        let loss = Float(run.stdout.components(separatedBy: "train loss: ")[1].prefix(6))!
        XCTAssertLessThan(loss, 2.0, "a trained model, far below the uniform ln 65 = 4.17")
        let generated = try runChapter("Chapter13_AutoregressiveLoopAndKVCache",
                                       ["generate", fixture, "--prompt", "ROMEO:", "--max-new-tokens", "8", "--json"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
    }

    /// Ctrl-C during training saves a checkpoint after the step under way and exits with 130.
    func testControlCSavesACheckpoint() throws {
        let out = scratch("interrupted")
        let process = Process()
        process.executableURL = try chapterExecutable(chapter)
        process.arguments = tiny + ["--steps", "100000", "--eval-every", "1000", "--out", out]
        process.currentDirectoryURL = packageRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        while !String(decoding: seen, as: UTF8.self).contains("5. Training") && Date() < deadline {
            seen += pipe.fileHandleForReading.availableData
        }
        Thread.sleep(forTimeInterval: 0.5)          // some steps into the loop
        process.interrupt()                          // SIGINT, as Ctrl-C
        seen += pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: seen, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 130, text)
        let stopped = try XCTUnwrap(text.components(separatedBy: "Stopped at step ").dropFirst().first?.prefix { $0.isNumber })
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: packageRoot.appendingPathComponent("\(out)/checkpoint/training.json"))) as! [String: Any]
        XCTAssertEqual(state["step"] as? Int, Int(stopped), "the checkpoint holds the step the run stopped at")
        XCTAssertTrue(text.contains("Continue with: swift run Chapter14_PreTrainingLoop --resume \(out)"))
    }

    /// The book's GPT-2 124M at seed 123 on the-verdict before training (Raschka, ch. 5).
    func testBookUntrainedLosses() throws {
        let run = try runChapter(chapter, ["--book", "--steps", "1", "--no-save", "--no-timing", "--out", scratch("book")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("train loss: 10.98758\nval loss:   10.98111\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("18 training windows make 9 batches of 2 per epoch"))
        XCTAssertTrue(run.stdout.contains("162,419,712 parameters"))
    }

    func testBadInputGetsAClearErrorBeforeTraining() throws {
        let directory = packageRoot.appendingPathComponent(scratch("bad"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let empty = directory.appendingPathComponent("empty.txt"), short = directory.appendingPathComponent("short.txt")
        try Data().write(to: empty)
        try Data("Just a few words.".utf8).write(to: short)
        let cases: [([String], String)] = [
            (["--dataset", empty.path], "empty.txt: is empty"),
            (["--dataset", short.path], "fewer than one batch of 4"),
            (["--dataset", directory.appendingPathComponent("missing.txt").path], "missing.txt: not found"),
            (["--resume", directory.path], "training.json: not found"),
            (["--out", "/dev/null/run"], "/dev/null/run: cannot write there"),
            (["--tokenizer", "words"], "--tokenizer must be gpt2, char or bpe"),
            (["--width", "30", "--heads", "4"], "--width 30 must be divisible by --heads 4"),
            (["--book", "--lr", "1"], "--book fixes the data"),
        ]
        for (arguments, message) in cases {
            let run = try runChapter(chapter, tiny + ["--steps", "2", "--out", directory.path] + arguments)
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            XCTAssertFalse(run.stdout.contains("5. Training"), "\(arguments): stopped before training")
        }
    }

    // MARK: - Reading the output

    /// The training.json of the checkpoint a run wrote into `out`.
    func trainingState(_ out: String) throws -> TrainingState {
        let url = packageRoot.appendingPathComponent("\(out)/checkpoint/training.json")
        return try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: url))
    }

    /// An evaluation as exact bits, so that equality means bit for bit.
    func bits(_ e: Evaluation) -> [UInt32] { [UInt32(e.step), e.trainLoss.bitPattern, e.validationLoss.bitPattern] }

    func evaluationLines(_ out: String) -> [(line: String, validation: Float)] {
        out.split(separator: "\n").filter { $0.hasPrefix("step ") && $0.contains("val loss:") }.map { line in
            let value = line.components(separatedBy: "val loss: ")[1].split(separator: " ")[0]
            return (String(line), Float(value)!)
        }
    }

    func sparklineLine(_ out: String) -> String? {
        let lines = out.components(separatedBy: "\n")
        guard let i = lines.firstIndex(where: { $0.hasPrefix("Every batch's training loss") }) else { return nil }
        return lines[i] + "\n" + lines[i + 1]
    }
}
