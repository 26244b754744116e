import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// The tokenizer files survive any bytes: thousands of seeded mutations of each real file end
/// in a `TokenizerError` naming the file, or in a tokenizer that encodes and decodes — never a
/// crash, a hang or a runaway allocation.
final class ParserFuzzTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try fuzzScratchDirectory("tokenizer-fuzz")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A text touching ASCII, accents, CJK and emoji, for encoding with a tokenizer that loaded.
    let sample = "Hello world, the result feels incredible. Déjà vu — 東京 👩‍💻\n  [CLS] <unk> <|endoftext|>"

    func bytes(_ fixture: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: fixtureURL(fixture))) }

    /// An error of the tokenizers that names `url`.
    func names(_ url: URL) -> (Error) -> Bool { { ($0 as? TokenizerError)?.source == url.path } }

    // MARK: - GPT-2: encoder.json and vocab.bpe

    /// encoder.json damaged, vocab.bpe intact (the first 1,000 merges of GPT-2's real files).
    func testGPT2EncoderJSON() throws {
        let url = directory.appendingPathComponent("encoder.json"), merges = fixtureURL("gpt2-excerpt/vocab.bpe")
        let outcome = fuzz("encoder.json", original: try bytes("gpt2-excerpt/encoder.json"), at: url, cases: 2000, seed: 11,
                           tokens: Mutator.jsonTokens + ["\"\\u0120\"", "\"<|endoftext|>\"", "\"!\"", ": 0", ": -5"],
                           parse: { url in
                               let tokenizer = try GPT2Tokenizer(vocabulary: url, merges: merges)
                               XCTAssertEqual(tokenizer.decode(tokenizer.encode(self.sample)), self.sample)
                           }, isExpected: { self.names(url)($0) || self.names(merges)($0) })   // a vocabulary the merges do not fit: named in vocab.bpe
        XCTAssertGreaterThan(outcome.refused, 1000)
    }

    /// vocab.bpe damaged, encoder.json intact.
    func testGPT2VocabBPE() throws {
        let url = directory.appendingPathComponent("vocab.bpe"), encoder = fixtureURL("gpt2-excerpt/encoder.json")
        let outcome = fuzz("vocab.bpe", original: try bytes("gpt2-excerpt/vocab.bpe"), at: url, cases: 2000, seed: 12,
                           tokens: ["\n", " ", "\r\n", "#version: 0.2\n", "Ġ", "Ġ t\n", "t Ġ\n", "\u{0}", "  ", "\r"],
                           parse: { url in
                               let tokenizer = try GPT2Tokenizer(vocabulary: encoder, merges: url)
                               XCTAssertEqual(tokenizer.decode(tokenizer.encode(self.sample)), self.sample)
                           }, isExpected: names(url))
        XCTAssertGreaterThan(outcome.refused, 500)
    }

    // MARK: - WordPiece vocab.txt

    func testWordPieceVocabulary() throws {
        let url = directory.appendingPathComponent("vocab.txt")
        let outcome = fuzz("vocab.txt", original: try bytes("wordpiece/vocab.txt"), at: url, cases: 2000, seed: 13,
                           tokens: ["\n", "\r\n", "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "##", "##a\n", "\u{FEFF}", " "],
                           parse: { url in
                               let tokenizer = try WordPieceTokenizer(vocabulary: url)
                               _ = tokenizer.decode(tokenizer.encode(self.sample))
                           }, isExpected: names(url))
        XCTAssertGreaterThan(outcome.refused, 200)
    }

    // MARK: - SentencePiece .model (a protocol buffer)

    func testSentencePieceModel() throws {
        let url = directory.appendingPathComponent("unigram.model")
        // protobuf keys: pieces (field 1), trainer_spec (2), normalizer_spec (3); a piece's text, score, type
        let keys = ["\u{0A}", "\u{12}", "\u{1A}", "\u{2A}", "\u{15}", "\u{18}", "\u{18}\u{06}", "\u{0A}\u{FF}\u{FF}\u{FF}\u{FF}\u{0F}",
                    "\u{80}\u{80}\u{80}\u{80}\u{80}\u{80}\u{80}\u{80}\u{80}\u{80}\u{01}", "<unk>", "▁"]
        let outcome = fuzz("unigram.model", original: try bytes("sentencepiece/unigram.model"), at: url, cases: 2000, seed: 14,
                           tokens: keys, hotOffsets: [0, 1, 2, 3],
                           parse: { url in
                               let tokenizer = try SentencePieceTokenizer(model: url)
                               _ = tokenizer.decode(tokenizer.encode(self.sample))
                           }, isExpected: names(url))
        XCTAssertGreaterThan(outcome.refused, 1000)
    }

    // MARK: - A course BPE's merges (bpe-merges.txt of a chapter 14 checkpoint)

    func testBytePairMerges() throws {
        let trained = BytePairTokenizer.train(String(repeating: "the cat sat on the mat, the end. ", count: 20), vocabularySize: 300)
        let url = directory.appendingPathComponent("bpe-merges.txt")
        let outcome = fuzz("bpe-merges.txt", original: Array(trained.savedText.utf8), at: url, cases: 1500, seed: 15,
                           tokens: ["\n", " ", "#", "-", "256", "\r\n"],
                           parse: { url in
                               let tokenizer = try BytePairTokenizer.load(from: url)
                               XCTAssertEqual(tokenizer.decode(tokenizer.encode(self.sample)), self.sample)
                           }, isExpected: names(url))
        XCTAssertGreaterThan(outcome.refused, 300)
    }
}
