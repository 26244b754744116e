import Foundation
import XCTest

/// Chapter 1: its default run, and its `encode` command against the reference libraries' ids.
final class TokenizationChapterTests: XCTestCase {
    let chapter = "Chapter01_DataAndTokenization"

    func testMatchesExpectedOutput() throws {
        try assertMatchesExpected(chapter)
    }

    /// The book's figures (Raschka, ch. 2) and tiktoken's count, in the printed text.
    func testBookFigures() throws {
        let out = try runChapter(chapter).stdout
        for line in ["4,690 tokens", "a vocabulary of 1,130", "[1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]",
                     "[1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]",
                     "[15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13]",
                     "[33901, 86, 343, 86, 220, 959]", "→ 5,145 GPT-2 tokens", "window 0: input [40, 367, 2885, 1464]  target [367, 2885, 1464, 1807]",
                     "tensor([[ 0.3374, -0.1778, -0.1690],", "input embeddings (sum)    [8, 4, 256]", "uses\n65 distinct ones"] {
            XCTAssertTrue(out.contains(line), "missing: \(line)")
        }
    }

    /// `encode KIND … FILE.jsonl` prints one JSON array per line, equal to the reference ids.
    func testEncodeCommandAgainstFixtures() throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")
        let runs: [([String], String)] = [
            (["encode", "gpt2", fixtures.appendingPathComponent("gpt2-tokenizer-cases.jsonl").path], "gpt2-tokenizer-cases.jsonl"),
            (["encode", "wordpiece", fixtures.appendingPathComponent("wordpiece/vocab.txt").path,
              fixtures.appendingPathComponent("wordpiece/cases.jsonl").path], "wordpiece/cases.jsonl"),
            (["encode", "sentencepiece", fixtures.appendingPathComponent("sentencepiece/unigram.model").path,
              fixtures.appendingPathComponent("sentencepiece/cases.jsonl").path], "sentencepiece/cases.jsonl"),
        ]
        for (arguments, file) in runs {
            let run = try runChapter(chapter, arguments)
            XCTAssertEqual(run.status, 0, run.stderr)
            let got = run.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Int] }
            let expected = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8).split(separator: "\n")
                .map { (try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["ids"] as! [Int] }
            XCTAssertEqual(got.count, expected.count, file)
            XCTAssertEqual(got, expected, file)
        }
    }

    func testBadInputGetsClearErrors() throws {
        let missing = try runChapter(chapter, ["encode", "wordpiece", "/no/such/vocab.txt", "/no/such/file.jsonl"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/vocab.txt: cannot be read"), missing.stderr)
        let corrupt = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: corrupt) }
        try Data([0x0A, 0xFF, 0x01, 0x02]).write(to: corrupt)
        let bad = try runChapter(chapter, ["encode", "sentencepiece", corrupt.path, "x.jsonl"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("\(corrupt.path): is not a valid SentencePiece model"), bad.stderr)
        let jsonl = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: jsonl) }
        try Data("{\"text\": \"ok\"}\nnot json\n".utf8).write(to: jsonl)
        let badLine = try runChapter(chapter, ["encode", "gpt2", jsonl.path])
        XCTAssertEqual(badLine.status, 2)
        XCTAssertEqual(badLine.stdout, "")
        XCTAssertTrue(badLine.stderr.contains("line 2 is not a JSON object with a \"text\" string"), badLine.stderr)
        let unknown = try runChapter(chapter, ["decode"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("unknown command decode"), unknown.stderr)
        XCTAssertEqual(try runChapter(chapter, ["--bpe-vocab", "100"]).status, 2)
    }
}

final class EncodeCommandTextTests: XCTestCase {
    /// A text that starts with U+FEFF keeps it (JSONSerialization on Linux would drop it).
    func testLeadingByteOrderMarkIsKept() throws {
        let jsonl = FileManager.default.temporaryDirectory.appendingPathComponent("bom-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: jsonl) }
        try Data("{\"text\": \"\u{FEFF}hi\"}\n".utf8).write(to: jsonl)
        let run = try runChapter("Chapter01_DataAndTokenization", ["encode", "gpt2", jsonl.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "[171, 119, 123, 5303]\n")   // tiktoken: enc.encode("\ufeffhi")
    }
}
