// The tokenizer.json reader's two ways of running a pipeline, and its errors:
// - each well-known split pattern's hand-written scanner against the same pattern on the
//   general regex engine (ICU), on every fixture text and on random text;
// - the fast byte-level path against the general pipeline, id for id;
// - every kind of bad or unsupported file is an error naming the file and the part.

import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

final class TokenizerJSONPipelineTests: XCTestCase {
    /// Every text of the fixture cases, and seeded random text.
    static let texts: [String] = {
        var texts: [String] = []
        for family in HuggingFaceTokenizerTests.families {
            texts += (try? readJSONLines(fixtureURL("hf/tokenizer-json/\(family)/cases.jsonl")))?.map { $0["text"] as! String } ?? []
        }
        var g = SplitMix64(seed: 15)
        for _ in 0..<1500 { texts.append(RandomText.string(&g)) }
        texts += ["'ſ", "'S'T'RE'Ll", "x\u{0B}\u{85} y", " \n\n a", "a  \r\n\r\n  b", "12345678 ½²", "\t(hello", "!!\n\n\nx"]
        return texts
    }()

    /// Whether ICU (the regex engine's Unicode) surely classifies the text as Oniguruma does:
    /// no character newer than Unicode 15.1.
    func predatesUnicode16(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { s in s.properties.age.map { ($0.major, $0.minor) <= (15, 1) } ?? true }
    }

    func testScannersEqualTheRegexEngine() throws {
        XCTAssertGreaterThan(Self.texts.count, 3000)
        for scanner in [ScannerPattern.gpt2, .contractions(maxDigits: 3), .contractions(maxDigits: 1)] {
            let regex = try RegexPattern(scanner.source)
            var compared = 0
            for text in Self.texts where predatesUnicode16(text) {
                var bytes = text
                let (fast, general) = bytes.withUTF8 { (scanner.matches(in: $0), regex.matches(in: $0)) }
                XCTAssertEqual(fast, general, "\(scanner.source): \(text.debugDescription)")
                // the scanner's pieces cover the text without gaps
                XCTAssertEqual(fast.map(\.count).reduce(0, +), text.utf8.count)
                compared += 1
            }
            XCTAssertGreaterThan(compared, 2500)
        }
    }

