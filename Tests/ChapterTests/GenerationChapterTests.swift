import Foundation
import XCTest

final class FindingTheNextWordChapterTests: XCTestCase {
    func testMatchesExpectedOutput() throws {
        try assertMatchesExpected("Chapter12_FindingTheNextWord")
    }

    /// The book's figures (Raschka, ch. 5): softmax of the toy logits, and after top-3.
    func testBookFigures() throws {
        let out = try runChapter("Chapter12_FindingTheNextWord").stdout
        XCTAssertTrue(out.contains("tensor([0.0615, 0.0000, 0.0000, 0.5775, 0.0000, 0.0000, 0.0000, 0.3610, 0.0000])"))
        XCTAssertTrue(out.contains("forward 6.75  ████████████████████████████████████ 0.5721"))
        XCTAssertTrue(out.contains("greedy: \"forward\""))
        let bad = try runChapter("Chapter12_FindingTheNextWord", ["--top-p", "1.5"])
        XCTAssertEqual(bad.status, 2)
    }
}

final class AutoregressiveLoopChapterTests: XCTestCase {
    let chapter = "Chapter13_AutoregressiveLoopAndKVCache"

    func testMatchesExpectedOutput() throws {
        try assertMatchesExpected(chapter, ["--no-timing"])
    }

    func testCachedAndUncachedAgree() throws {
        let out = try runChapter(chapter, ["--no-timing"]).stdout
        XCTAssertTrue(out.contains("cached and uncached generation give the same 120 tokens: true"))
        XCTAssertTrue(out.contains("73,728 bytes per token"))
        XCTAssertTrue(out.contains("2 × 4 × 128 × 4 = 4,096"), "the shipped model's cache per token")
    }

    /// `generate --json` on the fixture models equals Hugging Face's greedy generation.
    func testGenerateCommandMatchesHuggingFace() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("generation/greedy.json"))) as! [String: Any]
        for c in (json["cases"] as! [[String: Any]]).prefix(4) {
            let model = fixtures.appendingPathComponent(c["model"] as! String).path
            let prompt = (c["prompt"] as! [Int]).map(String.init).joined(separator: ",")
            let expected = c["generated"] as! [Int]
            for extra in [[], ["--no-cache"]] {
                let run = try runChapter(chapter, ["generate", model, "--prompt-ids", prompt, "--max-new-tokens", String(expected.count), "--json"] + extra)
                XCTAssertEqual(run.status, 0, run.stderr)
                let last = run.stdout.split(separator: "\n").last!
                let object = try JSONSerialization.jsonObject(with: Data(last.utf8)) as! [String: Any]
                XCTAssertEqual(object["ids"] as? [Int], expected, "\(c["model"]!) \(prompt) \(extra)")
                XCTAssertNotNil(object["tokens_per_second"] as? Double)
            }
        }
    }

    func testGenerateErrors() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let missing = try runChapter(chapter, ["generate", "/no/such/model", "--prompt-ids", "1"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/model: is not a directory"), missing.stderr)
        let long = (0..<70).map(String.init).joined(separator: ",")
        let tooLong = try runChapter(chapter, ["generate", fixtures.appendingPathComponent("gpt2-tiny").path, "--prompt-ids", long])
        XCTAssertTrue(tooLong.stderr.contains("the prompt is 70 tokens; the model's context is 64"), tooLong.stderr)
        let bert = try runChapter(chapter, ["generate", fixtures.appendingPathComponent("bert-tiny").path, "--prompt-ids", "1"])
        XCTAssertTrue(bert.stderr.contains("generate needs a decoder-only model"), bert.stderr)
        let both = try runChapter(chapter, ["--greedy", "--temperature", "0.5"])
        XCTAssertEqual(both.status, 2)
        let badIDs = try runChapter(chapter, ["generate", fixtures.appendingPathComponent("gpt2-tiny").path, "--prompt-ids", "1,x"])
        XCTAssertTrue(badIDs.stderr.contains("is not a comma-separated list of integers"), badIDs.stderr)
    }
}

