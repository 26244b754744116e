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