    func testLlama3PiecesByHand() {
        var text = "I'LL pay 12345!\n\nOk  go"
        var pieces: [String] = []
        text.withUTF8 { utf8 in
            contractionsPreTokenize(utf8, maxDigits: 3) { pieces.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[$0]), as: UTF8.self)) }
        }
        XCTAssertEqual(pieces, ["I", "'LL", " pay", " ", "123", "45", "!\n\n", "Ok", " ", " go"])
    }

    func testFastPathEqualsGeneralPath() throws {
        let shakespeare = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let excerpt = String(shakespeare.prefix(30_000))
        for family in ["gpt2", "llama3", "qwen2"] {
            let fast = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/\(family)/tokenizer.json"))
            let general = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/\(family)/tokenizer.json"))
            XCTAssertNotNil(fast.fastPath, "\(family) should take the fast path")
            general.fastPath = nil
            for text in Self.texts + [excerpt] {
                XCTAssertEqual(try fast.encode(text, addSpecialTokens: true), try general.encode(text, addSpecialTokens: true),
                               "\(family): \(text.prefix(80).debugDescription)")
            }
        }
        // Shakespeare with GPT-2's tokenizer.json gives tiktoken's count (the GPT2Tokenizer's figure)
        let gpt2 = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/gpt2/tokenizer.json"))
        XCTAssertEqual(gpt2.encode(shakespeare).count, 338_025)
    }

    func testPreTokensAndVocabulary() throws {
        let gpt2 = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/gpt2/tokenizer.json"))
        XCTAssertEqual(gpt2.preTokens("Hello world<|endoftext|>!"), ["Hello", "Ġworld", "!"])
        XCTAssertEqual(gpt2.vocabularySize, 50257)
        XCTAssertEqual(gpt2.id(of: "<|endoftext|>"), 50256)
        XCTAssertEqual(gpt2.token(of: 995), "Ġworld")
        XCTAssertTrue(gpt2.isSpecial(50256))
        XCTAssertFalse(gpt2.isSpecial(995))
        XCTAssertEqual(gpt2.decode([15496, 99999, 995]), "Hello world", "an id no token has is left out, as the library does")
        // the same ids as the course's GPT-2 tokenizer from data/gpt2
        let reference = try GPT2Tokenizer(directory: dataDirectory.appendingPathComponent("gpt2"))
        for text in Self.texts.prefix(400) { XCTAssertEqual(gpt2.encode(text), reference.encode(text), text.debugDescription) }
        let mistral = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/mistral/tokenizer.json"))
        XCTAssertEqual(mistral.preTokens("Hi there<s>you"), ["▁Hi▁there", "you"])
    }

    // MARK: - Errors

    /// The GPT-2 family's file with one member replaced (the vocabulary kept small for speed:
    /// the Llama 3 family's).
    func modified(_ change: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let data = try Data(contentsOf: fixtureURL("hf/tokenizer-json/llama3/tokenizer.json"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        change(&json)
        return Array(try JSONSerialization.data(withJSONObject: json))
    }

    func assertError(_ bytes: [UInt8], mentions parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try HuggingFaceTokenizer(bytes: bytes, source: "models/x/tokenizer.json")
            XCTFail("no error", file: file, line: line)
        } catch let error as TokenizerError {
            XCTAssertEqual(error.source, "models/x/tokenizer.json", file: file, line: line)
            for part in parts { XCTAssertTrue(error.description.contains(part), "\(error) lacks \(part.debugDescription)", file: file, line: line) }
        } catch {
            XCTFail("\(error) is not a TokenizerError", file: file, line: line)
        }
    }

    func testUnsupportedComponentsAreNamed() throws {
        assertError(try modified { $0["normalizer"] = ["type": "Precompiled", "precompiled_charsmap": "AAAA"] },
                    mentions: ["normalizer", "\"Precompiled\" is not supported"])
        assertError(try modified { $0["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "UnicodeScripts"]]] },
                    mentions: ["pre_tokenizer.pretokenizers[0]", "\"UnicodeScripts\""])
        assertError(try modified { $0["model"] = ["type": "WordLevel", "vocab": [:], "unk_token": "x"] }, mentions: ["model", "\"WordLevel\""])
        assertError(try modified { $0["decoder"] = ["type": "Nope"] }, mentions: ["decoder", "\"Nope\""])
        assertError(try modified { $0["post_processor"] = ["type": "Other"] }, mentions: ["post_processor", "\"Other\""])
        assertError(try modified { json in
            var model = json["model"] as! [String: Any]
            model["dropout"] = 0.1
            json["model"] = model
        }, mentions: ["model.dropout = 0.1 is not supported"])
        assertError(try modified { json in
            json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "\\h+"], "behavior": "Isolated", "invert": false]
        }, mentions: ["pre_tokenizer.pattern.Regex", "\\h"])
        assertError(try modified { $0["version"] = "2.0" }, mentions: ["version", "\"2.0\""])
    }

    func testBadFilesAreErrors() throws {
        assertError(Array("{\"model\": ".utf8), mentions: ["not valid JSON", "line 1"])
        assertError(Array("[1, 2]".utf8), mentions: ["not an object"])
        assertError(Array("{}".utf8), mentions: ["no \"model\""])
        assertError([0x7B, 0xFF, 0x7D], mentions: ["not UTF-8"])
        assertError(try modified { json in
            var model = json["model"] as! [String: Any]
            model["merges"] = [["Ġ", "nonexistent-token"]]
            json["model"] = model
        }, mentions: ["model.merges", "nonexistent-token", "not in the vocabulary"])
        assertError(try modified { json in
            var model = json["model"] as! [String: Any]
            var vocab = model["vocab"] as! [String: Any]
            vocab["duplicate"] = 5
            model["vocab"] = vocab
            json["model"] = model
        }, mentions: ["model.vocab", "the same id 5"])
        assertError(try modified { json in
            var tokens = json["added_tokens"] as! [[String: Any]]
            tokens[0]["special"] = nil
            json["added_tokens"] = tokens
        }, mentions: ["added_tokens[0]", "\"special\""])
        XCTAssertThrowsError(try HuggingFaceTokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))) {
            XCTAssertTrue("\($0)".contains("/nonexistent/tokenizer.json: cannot be read"), "\($0)")
        }
    }

    func testEncodingErrorsAreThrown() throws {
        // a WordPiece model whose unknown token is missing, given a word it cannot cut
        let bytes = Array("""
        {"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}}
        """.utf8)
        let tokenizer = try HuggingFaceTokenizer(bytes: bytes)
        XCTAssertEqual(try tokenizer.encode("a", addSpecialTokens: true), [0])
        XCTAssertThrowsError(try tokenizer.encode("b", addSpecialTokens: true)) { XCTAssertTrue("\($0)".contains("[UNK]")) }
    }

    // MARK: - JSON

    /// A tokenizer.json's vocabulary is one large object: read in linear time, a repeated key
    /// keeping its last value (as the library's JSON reader does).
    func testLargeObjectsAndRepeatedKeys() throws {
        var text = "{"
        for k in 0..<60_000 { text += "\"t\(k)\": \(k), " }
        text += "\"t5\": 99}"
        let start = Date()
        let value = try OrderedJSON(parsing: text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "quadratic in the number of keys?")
        XCTAssertEqual(value.objectMembers?.count, 60_000)
        XCTAssertEqual(value["t5"], .integer(99))
        XCTAssertEqual(value.objectMembers?[5].key, "t5", "a repeated key keeps its first place")
        // é precomposed and e + U+0301 are different keys (code points, not canonical equivalence)
        let keys = (0..<20).map { "k\($0)" } + ["\u{e9}", "e\u{301}"]
        let object = try OrderedJSON(parsing: "{" + keys.map { "\"\($0)\": 1" }.joined(separator: ", ") + "}")
        XCTAssertEqual(object.objectMembers?.count, 22)
    }

    func testJSONErrorsNameLineAndColumn() {
        XCTAssertThrowsError(try parseJSONFile(Array("{\n  \"a\": [1,\n  }".utf8), source: "x.json")) {
            XCTAssertTrue("\($0)".contains("x.json: is not valid JSON"), "\($0)")
            XCTAssertTrue("\($0)".contains("line 3, column 3"), "\($0)")
        }
        XCTAssertThrowsError(try parseJSONFile([0x7B, 0x0A, 0xC3], source: "y.json")) {
            XCTAssertTrue("\($0)".contains("y.json: is not UTF-8 text (line 2, column 1)"), "\($0)")
        }
    }
}
