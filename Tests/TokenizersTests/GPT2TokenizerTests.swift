import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// GPT-2's tokenizer against tiktoken's `gpt2` encoding (Tests/Fixtures/gpt2-tokenizer-*.json*).
final class GPT2TokenizerTests: XCTestCase {
    static let tokenizer = try! GPT2Tokenizer(directory: dataDirectory.appendingPathComponent("gpt2"))
    var tokenizer: GPT2Tokenizer { Self.tokenizer }

    func testEveryTiktokenCase() throws {
        let cases = try readJSONLines(fixtureURL("gpt2-tokenizer-cases.jsonl"))
        XCTAssertEqual(cases.count, 295)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String, ids = c["ids"] as! [Int]
            let got = tokenizer.encode(text)
            if got != ids {
                failures += 1
                if failures <= 5 { XCTFail("\(text.debugDescription): got \(got), tiktoken \(ids)") }
            }
            XCTAssertEqual(tokenizer.decode(got), text, "round trip of \(text.debugDescription)")
        }
        XCTAssertEqual(failures, 0)
    }

    func testTheVerdict() throws {
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("gpt2-tokenizer-summary.json"))) as! [String: [String: Any]]
        let verdict = summary["the-verdict.txt"]!
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)
        XCTAssertEqual(text.count, verdict["characters"] as! Int)
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, 5145)
        XCTAssertEqual(ids.count, verdict["tokens"] as! Int)
        XCTAssertEqual(Array(ids.prefix(50)), verdict["first_ids"] as! [Int])
        XCTAssertEqual(tokenizer.decode(ids), text)
    }

    func testTinyShakespeareCount() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        XCTAssertEqual(tokenizer.encode(text).count, 338_025)
    }

    func testSpecialTokenAndVocabulary() {
        XCTAssertEqual(tokenizer.vocabularySize, 50257)
        XCTAssertEqual(tokenizer.endOfText, 50256)
        XCTAssertEqual(tokenizer.encode("a<|endoftext|>b"), [64, 50256, 65])
        XCTAssertNotEqual(tokenizer.encode("<|endoftext|>", allowSpecial: false), [50256])
        XCTAssertEqual(tokenizer.tokenString(tokenizer.encode(" the")[0]), "Ġthe")
        // the book's example (Raschka, ch. 2)
        XCTAssertEqual(tokenizer.encode("Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."),
                       [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13])
    }

    /// Any string survives encode → decode: random mixes of ASCII, accents, combining marks,
    /// CJK, right-to-left scripts, emoji with ZWJ sequences, control characters and lone CRs.
    func testRoundTripOfRandomUnicode() {
        let pieces: [String] = ["a", "Z", " ", "  ", "\n", "\r", "\t", "'s", "'ll", "é", "e\u{301}", "ß", "Σ", "日本", "語",
                                "مرحبا", "שלום", "👩‍👩‍👧", "🇫🇷", "🙂", "\u{200D}", "\u{0}", "\u{7F}", "\u{FEFF}", "1", "42", "½",
                                "Ⅻ", "!!", "...", "—", "\u{00A0}", "\u{3000}", "ǅ", "ʰ", "𝔘", "\u{10FFFF}", "￿"]
        var state: UInt64 = 12345
        for _ in 0..<3000 {
            var s = ""
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 60) + 1 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                s += pieces[Int(state >> 33) % pieces.count]
            }
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(s)), s)
        }
    }

    func testBadFilesNameTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gpt2-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let vocab = directory.appendingPathComponent("encoder.json"), merges = directory.appendingPathComponent("vocab.bpe")
        XCTAssertThrowsError(try GPT2Tokenizer(vocabulary: vocab, merges: merges)) { XCTAssertTrue("\($0)".contains("encoder.json: cannot be read"), "\($0)") }
        try Data("[1, 2]".utf8).write(to: vocab)
        XCTAssertThrowsError(try GPT2Tokenizer(vocabulary: vocab, merges: merges)) { XCTAssertTrue("\($0)".contains("is not a JSON object"), "\($0)") }
        var table: [String: Int] = [:]
        for b in 0..<256 { table[ByteLevel.text(of: [UInt8(b)])] = b }
        table["ab"] = 256
        try JSONSerialization.data(withJSONObject: table).write(to: vocab)
        try Data("#version: 0.2\na b\nab\n".utf8).write(to: merges)
        XCTAssertThrowsError(try GPT2Tokenizer(vocabulary: vocab, merges: merges)) { XCTAssertTrue("\($0)".contains("vocab.bpe: line 3 is not a merge of two tokens"), "\($0)") }
        try Data("a b\nb c\n".utf8).write(to: merges)
        XCTAssertThrowsError(try GPT2Tokenizer(vocabulary: vocab, merges: merges)) { XCTAssertTrue("\($0)".contains("line 2: the merge b c makes a token that is not in encoder.json"), "\($0)") }
        try Data("a b\n".utf8).write(to: merges)
        let small = try GPT2Tokenizer(vocabulary: vocab, merges: merges)
        XCTAssertEqual(small.encode("abab"), [256, 256])
    }
}
