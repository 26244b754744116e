// Loading the tokenizer of a model directory (PretrainedTokenizer) and streaming decoded text
// (TokenTextStream).

import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

final class PretrainedTokenizerTests: XCTestCase {
    /// A fresh directory holding `files` (name → contents, or a file to copy).
    func directory(_ files: [String: Any]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pretrained-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for (name, content) in files {
            let target = dir.appendingPathComponent(name)
            if let source = content as? URL {
                try FileManager.default.copyItem(at: source, to: target)
            } else {
                try Data((content as! String).utf8).write(to: target)
            }
        }
        return dir
    }

    func testTokenizerJSONWithGenerationConfig() throws {
        let dir = try directory(["tokenizer.json": fixtureURL("hf/tokenizer-json/llama3/tokenizer.json"),
                                 "generation_config.json": #"{"bos_token_id": 0, "eos_token_id": [1, 4]}"#,
                                 "config.json": #"{"bos_token_id": 0, "eos_token_id": 1}"#,
                                 "tokenizer_config.json": #"{"add_bos_token": true, "eos_token": "<|eot_id|>"}"#])
        let loaded = try PretrainedTokenizer(directory: dir)
        XCTAssertEqual(loaded.kind, .huggingFace)
        XCTAssertEqual(loaded.eosIDs, [1, 4])                    // generation_config.json first
        XCTAssertEqual(loaded.bosID, 0)
        XCTAssertFalse(loaded.addsBOS)                          // the post-processor already adds it
        let reference = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/llama3/tokenizer.json"))
        XCTAssertEqual(try loaded.encode("Hello world"), reference.encode("Hello world"))
        XCTAssertEqual(try loaded.encode("Hello world").first, 0)
    }

    func testEOSFromConfigThenTokenizerConfig() throws {
        let fromConfig = try directory(["tokenizer.json": fixtureURL("hf/tokenizer-json/qwen2/tokenizer.json"),
                                        "config.json": #"{"eos_token_id": 2, "bos_token_id": null}"#])
        XCTAssertEqual(try PretrainedTokenizer(directory: fromConfig).eosIDs, [2])
        XCTAssertNil(try PretrainedTokenizer(directory: fromConfig).bosID)
        let fromTokenizerConfig = try directory(["tokenizer.json": fixtureURL("hf/tokenizer-json/qwen2/tokenizer.json"),
                                                 "tokenizer_config.json": #"{"eos_token": {"content": "<|im_end|>", "special": true}}"#])
        XCTAssertEqual(try PretrainedTokenizer(directory: fromTokenizerConfig).eosIDs, [2])
    }

    func testGPT2FilesUnderOpenAINames() throws {
        let gpt2 = dataDirectory.appendingPathComponent("gpt2")
        let dir = try directory(["encoder.json": gpt2.appendingPathComponent("encoder.json"),
                                 "vocab.bpe": gpt2.appendingPathComponent("vocab.bpe"),
                                 "config.json": #"{"eos_token_id": 50256}"#])
        let loaded = try PretrainedTokenizer(directory: dir)
        XCTAssertEqual(loaded.kind, .gpt2)
        XCTAssertEqual(try loaded.encode("Hello, world!"), [15496, 11, 995, 0])
        XCTAssertEqual(loaded.eosIDs, [50256])
        XCTAssertEqual(loaded.display(995), " world")
        XCTAssertEqual(loaded.display(171), "ï")          // the byte 0xEF alone: shown as its token string
    }

    func testSentencePieceModelWithBOS() throws {
        let dir = try directory(["tokenizer.model": fixtureURL("sentencepiece/unigram.model"),
                                 "tokenizer_config.json": #"{"add_bos_token": true, "bos_token": "<s>", "eos_token": {"content": "</s>"}}"#])
        let loaded = try PretrainedTokenizer(directory: dir)
        XCTAssertEqual(loaded.kind, .sentencePiece)
        XCTAssertEqual(loaded.bosID, 1)
        XCTAssertEqual(loaded.eosIDs, [2])
        XCTAssertTrue(loaded.addsBOS)
        let sp = try SentencePieceTokenizer(model: fixtureURL("sentencepiece/unigram.model"))
        XCTAssertEqual(try loaded.encode("Hello, world!"), [1] + sp.encode("Hello, world!"))
    }

    func testMissingAndBadFiles() throws {
        let empty = try directory([:])
        XCTAssertThrowsError(try PretrainedTokenizer(directory: empty)) {
            XCTAssertTrue("\($0)".contains("has no tokenizer"), "\($0)")
            XCTAssertTrue("\($0)".contains("tokenizer.model"), "\($0)")
        }
        let course = try directory(["tokenizer.json": #"{"type": "char", "characters": ["a"]}"#])
        XCTAssertThrowsError(try PretrainedTokenizer(directory: course)) {
            XCTAssertTrue("\($0)".contains("course checkpoint"), "\($0)")
        }
        let badConfig = try directory(["tokenizer.json": fixtureURL("hf/tokenizer-json/bert/tokenizer.json"),
                                       "generation_config.json": "{\"eos_token_id\": "])
        XCTAssertThrowsError(try PretrainedTokenizer(directory: badConfig)) {
            XCTAssertTrue("\($0)".contains("generation_config.json: is not valid JSON"), "\($0)")
        }
    }
}

final class TokenTextStreamTests: XCTestCase {
    /// Streams `ids` after `context`; returns the pieces (the last from `finish`).
    func stream(_ tokenizer: Tokenizer, _ ids: [Int], context: [Int] = []) -> [String] {
        var stream = TokenTextStream(tokenizer, context: context)
        return ids.map { stream.push($0) } + [stream.finish()]
    }

    func testCharactersSplitAcrossTokensArePrintedWhole() throws {
        let gpt2 = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/gpt2/tokenizer.json"))
        let text = "Héllo 👍🏽 wörld 日本語 🇫🇷!"
        let ids = gpt2.encode(text)
        let pieces = stream(gpt2, ids)
        XCTAssertEqual(pieces.joined(), text)
        XCTAssertFalse(pieces.contains { $0.contains("\u{FFFD}") }, "\(pieces)")
        XCTAssertGreaterThan(pieces.filter(\.isEmpty).count, 3, "emoji and CJK span several tokens")
        // one token at a time, alone, would print replacement characters
        XCTAssertTrue(ids.map { gpt2.decode([$0]) }.joined().contains("\u{FFFD}"))
    }

    func testLeadingSpaceAndByteFallback() throws {
        // Mistral's SentencePiece-style BPE: "▁" for spaces, byte tokens for unknown characters,
        // and a decoder that strips the first space of a text
        let mistral = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/mistral/tokenizer.json"))
        let prompt = mistral.encode("ROMEO:")
        let all = mistral.encode("ROMEO: speak, 日本 ☃ love")
        XCTAssertEqual(Array(all.prefix(prompt.count)), prompt)
        let generated = Array(all.dropFirst(prompt.count))
        XCTAssertTrue(generated.contains { mistral.token(of: $0)!.hasPrefix("<0x") }, "byte tokens expected")
        let pieces = stream(mistral, generated, context: prompt)
        XCTAssertEqual(pieces.joined(), " speak, 日本 ☃ love")
        XCTAssertFalse(pieces.contains { $0.contains("\u{FFFD}") })
        // without the prompt as context, the first space would be stripped
        XCTAssertEqual(stream(mistral, generated).joined(), "speak, 日本 ☃ love")
    }

    func testInvalidBytesAreNotHeldForever() throws {
        let gpt2 = try GPT2Tokenizer(directory: dataDirectory.appendingPathComponent("gpt2"))
        // 0xE6 starts a three-byte character; "a" then proves it incomplete
        let lone = Int(gpt2.byteIDs[0xE6])                      // the token of the byte 0xE6 alone
        XCTAssertEqual(gpt2.bytes(of: lone), [0xE6])
        let pieces = stream(gpt2, [lone, 64, lone])
        XCTAssertEqual(pieces, ["", "\u{FFFD}a", "", "\u{FFFD}"])
    }

    func testUnigramMetaspace() throws {
        let unigram = try HuggingFaceTokenizer(contentsOf: fixtureURL("hf/tokenizer-json/unigram/tokenizer.json"))
        let prompt = try unigram.encode("Good morrow", addSpecialTokens: false)
        let all = try unigram.encode("Good morrow cousin, how now?", addSpecialTokens: false)
        XCTAssertEqual(Array(all.prefix(prompt.count)), prompt)
        let pieces = stream(unigram, Array(all.dropFirst(prompt.count)), context: prompt)
        XCTAssertEqual(pieces.joined(), " cousin, how now?")
    }
}
