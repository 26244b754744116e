import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// The word tokenizer against the book's figures and examples (Raschka, *Build a Large Language
/// Model (From Scratch)*, ch. 2, checked with Python's `re` on the same file), and the
/// character tokenizer against tiny Shakespeare's 65 characters (Karpathy's char-rnn / nanoGPT).
final class WordTokenizerTests: XCTestCase {
    static let verdict = try! String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)
    var verdict: String { Self.verdict }

    func testSplitLikeTheBooksRegex() {
        // the book's example
        XCTAssertEqual(WordTokenizer.split("Hello, world. Is this-- a test?"),
                       ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"])
        // Python: [x for x in re.split(r'([,.:;?_!"()\']|--|\s)', s) if x.strip()]
        XCTAssertEqual(WordTokenizer.split("a\u{1C}b\u{3000}c---d"), ["a", "b", "c", "--", "-d"])
        XCTAssertEqual(WordTokenizer.split("It's well-known_ (really)!\n\t"),
                       ["It", "'", "s", "well-known", "_", "(", "really", ")", "!"])
        XCTAssertEqual(WordTokenizer.split(" \n "), [])
    }

    func testVerdictVocabulary() {
        XCTAssertEqual(verdict.count, 20_479)
        XCTAssertEqual(WordTokenizer.split(verdict).count, 4_690)
        let v1 = WordTokenizer(training: verdict)
        XCTAssertEqual(v1.vocabularySize, 1_130)
        XCTAssertEqual(Array(v1.tokens.prefix(12)), ["!", "\"", "'", "(", ")", ",", "--", ".", ":", ";", "?", "A"])
        XCTAssertFalse(v1.hasUnknownToken)
        let v2 = WordTokenizer(training: verdict, specialTokens: [WordTokenizer.endOfText, WordTokenizer.unknown])
        XCTAssertEqual(v2.vocabularySize, 1_132)
        XCTAssertEqual(v2.idOfToken["<|endoftext|>"], 1_130)
        XCTAssertEqual(v2.idOfToken["<|unk|>"], 1_131)
        XCTAssertTrue(v2.hasUnknownToken)
    }

    func testBookExamples() throws {
        let v1 = WordTokenizer(training: verdict)
        let text = "\"It's the last he painted, you know,\" Mrs. Gisburn said with pardonable pride."
        let ids = try v1.encodeChecked(text)
        XCTAssertEqual(ids, [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7])
        XCTAssertEqual(v1.encode(text), ids)
        XCTAssertEqual(v1.decode(ids), "\" It' s the last he painted, you know,\" Mrs. Gisburn said with pardonable pride.")

        let v2 = WordTokenizer(training: verdict, specialTokens: [WordTokenizer.endOfText, WordTokenizer.unknown])
        let joined = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace."
        XCTAssertEqual(v2.encode(joined), [1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7])
        XCTAssertEqual(v2.decode(v2.encode(joined)), "<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.")
    }

    func testUnknownWordIsAnErrorNamingIt() {
        let v1 = WordTokenizer(training: verdict)
        XCTAssertThrowsError(try v1.encodeChecked("Hello, do you like tea?")) { error in
            let e = error as? TokenizerError
            XCTAssertEqual(e?.source, "input")
            XCTAssertEqual(e?.problem, "the word \"Hello\" is not in the vocabulary")
            XCTAssertTrue("\(error)".contains("hint: add <|unk|>"), "\(error)")
        }
    }

    func testDecodeAttachesPunctuationAsTheBooksRegex() {
        let tokenizer = WordTokenizer(tokens: ["a", "(", ")", ",", ":", "--", "b"])
        // Python: re.sub(r'\s+([,.?!"()\'])', r'\1', "a ( b ) , : -- b")
        XCTAssertEqual(tokenizer.decode([0, 1, 6, 2, 3, 4, 5, 6]), "a( b), : -- b")
        XCTAssertEqual(tokenizer.decode([]), "")
    }

    // MARK: - Characters

    func testCharactersOfTinyShakespeare() throws {
        let shakespeare = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let chars = CharTokenizer(training: shakespeare)
        XCTAssertEqual(chars.vocabularySize, 65)
        XCTAssertEqual(String(String.UnicodeScalarView(chars.characters)),
                       "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        // nanoGPT's example: encode("hii there") with this vocabulary
        XCTAssertEqual(chars.encode("hii there"), [46, 47, 47, 1, 58, 46, 43, 56, 43])
        XCTAssertEqual(chars.decode([46, 47, 47, 1, 58, 46, 43, 56, 43]), "hii there")
        let ids = chars.encode(shakespeare)
        XCTAssertEqual(ids.count, 1_115_394)
        XCTAssertEqual(chars.decode(ids), shakespeare)
    }

    func testUnseenCharacterIsAnErrorNamingIt() {
        let chars = CharTokenizer(training: "hello")
        XCTAssertEqual(chars.encode("hole"), [1, 3, 2, 0])
        XCTAssertThrowsError(try chars.encodeChecked("café")) { error in
            XCTAssertEqual((error as? TokenizerError)?.problem, "the character \"c\" (U+0063) is not in the vocabulary")
        }
        XCTAssertThrowsError(try CharTokenizer(training: "cafe").encodeChecked("café")) { error in
            XCTAssertEqual((error as? TokenizerError)?.problem, "the character \"é\" (U+00E9) is not in the vocabulary")
        }
    }
}
