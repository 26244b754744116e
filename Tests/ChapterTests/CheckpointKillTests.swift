import Foundation
import LLMKit
import TensorKit
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chapter 14 killed with SIGKILL (no chance to clean up) at seeded random moments while it
/// saves a checkpoint, again and again: the last complete checkpoint must always load — the
/// training state, the model, its tokenizer and the optimiser's state, all of the same step —
/// and no step already saved may be lost. Each round resumes from what the last kill left, so
/// the command's own --resume reads it too.
final class CheckpointKillTests: XCTestCase {
    let chapter = "Chapter14_PreTrainingLoop"
    /// A tiny model that saves after every step (its 6.4 MB of weights and 13 MB of optimiser
    /// state take long enough to write that a kill often lands inside a save).
    let tiny = ["--context", "32", "--width", "32", "--layers", "2", "--heads", "2", "--batch-size", "4",
                "--eval-every", "1000", "--eval-batches", "1", "--sample-tokens", "4", "--no-timing"]

    func testKilledWhileSavingLeavesTheLastCompleteCheckpointLoadable() throws {
        let out = ".build/chapter14-tests/killed-\(UUID().uuidString.prefix(8))"
        let root = packageRoot.appendingPathComponent(out)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let checkpoint = root.appendingPathComponent("checkpoint"), partial = root.appendingPathComponent("checkpoint.partial")

        let first = try runChapter(chapter, tiny + ["--steps", "2", "--out", out])
        XCTAssertEqual(first.status, 0, first.stderr)
        var lastStep = 2, interruptedSaves = 0
        var random = SplitMix64(seed: 14)
        for round in 0..<8 {
            let log = root.appendingPathComponent("round-\(round).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = try chapterExecutable(chapter)
            process.arguments = ["--resume", out, "--out", out, "--steps", "100000", "--save-every", "1", "--no-timing"]
            process.currentDirectoryURL = packageRoot
            process.standardOutput = try FileHandle(forWritingTo: log)
            process.standardError = process.standardOutput
            try process.run()
            // A save has begun when checkpoint.partial appears (it is renamed into place when the
            // save ends). Let 0–2 saves go by, then kill 0–120 ms into the next one: inside the
            // save (most writes take 30–150 ms here) or in the step after it.
            let savesToLetBy = random.below(3), delay = random.below(120_000)
            var saving = false, savesBegun = 0
            let deadline = Date().addingTimeInterval(120)
            while savesBegun <= savesToLetBy && process.isRunning && Date() < deadline {
                let exists = FileManager.default.fileExists(atPath: partial.path)
                if exists && !saving { savesBegun += 1 }
                saving = exists
                usleep(200)
            }
            guard process.isRunning else {
                XCTFail("round \(round): the resumed run ended by itself: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                return
            }
            usleep(UInt32(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "round \(round)")
            if FileManager.default.fileExists(atPath: partial.path) { interruptedSaves += 1 }

            // the last complete checkpoint: whole, and of one step
            let last = lastCompleteCheckpoint(checkpoint)
            let state = try TrainingState.load(from: last.appendingPathComponent("training.json"))
            XCTAssertGreaterThanOrEqual(state.step, lastStep, "round \(round): a saved step was lost")
            let (model, tokenizer) = try loadGPTCheckpoint(last, gpt2Files: dataDirectory.appendingPathComponent("gpt2"))
            XCTAssertEqual(model.config, state.model)
            XCTAssertEqual(tokenizer.kind, "gpt2")
            let optimizer = try SafeTensorsFile(contentsOf: last.appendingPathComponent("optimizer.safetensors"))
            XCTAssertEqual(optimizer.metadata["step"], String(state.step), "round \(round): the optimiser's state is of the same step")
            for name in optimizer.names { _ = try optimizer.tensor(name) }
            lastStep = state.step
        }
        print("chapter 14 killed 8 times, \(interruptedSaves) of them inside a save; the last checkpoint is at step \(lastStep)")
        XCTAssertGreaterThan(interruptedSaves, 0, "no kill landed inside a save: the test did not test")
        XCTAssertGreaterThan(lastStep, 2, "no save completed between the kills: the rounds did not move on")

        // The command resumes from what the last kill left, and finishes.
        let finish = try runChapter(chapter, ["--resume", out, "--out", out, "--steps", String(lastStep + 1), "--no-timing"])
        XCTAssertEqual(finish.status, 0, finish.stderr)
        XCTAssertTrue(finish.stdout.contains("Resuming the run in"), finish.stdout)
        XCTAssertEqual(try TrainingState.load(from: checkpoint.appendingPathComponent("training.json")).step, lastStep + 1)
    }
}
