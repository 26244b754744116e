import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// WordPiece against Hugging Face's BertTokenizer(vocab.txt, do_lower_case=True)
/// (Tests/Fixtures/wordpiece/cases.jsonl: text, tokens, ids with [CLS] and [SEP]).
final class WordPieceTests: XCTestCase {
    static let tokenizer = try! WordPieceTokenizer(vocabulary: fixtureURL("wordpiece/vocab.txt"))

    func testEveryHuggingFaceCase() throws {
        let cases = try readJSONLines(fixtureURL("wordpiece/cases.jsonl"))
        XCTAssertEqual(cases.count, 195)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String
            let tokens = Self.tokenizer.tokens(for: text), ids = Self.tokenizer.encode(text)
            if tokens != c["tokens"] as! [String] || ids != c["ids"] as! [Int] {
                failures += 1
                if failures <= 8 { XCTFail("\(text.debugDescription): got \(tokens), expected \(c["tokens"]!)") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testGreedyLongestMatch() {
        XCTAssertEqual(Self.tokenizer.tokens(for: "Hello, world!"), ["[CLS]", "hell", "##o", ",", "world", "!", "[SEP]"])
        XCTAssertEqual(Self.tokenizer.tokenize(String(repeating: "a", count: 101)), ["[UNK]"])
        XCTAssertEqual(Self.tokenizer.decode(Self.tokenizer.encode("Hello, world!")), "hello , world !")
    }

    func testBadVocabularies() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: url)) { XCTAssertTrue("\($0)".contains("cannot be read"), "\($0)") }
        try Data("".utf8).write(to: url)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: url)) { XCTAssertTrue("\($0)".contains("is empty"), "\($0)") }
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\nthe\nthe\n".utf8).write(to: url)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: url)) { XCTAssertTrue("\($0)".contains("line 6 repeats the token \"the\" of line 5"), "\($0)") }
        try Data("the\ncat\n".utf8).write(to: url)
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: url)) { XCTAssertTrue("\($0)".contains("has no [UNK] token"), "\($0)") }
    }
}
