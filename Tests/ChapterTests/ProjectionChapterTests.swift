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

/// Chapter 11 `next`: the most likely next tokens of a checkpoint, against Hugging Face.
final class NextTokenCommandTests: XCTestCase {
    let chapter = "Chapter11_LinearLayerAndProjection"

    /// The rows of the printed table: (id, token, probability).
    func candidates(_ stdout: String) -> [(id: Int, token: String, probability: Double)] {
        stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 4, Int(fields[0]) != nil, let id = Int(fields[1]), let p = Double(fields.last!) else { return nil }
            let token = line.firstIndex(of: "\"").map { String(line[$0...]).components(separatedBy: "\"  ").first! + "\"" } ?? ""
            return (id, token, p)
        }
    }

    /// The shipped model after its reference prompt, typed as text: the probabilities are the
    /// softmax of the logits Hugging Face's GPT2LMHeadModel computes on the same directory.
    func testShippedModelAgainstHuggingFace() throws {
        let reference = try SafeTensorsFile(contentsOf: packageRoot.appendingPathComponent("Tests/Fixtures/shakespeare-char/reference.safetensors"))
        let logits = try reference.tensor("logits")                                 // (1, 38, 65)
        let (t, v) = (logits.shape[1], logits.shape[2])
        let last = logits.data[(t - 1) * v..<t * v].map(Double.init)
        let total = last.map { exp($0 - last.max()!) }.reduce(0, +)
        let expected = last.indices.sorted { last[$0] > last[$1] }.prefix(8).map { ($0, exp(last[$0] - last.max()!) / total) }
        let run = try runChapter(chapter, ["next", "data/shakespeare-char", "--prompt", reference.metadata["prompt"]!, "--top-k", "8"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let got = candidates(run.stdout)
        XCTAssertEqual(got.map(\.id), expected.map(\.0))
        for (g, e) in zip(got, expected) { XCTAssertEqual(g.probability, e.1, accuracy: 0.00006, "id \(g.id)") }
        XCTAssertTrue(run.stdout.contains("prompt: 38 tokens"), run.stdout)
    }

    /// The most likely token is the one Hugging Face's greedy generation picks first.
    func testTopTokenIsHuggingFaceGreedyChoice() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("generation/greedy.json"))) as! [String: Any]
        for c in json["cases"] as! [[String: Any]] {
            let prompt = (c["prompt"] as! [Int]).map(String.init).joined(separator: ",")
            let run = try runChapter(chapter, ["next", fixtures.appendingPathComponent(c["model"] as! String).path,
                                               "--prompt-ids", prompt, "--top-k", "3"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let got = candidates(run.stdout)
            XCTAssertEqual(got.count, 3)
            XCTAssertEqual(got.first?.id, (c["generated"] as! [Int]).first, "\(c["model"]!) \(prompt)")
            XCTAssertTrue(zip(got, got.dropFirst()).allSatisfy { $0.probability >= $1.probability })
        }
    }

    /// A modern chat model typed as text: the Qwen2 chat prompts through the directory's
    /// tokenizer.json; the top token is transformers' first greedy token.
    func testQwen2ChatPromptAsText() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("next-qwen2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("hf/qwen2-chat/\(name)"), to: dir.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("hf/tokenizer-json/qwen2/tokenizer.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("hf/qwen2-chat/greedy.json"))) as! [[String: Any]]
        for c in cases {
            let run = try runChapter(chapter, ["next", dir.path, "--prompt", c["prompt"] as! String, "--top-k", "4"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let promptIDs = c["prompt_ids"] as! [Int]
            XCTAssertTrue(run.stdout.contains("prompt: \(promptIDs.count) tokens [\(promptIDs.prefix(32).map(String.init).joined(separator: ", "))"),
                          run.stdout)
            XCTAssertEqual(candidates(run.stdout).first?.id, (c["new_ids"] as! [Int]).first)
        }
    }

    func testNextErrors() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let bert = try runChapter(chapter, ["next", fixtures.appendingPathComponent("bert-tiny").path, "--prompt-ids", "1"])
        XCTAssertEqual(bert.status, 2)
        XCTAssertTrue(bert.stderr.contains("is an encoder (BERT)"), bert.stderr)
        let marian = try runChapter(chapter, ["next", fixtures.appendingPathComponent("marian-tiny").path, "--prompt-ids", "1"])
        XCTAssertTrue(marian.stderr.contains("encoder–decoder"), marian.stderr)
        // gpt2-tiny has no tokenizer of its own: GPT-2's, whose "Hello" (15496) it is too small for
        let outside = try runChapter(chapter, ["next", fixtures.appendingPathComponent("gpt2-tiny").path, "--prompt", "Hello"])
        XCTAssertTrue(outside.stderr.contains("has the id 15496, outside the model's vocabulary of 1000"), outside.stderr)
        let k = try runChapter(chapter, ["next", fixtures.appendingPathComponent("gpt2-tiny").path, "--top-k", "0"])
        XCTAssertTrue(k.stderr.contains("--top-k must be at least 1"), k.stderr)
    }
}

