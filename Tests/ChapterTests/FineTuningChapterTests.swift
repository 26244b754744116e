import Foundation
import XCTest

/// Chapter 14's `finetune` subcommands, run as a learner runs them: the book's figures
/// (collate outputs, masked losses, LoRA's trainable-parameter counts), short classification
/// and instruction runs end to end, exact resumption, and clear errors for bad input.
final class FineTuningChapterTests: XCTestCase {
    let chapter = "Chapter14_PreTrainingLoop"
    /// A small, quick classification task: two speakers of Coriolanus.
    let tinyClassify = ["finetune", "classify", "--speakers", "Nurse,KING RICHARD II", "--batch-size", "8", "--eval-every", "2",
                        "--eval-batches", "1", "--no-timing"]

    func scratch(_ name: String) -> String {
        let path = ".build/chapter14-tests/finetune-\(name)-\(UUID().uuidString.prefix(8))"
        addTeardownBlock { try? FileManager.default.removeItem(at: packageRoot.appendingPathComponent(path)) }
        return path
    }

    /// The book's section 7.3 prints exactly these tensors and losses.
    func testInstructBookPrintsTheBooksCollateAndLosses() throws {
        let run = try runChapter(chapter, ["finetune", "instruct", "--book"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("""
        tensor([[    0,     1,     2,     3,     4],
                [    5,     6, 50256, 50256, 50256],
                [    7,     8,     9, 50256, 50256]])
        tensor([[    1,     2,     3,     4, 50256],
                [    6, 50256,  -100,  -100,  -100],
                [    8,     9, 50256,  -100,  -100]])
        """), run.stdout)
        XCTAssertTrue(run.stdout.contains("loss_1 (targets [0, 1]):          tensor(1.1269)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("loss_2 (targets [0, 1, 1]):       tensor(0.7936)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("loss_3 (targets [0, 1, -100]):    tensor(1.1269)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("loss_1 == loss_3: true"), run.stdout)
    }

    /// Appendix E's counts, from the module tree of a randomly initialised GPT-2 124M classifier.
    func testLoRABookPrintsTheBooksCounts() throws {
        let run = try runChapter(chapter, ["finetune", "lora", "--book", "--no-timing"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("""
        Total trainable parameters before: 124,441,346
        Total trainable parameters after: 0
        Total trainable LoRA parameters: 2,666,528
        """), run.stdout)
    }

    func testClassifyRunsAndLearns() throws {
        let run = try runChapter(chapter, tinyClassify + ["--epochs", "2", "--lr", "2e-3", "--eval-every", "50", "--out", scratch("classify"),
                                                          "--text", "Marry, sir, I know not"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let out = run.stdout
        // the padded and the unpadded passage give the same logits
        let alone = try XCTUnwrap(out.components(separatedBy: "tokens):          logits ").dropFirst().first?.prefix { $0 != "\n" })
        let padded = try XCTUnwrap(out.components(separatedBy: "in the batch: logits ").dropFirst().first?.prefix { $0 != "\n" })
        XCTAssertEqual(alone, padded)
        XCTAssertTrue(out.contains("after freezing        198,402"), "the last block, ln_f and the 128 × 2 head")
        XCTAssertTrue(out.contains("    after epoch 2: train accuracy"), out)
        let train = try XCTUnwrap(out.split(separator: "\n").first { $0.hasPrefix("train  ") })
        let percents = train.split(separator: " ").filter { $0.hasSuffix("%") }.map { Float($0.dropLast())! }
        XCTAssertEqual(percents.count, 2)
        XCTAssertGreaterThan(percents[1], percents[0] + 10, "training accuracy rises: \(train)")
        XCTAssertTrue(out.contains("\"Marry, sir, I know not\" → "), out)
    }

    /// Stopped after step 3 of 6 and resumed: the same evaluations and the same final accuracies.
    func testClassifyResumeEqualsTheUninterruptedRun() throws {
        let whole = scratch("whole"), half = scratch("half")
        let arguments = tinyClassify + ["--steps", "6", "--train-blocks", "2"]
        let uninterrupted = try runChapter(chapter, arguments + ["--out", whole])
        XCTAssertEqual(uninterrupted.status, 0, uninterrupted.stderr)
        let first = try runChapter(chapter, arguments + ["--stop-at", "3", "--out", half])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("Stopped at step 3. Checkpoint saved to \(half)/checkpoint."), first.stdout)
        XCTAssertTrue(first.stdout.contains("Continue with: swift run Chapter14_PreTrainingLoop finetune classify --resume \(half)"))
        let resumed = try runChapter(chapter, ["finetune", "classify", "--resume", half, "--out", half, "--no-timing"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        /// The last two evaluations and the accuracies after training (the table's last column).
        func tail(_ out: String) -> [String] {
            let lines = out.components(separatedBy: "\n")
            let evaluations = lines.filter { $0.hasPrefix("step ") && $0.contains("val loss") }
            let after = lines.drop { !$0.hasPrefix("6. After fine-tuning") }.dropFirst(4).prefix(3)
            return Array(evaluations.suffix(2)) + after.map { String($0.split(separator: " ").last!) }
        }
        XCTAssertEqual(tail(resumed.stdout), tail(uninterrupted.stdout))
        XCTAssertEqual(tail(resumed.stdout).count, 5)
        XCTAssertTrue(tail(resumed.stdout).last!.hasSuffix("%"))
    }

    /// From the shipped model: grown to hold the instructions, trained for two steps, answers
    /// written as JSON Lines; with LoRA, chapter 13 then generates from the checkpoint.
    func testInstructRunsEndToEnd() throws {
        let out = scratch("instruct")
        let run = try runChapter(chapter, ["finetune", "instruct", "--steps", "2", "--batch-size", "2", "--eval-every", "1",
                                           "--eval-batches", "1", "--test-count", "2", "--max-new-tokens", "12", "--no-timing",
                                           "--lora", "2", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("step 2/2 (epoch 1)  train loss: "), run.stdout)
        XCTAssertTrue(run.stdout.contains("after freezing              0\nwith LoRA adapters     18,432"), run.stdout)
        let url = packageRoot.appendingPathComponent(out + "/test-responses.jsonl")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        XCTAssertEqual(Set(first.keys), ["instruction", "input", "output", "model_response"])
        XCTAssertEqual(first["instruction"], "Rewrite the sentence using a simile.", "the book's first test example")
        XCTAssertEqual(first["output"], "The car is as fast as lightning.")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent(out).path)
        XCTAssertFalse(leftovers.contains { $0.hasSuffix(".tmp") || $0.hasSuffix(".partial") }, "\(leftovers)")
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent(out + "/checkpoint").path)
        XCTAssertTrue(files.contains("adapter.safetensors"), "\(files)")
        let generated = try runChapter("Chapter13_AutoregressiveLoopAndKVCache",
                                       ["generate", out + "/checkpoint", "--prompt", "### Instruction:", "--max-new-tokens", "5", "--json"])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertTrue(generated.stdout.contains("\"ids\""), generated.stdout)
    }

    func testHelpForEachSubcommand() throws {
        for (arguments, expected) in [(["finetune", "--help"], "classify   a classifier"),
                                      (["finetune", "classify", "--help"], "--speakers A,B"),
                                      (["finetune", "instruct", "--help"], "--max-new-tokens N"),
                                      (["finetune", "lora", "--help"], "--alpha X")] {
            let run = try runChapter(chapter, arguments)
            XCTAssertEqual(run.status, 0, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stdout.contains(expected), "\(arguments): \(run.stdout)")
            XCTAssertTrue(arguments.count == 2 || run.stdout.contains("--init-from DIR"), "\(arguments)")
        }
    }

    func testBadInputGetsAClearError() throws {
        let out = scratch("bad")
        let instructRun = scratch("instruct-run")
        let made = try runChapter(chapter, ["finetune", "instruct", "--steps", "1", "--batch-size", "2", "--eval-batches", "1",
                                            "--test-count", "1", "--max-new-tokens", "2", "--no-timing", "--out", instructRun])
        XCTAssertEqual(made.status, 0, made.stderr)
        let cases: [([String], String)] = [
            (["finetune", "bogus"], "unknown finetune subcommand 'bogus'"),
            (["finetune", "classify", "--lr", "0"], "--lr must be positive"),
            (["finetune", "classify", "--lr", "fast"], "--lr: 'fast' is not a valid number"),
            (["finetune", "classify", "--epoch", "2"], "unknown flag --epoch (did you mean --epochs?)"),
            (["finetune", "classify", "--speakers", "ROMEO,NOBODY"], "nobody called 'NOBODY' speaks"),
            (["finetune", "classify", "--speakers", "ROMEO"], "--speakers needs at least two different classes"),
            (["finetune", "classify", "--train-blocks", "9"], "--train-blocks 9: the model has 4 blocks"),
            (["finetune", "lora", "--lora", "-1"], "--lora must be at least 0"),
            (["finetune", "classify", "--resume", out + "/missing"], "training.json: not found"),
            (["finetune", "classify", "--resume", instructRun], "it is a run of finetune instruct, not of a classifier"),
            (["finetune", "classify", "--init-from", "Tests/Fixtures/gpt2-tiny"], "the model has 1000 token ids but its tokenizer 50257"),
            (["finetune", "instruct", "--data", out + "/none.json"], "none.json: not found"),
            (["finetune", "instruct", "--out", "/dev/null/run", "--steps", "1"], "/dev/null/run: cannot write there"),
        ]
        for (arguments, message) in cases {
            let run = try runChapter(chapter, arguments + (arguments.contains("--out") ? [] : ["--out", out]))
            XCTAssertEqual(run.status, 2, "\(arguments): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            XCTAssertFalse(run.stdout.contains("5. Fine-tuning"), "\(arguments): stopped before training")
        }
    }
}
