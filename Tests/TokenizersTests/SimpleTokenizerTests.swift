import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// The word and character tokenizers, against the book's figures (Raschka, ch. 2; checked with
/// Python's `re` on the same file) and tiny Shakespeare's 65 characters.
final class SimpleTokenizerTests: XCTestCase {
    let verdict = try! String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)

    func testSplitLikeTheBooksRegex() {
        XCTAssertEqual(WordTokenizer.split("Hello, world. Is this-- a test?"),
                       ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"])
        XCTAssertEqual(WordTokenizer.split("a-b 'c'\n\td"), ["a-b", "'", "c", "'", "d"])
    }

    func testVerdictVocabulary() {
        XCTAssertEqual(WordTokenizer.split(verdict).count, 4690)
        let v1 = WordTokenizer(training: verdict)
        XCTAssertEqual(v1.vocabularySize, 1130)
        XCTAssertEqual(Array(v1.tokens.prefix(5)), ["!", "\"", "'", "(", ")"])
        let v2 = WordTokenizer(training: verdict, specialTokens: [WordTokenizer.endOfText, WordTokenizer.unknown])
        XCTAssertEqual(v2.vocabularySize, 1132)
        XCTAssertEqual(v2.idOfToken["<|endoftext|>"], 1130)
        XCTAssertEqual(v2.idOfToken["<|unk|>"], 1131)
    }

    func testBookExamples() throws {
        let v1 = WordTokenizer(training: verdict)
        let text = "\"It's the last he painted, you know,\" Mrs. Gisburn said with pardonable pride."
        let ids = try v1.encodeChecked(text)
        XCTAssertEqual(ids, [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7])
        XCTAssertEqual(v1.decode(ids), "\" It' s the last he painted, you know,\" Mrs. Gisburn said with pardonable pride.")
        XCTAssertThrowsError(try v1.encodeChecked("Hello, do you like tea?")) {
            XCTAssertTrue("\($0)".contains("the word \"Hello\" is not in the vocabulary"), "\($0)")
        }
        let v2 = WordTokenizer(training: verdict, specialTokens: [WordTokenizer.endOfText, WordTokenizer.unknown])
        let joined = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace."
        XCTAssertEqual(v2.encode(joined), [1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7])
        XCTAssertEqual(v2.decode(v2.encode(joined)), "<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>.")
    }

    func testCharacters() throws {
        let shakespeare = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let chars = CharTokenizer(training: shakespeare)
        XCTAssertEqual(chars.vocabularySize, 65)
        XCTAssertEqual(String(chars.characters.prefix(3).map(Character.init)), "\n !")
        let ids = chars.encode("First Citizen:")
        XCTAssertEqual(chars.decode(ids), "First Citizen:")
        XCTAssertThrowsError(try chars.encodeChecked("café")) { XCTAssertTrue("\($0)".contains("U+E9"), "\($0)") }
    }
}

/// Byte-pair encoding from scratch.
final class BPETests: XCTestCase {
    func testMergesOnATinyCorpus() {
        // "aaabdaaabac" (the Wikipedia example) is one pre-token: the first merge is (a, a)
        var seen: [Merge] = []
        let bpe = BytePairTokenizer.train("aaabdaaabac", vocabularySize: 259) { merge, _ in seen.append(merge) }
        XCTAssertEqual(seen.map(\.token), [256, 257, 258])
        XCTAssertEqual(seen[0], Merge(first: 97, second: 97, token: 256, count: 4))
        XCTAssertEqual(bpe.vocabulary[256], Array("aa".utf8))
        XCTAssertEqual(bpe.decode(bpe.encode("aaabdaaabac")), "aaabdaaabac")
        XCTAssertLessThan(bpe.encode("aaabdaaabac").count, 11)
    }

    func testTiesAreBrokenBySmallestPair() {
        // pre-tokens "cdab" and " cdab": (c, d), (d, a) and (a, b) all occur twice; (a, b) has the smallest ids
        let bpe = BytePairTokenizer.train("cdab cdab", vocabularySize: 257)
        XCTAssertEqual(bpe.merges.first.map { [$0.first, $0.second] }, [97, 98])
    }

    func testTrainingOnTheVerdictIsDeterministicAndCompresses() {
        let text = try! String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)
        let a = BytePairTokenizer.train(text, vocabularySize: 400)
        let b = BytePairTokenizer.train(text, vocabularySize: 400)
        XCTAssertEqual(a.merges, b.merges)
        XCTAssertEqual(a.vocabularySize, 400)
        let ids = a.encode(text)
        XCTAssertLessThan(ids.count, text.utf8.count * 6 / 10)
        XCTAssertEqual(a.decode(ids), text)
        // the first merge of English text with GPT-2's pre-split: a space and a letter, or "e " etc.
        XCTAssertEqual(a.display(a.merges[0].token).count, 2)
    }

    func testSaveAndLoad() throws {
        let bpe = BytePairTokenizer.train("hello hello world, hello there", vocabularySize: 270)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("merges-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try bpe.save(to: url)
        let loaded = try BytePairTokenizer.load(from: url)
        XCTAssertEqual(loaded.vocabulary, bpe.vocabulary)
        XCTAssertEqual(loaded.encode("hello world"), bpe.encode("hello world"))
        try Data("# merges\n104 101\n300 1\n".utf8).write(to: url)
        XCTAssertThrowsError(try BytePairTokenizer.load(from: url)) { XCTAssertTrue("\($0)".contains("line 3 is not a merge of two known token ids"), "\($0)") }
    }

    /// decode(encode(s)) == s for any string.
    func testRoundTripOfRandomUnicode() {
        let bpe = BytePairTokenizer.train("the cat sat on the mat; the dog — 犬 — sat too. 🙂🙂", vocabularySize: 300)
        let pieces = ["a", " ", "\n", "\r", "é", "e\u{301}", "日本", "مرحبا", "👩‍👩‍👧", "🇫🇷", "\u{0}", "the", " cat", "'s", "½", "\u{FEFF}"]
        var state: UInt64 = 99
        for _ in 0..<2000 {
            var s = ""
            state = state &* 6364136223846793005 &+ 1442695040888963407
            for _ in 0..<Int(state >> 60) + 1 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                s += pieces[Int(state >> 33) % pieces.count]
            }
            XCTAssertEqual(bpe.decode(bpe.encode(s)), s)
        }
    }
}
