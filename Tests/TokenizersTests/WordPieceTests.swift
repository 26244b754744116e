import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// WordPiece against Hugging Face's `BertTokenizer(vocab.txt, do_lower_case=True)`
/// (transformers 5, on the `tokenizers` library). Tests/Fixtures/wordpiece/cases.jsonl holds
/// `text`, `tokens` and `ids` ([CLS] and [SEP] included) for 195 texts; the literal values
/// below were also produced by that library.
final class WordPieceTests: XCTestCase {
    static let tokenizer = try! WordPieceTokenizer(vocabulary: fixtureURL("wordpiece/vocab.txt"))

    // MARK: - Against the library

    func testEveryHuggingFaceCase() throws {
        let cases = try readJSONLines(fixtureURL("wordpiece/cases.jsonl"))
        XCTAssertEqual(cases.count, 195)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String
            let pairs = Self.tokenizer.tokensAndIDs(for: text)
            let expectedTokens = c["tokens"] as! [String], expectedIDs = c["ids"] as! [Int]
            let ok = pairs.map(\.token) == expectedTokens && pairs.map(\.id) == expectedIDs
                && Self.tokenizer.encode(text) == expectedIDs && Self.tokenizer.tokens(for: text) == expectedTokens
            if !ok {
                failures += 1
                if failures <= 5 { XCTFail("\(text.debugDescription): got \(pairs.map(\.token)), expected \(expectedTokens)") }
            }
        }
        XCTAssertEqual(failures, 0, "of \(cases.count) cases")
    }

    func testVocabulary() {
        let t = Self.tokenizer
        XCTAssertEqual(t.vocabularySize, 2000)
        XCTAssertEqual(Array(t.vocabulary.prefix(5)), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        XCTAssertEqual([t.unknownID, t.classID, t.separatorID], [1, 2, 3])
        XCTAssertEqual(t.id(of: "hell"), 1543)
        XCTAssertEqual(t.token(of: 1543), "hell")
        XCTAssertNil(t.id(of: "no such token"))
    }

    /// `BertNormalizer.normalize_str` of the `tokenizers` library gave these.
    func testNormalization() {
        XCTAssertEqual(BertNormalizer.normalize("Héllo,\tWORLD 日本"), "hello, world  日  本 ")
        XCTAssertEqual(BertNormalizer.normalize("naïve CAFÉ e\u{301}\u{302}"), "naive cafe e")
        XCTAssertEqual(BertNormalizer.normalize("zero\u{200B}width\u{0}\u{FFFD}\u{7}x"), "zerowidthx")
        XCTAssertEqual(BertNormalizer.normalize("a\u{A0}b\u{3000}c\u{2028}d\r\ne"), "a b c d  e")
        XCTAssertEqual(BertNormalizer.normalize("İSTANBUL ΑΣ Ǆ"), "istanbul ασ ǆ")
        XCTAssertEqual(BertNormalizer.words("Don't stop—it's 3.14!"), ["don", "'", "t", "stop", "—", "it", "'", "s", "3", ".", "14", "!"])
        // Unicode 8.0 tables: U+061D (Unicode 14 punctuation) and U+08D4 (a Unicode 9 mark) stay
        // in their word; U+2E42 (Unicode 7 punctuation) is split off; U+08E2 (a Unicode 9
        // format character) is kept, U+200B (Unicode 4) dropped.
        XCTAssertEqual(BertNormalizer.words("a\u{61D}b c\u{2E42}d e\u{8D4}f g\u{8E2}h\u{200B}"),
                       ["a\u{61D}b", "c", "\u{2E42}", "d", "e\u{8D4}f", "g\u{8E2}h"])
        // the characters whose category changed since Unicode 8.0, and U+11938, which the
        // library does not decompose
        XCTAssertEqual(BertNormalizer.words("a\u{166D}b c\u{1734}d e\u{1885}\u{1886}f g\u{A9BD}h i\u{111C9}j k\u{1171E}l m\u{11938}n"),
                       ["a", "\u{166D}", "b", "cd", "e\u{1885}\u{1886}f", "g\u{A9BD}h", "i", "\u{111C9}", "j", "kl", "m\u{11938}n"])
    }

    /// The `tokenizers` library's output for these texts.
    func testSpecialTokensAndLongWords() {
        let t = Self.tokenizer
        XCTAssertEqual(t.tokens(for: "a [MASK] b[SEP]c [cls]"),
                       ["[CLS]", "a", "[MASK]", "b", "[SEP]", "c", "[UNK]", "cl", "##s", "[UNK]", "[SEP]"])
        XCTAssertEqual(t.encode("a [MASK] b[SEP]c [cls]"), [2, 20, 4, 21, 3, 22, 1, 281, 49, 1, 3])
        XCTAssertEqual(t.tokens(for: "[UNK][PAD]"), ["[CLS]", "[UNK]", "[PAD]", "[SEP]"])
        XCTAssertEqual(t.tokens(for: String(repeating: "a", count: 100)).count, 2 + 100)   // a ##a ##a …
        XCTAssertEqual(t.tokens(for: String(repeating: "a", count: 101)), ["[CLS]", "[UNK]", "[SEP]"])
        XCTAssertEqual(t.tokens(for: "the unaffablexyz\u{4E2D}"), ["[CLS]", "the", "un", "##af", "##f", "##able", "##x", "##y", "##z", "[UNK]", "[SEP]"])
        XCTAssertEqual(t.encode("the unaffablexyz\u{4E2D}"), [2, 75, 222, 1918, 67, 663, 68, 61, 71, 1, 3])
        XCTAssertEqual(t.tokens(for: ""), ["[CLS]", "[SEP]"])
        XCTAssertEqual(t.wordPieces("unaffable"), ["un", "##af", "##f", "##able"])
    }

    // MARK: - Decoding

    /// Decoding is the library's WordPiece decoder (`decoders.WordPiece(cleanup=False)`) on the
    /// tokens without [CLS] and [SEP]; the first two values are its output.
    func testDecode() throws {
        let t = Self.tokenizer
        XCTAssertEqual(t.decode(t.encode("Hello, world!")), "hello , world !")
        XCTAssertEqual(t.decode(t.encode("Naïve [MASK] 中文")), "naive [MASK] [UNK] [UNK]")
        XCTAssertEqual(t.decode([]), "")
        // every fixture case: the library's tokens, "##" pieces glued on, [CLS]/[SEP] dropped
        for c in try readJSONLines(fixtureURL("wordpiece/cases.jsonl")) {
            let tokens = (c["tokens"] as! [String]).filter { $0 != "[CLS]" && $0 != "[SEP]" }
            var expected = ""
            for (k, token) in tokens.enumerated() {
                expected += k > 0 && token.hasPrefix("##") ? String(token.dropFirst(2)) : (k > 0 ? " " : "") + token
            }
            XCTAssertEqual(t.decode(c["ids"] as! [Int]), expected)
        }
    }

    // MARK: - Bad vocabularies

    func testBadVocabularies() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        func error(_ contents: Data?) -> String {
            if let contents { try! contents.write(to: url) }
            do {
                _ = try WordPieceTokenizer(vocabulary: url)
                return "no error"
            } catch {
                XCTAssertTrue(error is TokenizerError)
                return "\(error)"
            }
        }
        XCTAssertTrue(error(nil).hasPrefix("\(url.path): cannot be read"), error(nil))
        XCTAssertTrue(error(Data()).hasPrefix("\(url.path): is empty"))
        XCTAssertTrue(error(Data([0x5B, 0xFF, 0x0A])).hasPrefix("\(url.path): is not UTF-8 text"))
        let duplicate = error(Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nthe\n".utf8))
        XCTAssertTrue(duplicate.hasPrefix("\(url.path): line 6 repeats the token \"the\" of line 5"), duplicate)
        XCTAssertTrue(error(Data("the\ncat\n".utf8)).hasPrefix("\(url.path): has no [UNK] token"))
        // CRLF line ends and a missing final newline are fine
        try Data("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\ncat".utf8).write(to: url)
        let crlf = try WordPieceTokenizer(vocabulary: url)
        XCTAssertEqual(crlf.vocabulary, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "cat"])
        XCTAssertEqual(crlf.encode("Cat dog"), [2, 4, 1, 3])
    }

    // MARK: - Speed

    /// Tiny Shakespeare (1.1 MB) in one call: the library gives 321,577 tokens whose ids add
    /// up to 120,431,128. The time is printed.
    func testSpeedOnTinyShakespeare() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let ids = Self.tokenizer.encode(text)
        print("WordPiece: tinyshakespeare.txt (\(text.utf8.count) bytes) → \(ids.count) tokens")
        XCTAssertEqual(ids.count, 321_577)
        XCTAssertEqual(ids.reduce(0, +), 120_431_128)
        XCTAssertEqual(Array(ids.prefix(8)), [2, 350, 875, 16, 524, 132, 1756, 525])
    }
}
