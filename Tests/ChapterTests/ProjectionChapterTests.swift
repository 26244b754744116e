import Foundation
import TensorKit
import TestSupport
import XCTest

/// Chapter 11: the book's greedy continuation, and `forward` on every architecture against
/// Hugging Face's logits (GPT-2, Llama, Mixtral, Marian, BERT, Qwen2, Qwen3, Llama 3, Gemma).
final class ProjectionChapterTests: XCTestCase {
    let chapter = "Chapter11_LinearLayerAndProjection"

    func testMatchesExpectedOutput() throws {
        try assertMatchesExpected(chapter)
    }

    /// The book (Raschka, ch. 4): the untrained GPT-2 continues "Hello, I am" with these ids.
    func testBookContinuation() throws {
        let out = try runChapter(chapter).stdout
        XCTAssertTrue(out.contains("ids:  [15496, 11, 314, 716, 27018, 24086, 47843, 30961, 42348, 7267]"), out)
        XCTAssertTrue(out.contains("text: \"Hello, I am Featureiman Byeswickattribute argue\""))
        XCTAssertTrue(out.contains("163,009,536") && out.contains("124,412,160"))
    }

    func testForwardOnEveryArchitecture() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("forward-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let models = ["gpt2-tiny", "llama-tiny", "mixtral-tiny", "marian-tiny", "bert-tiny",
                      "hf/qwen2-tiny", "hf/qwen3-tiny", "hf/llama3-tiny", "hf/gemma-tiny", "hf/qwen2-tiny-bf16", "hf/qwen3-tiny-sharded"]
        for model in models {
            let fixture = packageRoot.appendingPathComponent("Tests/Fixtures/\(model)")
            let expected = try SafeTensorsFile(contentsOf: fixture.appendingPathComponent("expected.safetensors"))
            var integers = ["input_ids": try expected.integers("input_ids")]
            if model == "marian-tiny" { integers["decoder_input_ids"] = try expected.integers("decoder_input_ids") }
            let file = model.replacingOccurrences(of: "/", with: "-")
            let inputs = directory.appendingPathComponent("\(file)-in.safetensors"), output = directory.appendingPathComponent("\(file)-out.safetensors")
            try SafeTensors.write([:], integers: integers, to: inputs)
            let run = try runChapter(chapter, ["forward", fixture.path, inputs.path, output.path])
            XCTAssertEqual(run.status, 0, "\(model): \(run.stderr)")
            let name = model == "bert-tiny" ? "last_hidden_state" : "logits"
            let got = try SafeTensorsFile(contentsOf: output).tensor(name), want = try expected.tensor(name)
            // the bf16 fixture's logits are float32 computation on the rounded weights: closer
            assertMatchesReference(model, got, want, relative: model.hasSuffix("bf16") ? 1e-5 : 1e-4)
        }
    }

    func testForwardErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("forward-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let inputs = directory.appendingPathComponent("in.safetensors"), out = directory.appendingPathComponent("out.safetensors")
        try SafeTensors.write([:], integers: ["input_ids": ([1, 3], [1, 2, 3])], to: inputs)

        let missing = try runChapter(chapter, ["forward", directory.appendingPathComponent("nope").path, inputs.path, out.path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("nope: is not a directory"), missing.stderr)

        let marian = try runChapter(chapter, ["forward", fixtures.appendingPathComponent("marian-tiny").path, inputs.path, out.path])
        XCTAssertTrue(marian.stderr.contains("decoder_input_ids: is missing"), marian.stderr)

        try SafeTensors.write(["x": Tensor([1])], to: inputs)
        let noIDs = try runChapter(chapter, ["forward", fixtures.appendingPathComponent("gpt2-tiny").path, inputs.path, out.path])
        XCTAssertTrue(noIDs.stderr.contains("has no tensor input_ids"), noIDs.stderr)

        try SafeTensors.write([:], integers: ["input_ids": ([1, 2], [1, 5000])], to: inputs)
        let outside = try runChapter(chapter, ["forward", fixtures.appendingPathComponent("gpt2-tiny").path, inputs.path, out.path])
        XCTAssertTrue(outside.stderr.contains("input_ids holds 5000, outside the vocabulary of 1000"), outside.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
