import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// The unigram tokenizer against the `sentencepiece` library
/// (Tests/Fixtures/sentencepiece: a model trained on tiny Shakespeare, vocabulary 1,000).
final class SentencePieceTests: XCTestCase {
    static let tokenizer = try! SentencePieceTokenizer(model: fixtureURL("sentencepiece/unigram.model"))

    func testModelFile() {
        let model = Self.tokenizer.model
        XCTAssertEqual(model.pieces.count, 1000)
        XCTAssertEqual(model.pieces[0], .init(text: "<unk>", score: 0, type: .unknown))
        XCTAssertEqual(model.pieces[1].type, .control)
        XCTAssertEqual(model.pieces[3].text, ",")
        XCTAssertEqual(model.pieces[3].score, -2.95451, accuracy: 1e-5)   // unigram.vocab
        XCTAssertEqual(model.normalizerName, "identity")
        XCTAssertEqual(model.unknownSurface, " \u{2047} ")
    }

    func testEveryLibraryCase() throws {
        let cases = try readJSONLines(fixtureURL("sentencepiece/cases.jsonl"))
        XCTAssertEqual(cases.count, 129)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String
            let pieces = Self.tokenizer.pieces(for: text)
            let ok = pieces.map(\.piece) == c["pieces"] as! [String] && pieces.map(\.id) == c["ids"] as! [Int]
                && Self.tokenizer.decode(pieces.map(\.id)) == c["decoded"] as! String
            if !ok {
                failures += 1
                if failures <= 6 { XCTFail("\(text.debugDescription): got \(pieces.map(\.piece)) → \(Self.tokenizer.decode(pieces.map(\.id)).debugDescription), expected \(c["pieces"]!) → \(c["decoded"]!)") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    /// Checked with the sentencepiece library: unknown characters, tabs and spaces.
    func testUnknownsAndSpaces() {
        let t = Self.tokenizer
        XCTAssertEqual(t.pieces(for: "xyz日本語 q").map(\.piece), ["▁", "x", "y", "z", "日本語", "▁", "q"])
        XCTAssertEqual(t.encode("xyz日本語 q"), [5, 425, 28, 418, 0, 5, 996])
        XCTAssertEqual(t.decode(t.encode("xyz日本語 q")), "xyz ⁇  q")
        XCTAssertEqual(t.encode("a\tb"), [14, 0, 50])
        XCTAssertEqual(t.encode("  "), [])
        XCTAssertEqual(t.encode("ab  "), [14, 50])
        XCTAssertEqual(t.decode(t.encode("Ünïcödé")), " ⁇ n ⁇ c ⁇ d ⁇ ")
    }

    func testCorruptModels() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sp-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try SentencePieceModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("cannot be read"), "\($0)") }
        let good = try Data(contentsOf: fixtureURL("sentencepiece/unigram.model"))
        try good.prefix(good.count / 2).write(to: url)
        XCTAssertThrowsError(try SentencePieceModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("runs past the end"), "\($0)") }
        try Data([0x0A, 0x80]).write(to: url)     // a length whose varint never ends
        XCTAssertThrowsError(try SentencePieceModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("varint runs past the end"), "\($0)") }
        try Data([0x12, 0x00]).write(to: url)     // an empty trainer spec, no pieces
        XCTAssertThrowsError(try SentencePieceModel(contentsOf: url)) { XCTAssertTrue("\($0)".contains("has no pieces"), "\($0)") }
    }
}
