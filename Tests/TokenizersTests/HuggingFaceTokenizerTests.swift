// The tokenizer.json reader against the `tokenizers` library: every case of the seven families
// in Tests/Fixtures/hf/tokenizer-json (made by make_fixtures_hf.py beside them), and of the
// variants in Tests/Fixtures/hf/tokenizer-json-variants that exercise the other components and
// options (make_variants.py): ids, decoded text, and decoded text without special tokens.

import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

final class HuggingFaceTokenizerTests: XCTestCase {
    static let families = ["gpt2", "llama3", "qwen2", "llama2", "mistral", "bert", "unigram"]

    func tokenizer(_ family: String, in folder: String = "tokenizer-json") throws -> HuggingFaceTokenizer {
        try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/\(folder)/\(family)/tokenizer.json"))
    }

    func cases(_ family: String, in folder: String = "tokenizer-json") throws
        -> [(text: String, ids: [Int], decoded: String, decodedSkipping: String?)] {
        try readJSONLines(fixtureURL("hf/\(folder)/\(family)/cases.jsonl")).map {
            ($0["text"] as! String, ($0["ids"] as! [NSNumber]).map(\.intValue), $0["decoded"] as! String, $0["decoded_skip"] as? String)
        }
    }

    /// Every case of one family: the ids of encode (special tokens added) and the text of decode.
    func checkFamily(_ family: String, in folder: String = "tokenizer-json", minimumCases: Int = 250,
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let tokenizer = try tokenizer(family, in: folder)
        let cases = try cases(family, in: folder)
        XCTAssertGreaterThanOrEqual(cases.count, minimumCases, "\(family): too few cases", file: file, line: line)
        var idFailures = 0, textFailures = 0
        for c in cases {
            let ids = try tokenizer.encode(c.text, addSpecialTokens: true)
            if ids != c.ids {
                idFailures += 1
                if idFailures <= 3 { XCTFail("\(family) encode(\(c.text.debugDescription)) = \(ids), expected \(c.ids)", file: file, line: line) }
            }
            let decoded = tokenizer.decode(c.ids)
            if let skipping = c.decodedSkipping {
                XCTAssertEqual(tokenizer.decode(c.ids, skipSpecialTokens: true), skipping,
                               "\(family) decode(\(c.ids), skipSpecialTokens: true)", file: file, line: line)
            }
            if decoded != c.decoded {
                textFailures += 1
                if textFailures <= 3 { XCTFail("\(family) decode(\(c.ids)) = \(decoded.debugDescription), expected \(c.decoded.debugDescription)", file: file, line: line) }
            }
        }
        XCTAssertEqual(idFailures, 0, "\(family): cases whose ids differ", file: file, line: line)
        XCTAssertEqual(textFailures, 0, "\(family): cases whose decoded text differs", file: file, line: line)
    }

    func testGPT2() throws { try checkFamily("gpt2") }
    func testLlama3() throws { try checkFamily("llama3") }
    func testQwen2() throws { try checkFamily("qwen2") }
    func testLlama2() throws { try checkFamily("llama2") }
    func testMistral() throws { try checkFamily("mistral") }
    func testBERT() throws { try checkFamily("bert") }
    func testUnigram() throws { try checkFamily("unigram") }

    // MARK: - Variants

    func variant(_ name: String) throws { try checkFamily(name, in: "tokenizer-json-variants", minimumCases: 130) }

    /// NFD, StripAccents, Lowercase, Strip; WhitespaceSplit, Punctuation, Digits; RobertaProcessing;
    /// added tokens with lstrip, rstrip, single_word and normalized.
    func testWordPieceOptions() throws { try variant("wordpiece-options") }
    /// BertNormalizer's options; the Whitespace pre-tokenizer; the CTC decoder.
    func testBertWhitespace() throws { try variant("bert-whitespace") }
    /// NFKC, Replace (regex), Lowercase; Split with every behavior and invert; ByteLevel with a
    /// prefix space; Strip and Replace decoders; truncation and padding.
    func testByteLevelOptions() throws { try variant("bytelevel-options") }
    /// A split pattern no scanner knows (the general regex engine), legacy "a b" merges, RobertaProcessing.
    func testRegexEngine() throws { try variant("regex-engine") }
    /// Metaspace's prepend_scheme "first" after normalizers that move the first character.
    func testMetaspaceFirst() throws { try variant("metaspace-first") }
    /// Unigram with byte_fallback, NFKD, Digits, a non-splitting Metaspace, ByteFallback and Fuse.
    func testUnigramByteFallback() throws { try variant("unigram-byte-fallback") }
    /// BPE with end_of_word_suffix and fuse_unk; the BPEDecoder.
    func testBPESuffix() throws { try variant("bpe-suffix") }
    /// BPE with continuing_subword_prefix; the WordPiece decoder.
    func testBPEPrefix() throws { try variant("bpe-prefix") }
}
