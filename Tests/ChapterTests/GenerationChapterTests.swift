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

    /// 12.5 against an independent Python run of the same bigram model, greedy decoding and
    /// beam search (Tests/Fixtures/beam-search/make_beam_search.py): every text and total
    /// log-probability, including "I saw", where 3 beams end below greedy and below 2 beams.
    func testBeamSearchAgainstIndependentRun() throws {
        let out = try runChapter("Chapter12_FindingTheNextWord").stdout
        let url = packageRoot.appendingPathComponent("Tests/Fixtures/beam-search/beam_search.json")
        let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: [String: Any]]])
        let lines = out.components(separatedBy: "\n")
        for prompt in ["I had", "I saw"] {
            var row = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("\"\(prompt)\"  greedy") }, prompt)
            for method in ["greedy", "2 beams", "3 beams", "5 beams", "10 beams"] {
                let expected = try XCTUnwrap(reference[prompt]?[method])
                let text = try XCTUnwrap(expected["text"] as? String), score = try XCTUnwrap(expected["log_probability"] as? Double)
                let line = lines[row]
                XCTAssertTrue(line.contains("  \(method)  "), "\(prompt): expected \(method) at: \(line)")
                XCTAssertTrue(line.contains(quotedLikeTheCourse(text)), "\(prompt) \(method): \(line)")
                XCTAssertEqual(try XCTUnwrap(Double(line.split(separator: " ").last!)), score, accuracy: 2e-4, "\(prompt) \(method)")
                row += 1
            }
        }
        let saw = try XCTUnwrap(reference["I saw"])
        XCTAssertLessThan(saw["3 beams"]!["log_probability"] as! Double, saw["greedy"]!["log_probability"] as! Double)
    }

    /// 12.3's tail: the six unlikely words' probability at T = 1, from the book's logits here.
    func testTailProbabilityOfTheToyLogits() throws {
        let out = try runChapter("Chapter12_FindingTheNextWord").stdout.replacingOccurrences(of: "\n", with: " ")
        let logits = [4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79]
        let total = logits.map { exp($0) }.reduce(0, +)
        let tail = [1, 2, 4, 5, 6, 8].map { exp(logits[$0]) / total }.reduce(0, +)
        XCTAssertTrue(out.contains("probability \(String(format: "%.4f", tail)) — about one draw in \(Int((1 / tail).rounded()))"), out)
        XCTAssertTrue(out.contains("\"pizza\" alone \(String(format: "%.4f", exp(logits[6]) / total))"))
    }

    /// `--temperatures` replaces 12.2's list; bad lists are refused.
    func testTemperaturesFlag() throws {
        let run = try runChapter("Chapter12_FindingTheNextWord", ["--temperatures", "2,3", "--draws", "100"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let section = run.stdout.components(separatedBy: "12.3 ")[0]
        XCTAssertEqual(section.components(separatedBy: "\n").filter { $0.hasPrefix("temperature ") && $0.hasSuffix(":") },
                       ["temperature 2.0:", "temperature 3.0:"])
        for bad in ["0", "1,x", ""] {
            let refused = try runChapter("Chapter12_FindingTheNextWord", ["--temperatures", bad])
            XCTAssertEqual(refused.status, 2, bad)
            XCTAssertTrue(refused.stderr.contains("--temperatures"), refused.stderr)
        }
    }

    /// Text in double quotes as the course's `quoted` prints it (\n and \" escaped).
    private func quotedLikeTheCourse(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
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

    /// What 13.1's diagram says happens when the context (128 for the shipped model) is full:
    /// after a 120-token prompt the cached loop stops after 9 tokens (the 9th is read from a full
    /// cache of 128 and never fed back), the uncached one crops and makes all 20.
    func testCachedLoopStopsAtTheContextUncachedCrops() throws {
        let prompt = (0..<120).map { String(1 + $0 % 60) }.joined(separator: ",")
        var counts: [Int] = []
        for extra in [[], ["--no-cache"]] {
            let run = try runChapter(chapter, ["generate", "data/shakespeare-char", "--prompt-ids", prompt, "--max-new-tokens", "20", "--json"] + extra)
            XCTAssertEqual(run.status, 0, run.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(run.stdout.split(separator: "\n").last!.utf8)) as! [String: Any]
            counts.append((object["ids"] as! [Int]).count)
        }
        XCTAssertEqual(counts, [128 - 120 + 1, 20])
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