/// Chapter 13 `generate --prompt` with a model directory's own tokenizer.json: the ids of
/// Hugging Face's greedy generation, streamed as text, stopping at the configured end of sequence.
final class GenerateTextTests: XCTestCase {
    let chapter = "Chapter13_AutoregressiveLoopAndKVCache"
    let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// gpt2-tiny's weights with GPT-2's tokenizer.json (its 1,000 ids are GPT-2's first ones),
    /// plus `extra` files.
    func modelDirectory(_ extra: [String: String] = [:]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("generate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("gpt2-tiny/\(name)"), to: dir.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("hf/tokenizer-json/gpt2/tokenizer.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        for (name, text) in extra { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir
    }

    func ids(_ run: ChapterRun) throws -> [Int] {
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
        return object["ids"] as! [Int]
    }

    /// The text of ids, by chapter 1's `decode hf` (the tokenizers library's decoding, tested there).
    func text(_ ids: [Int], tokenizer: URL? = nil) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ids-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("{\"ids\": \(ids)}\n".utf8).write(to: file)
        let tokenizer = tokenizer ?? fixtures.appendingPathComponent("hf/tokenizer-json/gpt2/tokenizer.json")
        let run = try runChapter("Chapter01_DataAndTokenization", ["decode", "hf", tokenizer.path, file.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try JSONDecoder().decode(String.self, from: Data(run.stdout.utf8.dropLast()))
    }

    func testPromptTextGivesHuggingFaceGreedyIDs() throws {
        // "&" is GPT-2's token 5; greedy.json has Hugging Face's continuation of [5] on gpt2-tiny
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("generation/greedy.json"))) as! [String: Any]
        let reference = (json["cases"] as! [[String: Any]]).first { $0["model"] as? String == "gpt2-tiny" && $0["prompt"] as? [Int] == [5] }!
        let expected = reference["generated"] as! [Int]
        let dir = try modelDirectory()
        let run = try runChapter(chapter, ["generate", dir.path, "--prompt", "&", "--max-new-tokens", "20", "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try ids(run), expected)
        // streamed as text: the prompt, then the continuation
        let streamed = try runChapter(chapter, ["generate", dir.path, "--prompt", "&", "--max-new-tokens", "20"])
        XCTAssertEqual(streamed.status, 0, streamed.stderr)
        XCTAssertEqual(streamed.stdout, "&" + (try text(expected)) + "\n")
    }

    /// A tiny Qwen2 chat model with its Qwen2-style tokenizer.json (the tokenizer-json/qwen2
    /// family's file, which it was made with): the chat prompts typed as text — special tokens
    /// included — give transformers' prompt ids and greedy continuation, printed as the library
    /// decodes it (bytes of incomplete characters become U+FFFD once proven incomplete).
    func testQwen2ChatTextInTextOut() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qwen2-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("hf/qwen2-chat/\(name)"), to: dir.appendingPathComponent(name))
        }
        let tokenizer = fixtures.appendingPathComponent("hf/tokenizer-json/qwen2/tokenizer.json")
        try FileManager.default.copyItem(at: tokenizer, to: dir.appendingPathComponent("tokenizer.json"))
        try Data(#"{"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("hf/qwen2-chat/greedy.json"))) as! [[String: Any]]
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let prompt = c["prompt"] as! String, expected = c["new_ids"] as! [Int]
            let run = try runChapter(chapter, ["generate", dir.path, "--prompt", prompt, "--max-new-tokens", String(expected.count), "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(try ids(run), expected, prompt.debugDescription)
            let streamed = try runChapter(chapter, ["generate", dir.path, "--prompt", prompt, "--max-new-tokens", String(expected.count)])
            XCTAssertEqual(streamed.stdout, prompt + (try text(expected, tokenizer: tokenizer)) + "\n", prompt.debugDescription)
        }
    }

    func testStopsAtTheEndOfSequence() throws {
        // generation_config.json's ids win over config.json's (50256 there)
        let dir = try modelDirectory(["generation_config.json": #"{"eos_token_id": [648, 938]}"#])
        let run = try runChapter(chapter, ["generate", dir.path, "--prompt", "&", "--max-new-tokens", "20", "--json"])
        XCTAssertEqual(try ids(run), [5, 938], "Hugging Face's greedy ids up to and including the first end of sequence")
        let byIDs = try runChapter(chapter, ["generate", dir.path, "--prompt-ids", "1,2,3", "--max-new-tokens", "20", "--json"])
        XCTAssertEqual(try ids(byIDs), [3, 648])
        let streamed = try runChapter(chapter, ["generate", dir.path, "--prompt", "&", "--max-new-tokens", "20"])
        XCTAssertEqual(streamed.stdout, "&" + (try text([5])) + "\n", "the end-of-sequence token is not printed")
        let broken = try modelDirectory(["generation_config.json": "{\"eos_token_id\": "])
        let bad = try runChapter(chapter, ["generate", broken.path, "--prompt", "&"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("generation_config.json: is not valid JSON"), bad.stderr)
    }
}

