// The tokenizer.json reader against the `tokenizers` library: every case of the seven families
// in Tests/Fixtures/hf/tokenizer-json (made by make_fixtures_hf.py beside them), ids and
// decoded text.

import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

final class HuggingFaceTokenizerTests: XCTestCase {
    static let families = ["gpt2", "llama3", "qwen2", "llama2", "mistral", "bert", "unigram"]

    func tokenizer(_ family: String) throws -> HuggingFaceTokenizer {
        try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/\(family)/tokenizer.json"))
    }

    func cases(_ family: String) throws -> [(text: String, ids: [Int], decoded: String)] {
        try readJSONLines(fixtureURL("hf/tokenizer-json/\(family)/cases.jsonl")).map {
            ($0["text"] as! String, ($0["ids"] as! [NSNumber]).map(\.intValue), $0["decoded"] as! String)
        }
    }

    /// Every case of one family: the ids of encode (special tokens added) and the text of decode.
    func checkFamily(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let tokenizer = try tokenizer(family)
        let cases = try cases(family)
        XCTAssertGreaterThan(cases.count, 250, "\(family): too few cases", file: file, line: line)
        var idFailures = 0, textFailures = 0
        for c in cases {
            let ids = try tokenizer.encode(c.text, addSpecialTokens: true)
            if ids != c.ids {
                idFailures += 1
                if idFailures <= 3 { XCTFail("\(family) encode(\(c.text.debugDescription)) = \(ids), expected \(c.ids)", file: file, line: line) }
            }
            let decoded = tokenizer.decode(c.ids)
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
}
