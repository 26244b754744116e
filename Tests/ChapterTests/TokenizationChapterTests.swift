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
                     "tensor([[ 0.3374, -0.1778, -0.1690],", "input embeddings (sum)    [8, 4, 256]", "uses\n65 distinct ones",
                     "= ids [369, 270], as encode gives: [369, 270]"] {
            XCTAssertTrue(out.contains(line), "missing: \(line)")
        }
    }

    /// WordPiece and unigram fail on characters they never saw: the pieces printed for the
    /// emoji/CJK sentence are those of Hugging Face `tokenizers` (BertWordPieceTokenizer on
    /// data/wordpiece-vocab.txt, lower case, accents stripped) and of `sentencepiece` on
    /// data/sentencepiece-unigram.model (unknown ids shown as <unk>), computed once by hand.
    func testUnknownPiecesMatchTheLibraries() throws {
        let out = try runChapter(chapter).stdout
        let wordPiece = "[CLS] un ##ic ##od ##e , em ##o ##j ##i [UNK] and [UNK] [UNK] [UNK] [UNK] never un ##k ##no ##wn . [SEP]"
        XCTAssertTrue(out.contains("  WordPiece: \(wordPiece)\n"), "WordPiece line differs")
        let unigram = out.split(separator: "\n").first { $0.hasPrefix("  unigram:   ") }.map { $0.dropFirst(13).split(separator: " ") }
        let library = ["▁", "<unk>", "n", "<unk>", "c", "<unk>", "d", "<unk>", ",", "▁", "e", "mo", "j", "i", "▁", "<unk>", "▁and", "▁",
                       "<unk>", "▁", "<unk>", "▁never", "▁un", "k", "n", "ow", "n", "."]
        XCTAssertEqual(unigram?.map { $0.hasPrefix("<unk>(") ? "<unk>" : String($0) }, library)
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
        let decodeAlone = try runChapter(chapter, ["decode"])
        XCTAssertEqual(decodeAlone.status, 2)
        XCTAssertTrue(decodeAlone.stderr.contains("usage: encode hf TOKENIZER_JSON FILE.jsonl | decode hf"), decodeAlone.stderr)
        let unknown = try runChapter(chapter, ["tokenize"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("unknown command tokenize"), unknown.stderr)
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

/// `encode hf` and `decode hf`: any tokenizer.json, against the `tokenizers` library's ids and text.
final class HuggingFaceCommandTests: XCTestCase {
    let chapter = "Chapter01_DataAndTokenization"
    let families = packageRoot.appendingPathComponent("Tests/Fixtures/hf/tokenizer-json")

    /// Writes lines to a temporary file, runs the command on it, and removes the file.
    func run(_ verb: String, _ tokenizer: String, lines: [String]) throws -> ChapterRun {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
        return try runChapter(chapter, [verb, "hf", tokenizer, file.path])
    }

    func testEncodeAndDecodeEveryFamily() throws {
        for family in ["gpt2", "llama3", "qwen2", "llama2", "mistral", "bert", "unigram"] {
            let tokenizer = families.appendingPathComponent("\(family)/tokenizer.json").path
            let cases = try String(contentsOf: families.appendingPathComponent("\(family)/cases.jsonl"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            // encode reads the cases' "text" (other fields are ignored)
            let encoded = try runChapter(chapter, ["encode", "hf", tokenizer, families.appendingPathComponent("\(family)/cases.jsonl").path])
            XCTAssertEqual(encoded.status, 0, encoded.stderr)
            let ids = encoded.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [Int] }
            let objects = cases.map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            XCTAssertEqual(ids, objects.map { $0["ids"] as! [Int] }, family)
            // decode reads {"ids": …} lines and prints JSON strings
            let decoded = try run("decode", tokenizer, lines: objects.map { "{\"ids\": \($0["ids"] as! [Int])}" })
            XCTAssertEqual(decoded.status, 0, decoded.stderr)
            let texts = decoded.stdout.split(separator: "\n").map {
                try! JSONDecoder().decode(String.self, from: Data($0.utf8))
            }
            XCTAssertEqual(texts, objects.map { $0["decoded"] as! String }, family)
        }
    }

    func testBadFilesGetClearErrors() throws {
        let gpt2 = families.appendingPathComponent("gpt2/tokenizer.json").path
        let missing = try run("encode", "/no/such/tokenizer.json", lines: ["{\"text\": \"a\"}"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("/no/such/tokenizer.json: cannot be read"), missing.stderr)

        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: broken) }
        try Data("{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}".utf8).write(to: broken)
        let unsupported = try run("encode", broken.path, lines: ["{\"text\": \"a\"}"])
        XCTAssertEqual(unsupported.status, 2)
        XCTAssertTrue(unsupported.stderr.contains("\(broken.path): model: the model \"WordLevel\" is not supported"), unsupported.stderr)

        let badText = try run("encode", gpt2, lines: ["{\"text\": \"ok\"}", "{\"ids\": [1]}"])
        XCTAssertEqual(badText.status, 2)
        XCTAssertEqual(badText.stdout, "")
        XCTAssertTrue(badText.stderr.contains("line 2 is not a JSON object with a \"text\" string"), badText.stderr)

        let badIDs = try run("decode", gpt2, lines: ["{\"ids\": [1, 2]}", "{\"ids\": [\"x\"]}"])
        XCTAssertEqual(badIDs.status, 2)
        XCTAssertTrue(badIDs.stderr.contains("line 2 is not a JSON object with an \"ids\" array of integers"), badIDs.stderr)

        let outside = try run("decode", gpt2, lines: ["{\"ids\": [15496, 50257]}"])
        XCTAssertEqual(outside.status, 2)
        XCTAssertTrue(outside.stderr.contains("line 1: the id 50257 is no token of \(gpt2) (vocabulary size 50257)"), outside.stderr)

        let usage = try runChapter(chapter, ["decode", "hf", gpt2])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("usage: encode hf TOKENIZER_JSON FILE.jsonl"), usage.stderr)
    }

    func testDecodedStringsAreJSON() throws {
        let gpt2 = families.appendingPathComponent("gpt2/tokenizer.json").path
        // "a\"b\\c\n\t" and a control character
        let run = try self.run("decode", gpt2, lines: ["{\"ids\": [64, 1, 65, 59, 66, 198, 197, 188]}"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "\"a\\\"b\\\\c\\n\\t\\u0000\"\n")
    }
}
