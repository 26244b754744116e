import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// GPT-2's tokenizer against tiktoken's `gpt2` encoding (tiktoken 0.14.0): the fixture cases
/// (Tests/Fixtures/gpt2-tokenizer-*.json*), and ids computed with tiktoken for the edge cases
/// below; the pre-tokenizer against the Python `regex` module.
final class GPT2TokenizerTests: XCTestCase {
    static let tokenizer = try! GPT2Tokenizer(directory: dataDirectory.appendingPathComponent("gpt2"))
    var tokenizer: GPT2Tokenizer { Self.tokenizer }

    func testEveryTiktokenCase() throws {
        let cases = try readJSONLines(fixtureURL("gpt2-tokenizer-cases.jsonl"))
        XCTAssertEqual(cases.count, 295)
        XCTAssertEqual(cases.filter { ($0["text"] as! String).contains("<|endoftext|>") }.count, 1)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String, ids = c["ids"] as! [Int]
            let got = tokenizer.encode(text)
            if got != ids || tokenizer.decode(got) != text {
                failures += 1
                if failures <= 5 { XCTFail("\(text.debugDescription): got \(got), tiktoken \(ids)") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testTheVerdict() throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureURL("gpt2-tokenizer-summary.json")))
        let verdict = try XCTUnwrap((object as? [String: [String: Any]])?["the-verdict.txt"])
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)
        XCTAssertEqual(text.count, verdict["characters"] as? Int)
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, 5_145)
        XCTAssertEqual(ids.count, verdict["tokens"] as? Int)
        XCTAssertEqual(Array(ids.prefix(50)), verdict["first_ids"] as? [Int])
        XCTAssertEqual(tokenizer.decode(ids), text)
    }

    func testTinyShakespeare() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let ids = tokenizer.encode(text)
        XCTAssertEqual(ids.count, 338_025)
        XCTAssertEqual(tokenizer.decode(ids), text)
        // a second pass reads every chunk from the cache and must give the same ids
        XCTAssertEqual(tokenizer.encode(text), ids)
    }

    func testVocabularyAndSpecialToken() {
        XCTAssertEqual(tokenizer.vocabularySize, 50_257)
        XCTAssertEqual(tokenizer.mergeCount, 50_000)
        XCTAssertEqual(tokenizer.endOfText, 50_256)
        XCTAssertEqual(tokenizer.encode("Hello, world!"), [15496, 11, 995, 0])
        XCTAssertEqual(tokenizer.tokenString(995), "Ġworld")
        XCTAssertEqual(tokenizer.tokenString(198), "Ċ")
        XCTAssertEqual(tokenizer.encode("x<|endoftext|><|endoftext|>y<|endoftext"), [87, 50256, 50256, 88, 27, 91, 437, 1659, 5239])
        // tiktoken's encode_ordinary: the special token's text as ordinary text
        XCTAssertEqual(tokenizer.encode("<|endoftext|>", allowSpecial: false), [27, 91, 437, 1659, 5239, 91, 29])
        XCTAssertEqual(tokenizer.encodeOrdinary("<|endoftext|>"), [27, 91, 437, 1659, 5239, 91, 29])
        XCTAssertEqual(tokenizer.decode([50256]), "<|endoftext|>")
        XCTAssertEqual(tokenizer.encode(""), [])
        // the book's example (Raschka, ch. 2)
        XCTAssertEqual(tokenizer.encode("Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."),
                       [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13])
    }

    /// Whitespace, contractions, other scripts' digits, combining marks, and characters new in
    /// Unicode 17.0 (which tiktoken's Unicode 16.0 tables see as "other"): ids from tiktoken.
    func testEdgeCasesAgainstTiktoken() {
        let cases: [(String, [Int])] = [
            ("a\u{88F}b", [64, 156, 95, 237, 65]),                              // U+088F: a letter in Unicode 17 only
            ("x\u{11DE0}y 7", [87, 172, 239, 115, 254, 88, 767]),               // U+11DE0: a digit in Unicode 17 only
            ("a\u{1C}b \u{1C} c", [64, 216, 65, 220, 216, 269]),                // U+001C is not \s for tiktoken
            ("a\u{3000}\u{3000}b", [64, 5099, 222, 5099, 222, 65]),
            ("\u{A0}\u{A0}x", [1849, 1849, 87]),
            ("tab\t\tend\t", [8658, 197, 197, 437, 197]),
            ("line\r\nnext\r", [1370, 201, 198, 19545, 201]),
            ("Hello\n\n\nWorld  ", [15496, 628, 198, 10603, 220, 220]),
            ("don't DON'T we'll I'M", [9099, 470, 23917, 6, 51, 356, 1183, 314, 6, 44]),
            ("\u{200D}\u{200D}x", [447, 235, 447, 235, 87]),
            ("  \u{2028}a", [220, 220, 447, 101, 64]),
            ("x\u{301}\u{301}", [87, 136, 223, 136, 223]),
            ("١٢٣ ½ Ⅻ", [149, 94, 149, 95, 149, 96, 25208, 2343, 227, 104]),
            (" 🙂 👩‍👩‍👧", [32485, 50169, 102, 447, 235, 41840, 102, 447, 235, 41840, 100]),
        ]
        for (text, ids) in cases {
            XCTAssertEqual(tokenizer.encode(text), ids, text.debugDescription)
            XCTAssertEqual(tokenizer.decode(ids), text)
        }
    }

    /// Tokens that end inside a character decode with U+FFFD, as tiktoken's `decode`
    /// (`errors="replace"`): one per maximal invalid sequence.
    func testDecodingPartialCharacters() {
        XCTAssertEqual(tokenizer.encode("🙂"), [8582, 25081])
        XCTAssertEqual(tokenizer.decode([8582]), "\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([25081]), "\u{FFFD}\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([8582, 64, 25081]), "\u{FFFD}a\u{FFFD}\u{FFFD}")
        XCTAssertEqual(tokenizer.decode([447, 447, 235]), "\u{FFFD}\u{200D}")
        XCTAssertEqual(tokenizer.decodeBytes([447, 447, 235]), [0xE2, 0x80, 0xE2, 0x80, 0x8D])
    }

    func testPreTokenizerMatchesTheRegex() {
        // Python: regex.findall(GPT-2's pattern, text)
        let cases: [(String, [String])] = [
            ("Hello, it's 2024!\n\n  Bye", ["Hello", ",", " it", "'s", " 2024", "!", "\n\n ", " Bye"]),
            ("a   b\n\nc \t d  ", ["a", "  ", " b", "\n", "\n", "c", " \t", " d", "  "]),
            ("x'sy'S'' 'll'llama", ["x", "'s", "y", "'", "S", "''", " '", "ll", "'ll", "ama"]),
            ("\u{3000}\u{3000}a\u{A0}b", ["\u{3000}", "\u{3000}", "a", "\u{A0}", "b"]),
            (" 123abc ..!? \u{661}\u{662}", [" 123", "abc", " ..!?", " \u{661}\u{662}"]),
        ]
        for (text, chunks) in cases { XCTAssertEqual(gpt2PreTokens(text), chunks, text.debugDescription) }
    }

    /// The scanner's tables agree with the classification of every scalar, and planes 4…16
    /// hold no letter, digit or whitespace (so the scanner need not look them up).
    func testCharacterClassTables() {
        var mismatches = 0
        for v in UInt32(0)...0x10FFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            if ScalarClasses.of(v) != ScalarClasses.classify(s) { mismatches += 1 }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(ScalarClasses.of(0x88F), .other)      // Unicode 17.0
        XCTAssertEqual(ScalarClasses.of(0x1C), .other)
        XCTAssertEqual(ScalarClasses.of(0x3000), .whitespace)
        XCTAssertEqual(ScalarClasses.of(0x2167), .number)    // Ⅷ
        XCTAssertEqual(ScalarClasses.of(0x1D518), .letter)   // 𝔘
    }

    /// decode(encode(s)) == s for 5,000 seeded random strings of awkward Unicode.
    func testRoundTripOfRandomUnicode() {
        var g = SplitMix64(seed: 1)
        var failures = 0
        for _ in 0..<5_000 {
            let s = RandomText.string(&g)
            let ids = tokenizer.encode(s)
            if tokenizer.decode(ids) != s || tokenizer.decodeBytes(ids) != Array(s.utf8) {
                failures += 1
                if failures <= 5 { XCTFail("round trip of \(s.debugDescription) gave \(tokenizer.decode(ids).debugDescription)") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testHuggingFaceFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(at: dataDirectory.appendingPathComponent("gpt2/encoder.json"), to: directory.appendingPathComponent("vocab.json"))
        // merges.txt with Windows line ends, to check they are accepted
        let merges = try String(contentsOf: dataDirectory.appendingPathComponent("gpt2/vocab.bpe"), encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")
        try Data(merges.utf8).write(to: directory.appendingPathComponent("merges.txt"))
        for hf in [try GPT2Tokenizer(huggingFace: directory), try GPT2Tokenizer(directory: directory)] {
            XCTAssertEqual(hf.vocabularySize, 50_257)
            XCTAssertEqual(hf.mergeCount, 50_000)
            XCTAssertEqual(hf.encode("Hello, do you like tea? <|endoftext|> In the sunlit terraces of someunknownPlace."),
                           [15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 286, 617, 34680, 27271, 13])
        }
    }

    // MARK: - Bad files

    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gpt2-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The 256 byte tokens plus "ab" (id 256) and "Ġa" (id 257), as GPT-2's files write them.
    func smallVocabulary() -> [String: Int] {
        var table: [String: Int] = [:]
        for b in 0..<256 { table[ByteToUnicode.text(of: [UInt8(b)])] = b }
        table["ab"] = 256
        table["Ġa"] = 257
        return table
    }

    func testBadFilesNameTheFileAndTheProblem() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let vocab = directory.appendingPathComponent("encoder.json"), merges = directory.appendingPathComponent("vocab.bpe")
        func expectError(_ file: URL, _ problem: String, line: UInt = #line) {
            XCTAssertThrowsError(try GPT2Tokenizer(vocabulary: vocab, merges: merges), line: line) { error in
                XCTAssertEqual((error as? TokenizerError)?.source, file.path, line: line)
                XCTAssertEqual((error as? TokenizerError)?.problem, problem, line: line)
            }
        }
        func write(_ text: String, _ url: URL) throws { try Data(text.utf8).write(to: url) }
        func writeVocabulary(_ table: [String: Any]) throws {
            try JSONSerialization.data(withJSONObject: table, options: .sortedKeys).write(to: vocab)
        }

        // encoder.json
        expectError(vocab, "cannot be read (is the path right?)")
        try write("{\"a\": 0,", vocab)
        XCTAssertThrowsError(try GPT2Tokenizer(vocabulary: vocab, merges: merges)) {
            XCTAssertTrue("\($0)".hasPrefix("\(vocab.path): is not valid JSON ("), "\($0)")
        }
        try write("[1, 2]", vocab)
        expectError(vocab, "is JSON but not an object mapping tokens to ids")
        try writeVocabulary(["a": "zero"])
        expectError(vocab, "the token \"a\" maps to zero, not an integer id")
        try writeVocabulary(["a": 0, "b": 5])
        expectError(vocab, "the token \"b\" has the id 5, outside 0..<2")
        try writeVocabulary(["a": 0, "b": 0])
        expectError(vocab, "the tokens \"a\" and \"b\" have the same id 0")
        var table = smallVocabulary()
        table["a€"] = 258
        try writeVocabulary(table)
        expectError(vocab, "the token \"a€\" has a character outside GPT-2's byte-to-unicode alphabet")
        table = smallVocabulary()
        table["Ā"] = nil                       // byte 0
        table["ab"] = 0
        table["Ġa"] = 256
        table["ac"] = 257
        try writeVocabulary(table)
        expectError(vocab, "has no token for the byte 0 (written \"Ā\")")

        // vocab.bpe
        try writeVocabulary(smallVocabulary())
        expectError(merges, "cannot be read (is the path right?)")
        try write("#version: 0.2\na b\nab\n", merges)
        expectError(merges, "line 3 is not a merge of two tokens separated by one space: \"ab\"")
        try write("a b\nĠ a c\n", merges)
        expectError(merges, "line 2 is not a merge of two tokens separated by one space: \"Ġ a c\"")
        try write("a b\nĠa b\n", merges)
        expectError(merges, "line 2: the merge of \"Ġa\" and \"b\" makes \"Ġab\", which is not in encoder.json")
        try write("a b\nĠ ax\n", merges)
        expectError(merges, "line 2: the token \"ax\" is not in encoder.json")
        try write("a b\nb c\n", merges)
        expectError(merges, "line 2: the merge of \"b\" and \"c\" makes \"bc\", which is not in encoder.json")
        try Data([0x61, 0x20, 0x62, 0x0A, 0xFF]).write(to: merges)
        expectError(merges, "is not UTF-8 text")

        // good files
        try write("#version: 0.2\na b\nĠ a\n", merges)
        let small = try GPT2Tokenizer(vocabulary: vocab, merges: merges)
        XCTAssertEqual(small.vocabularySize, 258)
        XCTAssertEqual(small.endOfText, -1)
        // "abab", " ab", " a": in " ab", a+b (rank 0) goes before Ġ+a (rank 1), and Ġ+ab is no merge
        XCTAssertEqual(small.encode("abab ab a"), [256, 256, 32, 256, 257])
        XCTAssertEqual(small.decode([256, 256, 32, 256, 257]), "abab ab a")
    }
}
