// Robustness of the tokenizer.json reader: seeded random damage to real files — cut short,
// bits flipped, bytes inserted, a value's digits or quotes disturbed — must end in a
// TokenizerError or in a tokenizer that encodes and decodes; never a crash or a hang.

import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

final class TokenizerJSONFuzzTests: XCTestCase {
    /// One damaged copy of `bytes`, whose JSON punctuation is at `structural`.
    func damaged(_ bytes: [UInt8], structural: [Int], _ g: inout SplitMix64) -> [UInt8] {
        var out = bytes
        switch g.below(4) {
        case 0:                                                  // cut short
            out.removeSubrange(g.below(out.count)...)
        case 1:                                                  // a few bits flipped
            for _ in 0...g.below(4) { out[g.below(out.count)] ^= UInt8(1) << UInt8(g.below(8)) }
        case 2:                                                  // bytes inserted
            let junk: [UInt8] = Array("{}[]\",:0123456789-.e\\ntruefalsenull\u{FF}\u{80}".utf8)
            for _ in 0...g.below(4) { out.insert(junk[g.below(junk.count)], at: g.below(out.count + 1)) }
        default:                                                 // a structural byte replaced
            let at = structural[g.below(structural.count)]
            out[at] = [0x22, 0x3A, 0x2C, 0x5B, 0x5D, 0x7B, 0x7D, 0x30][g.below(8)]
        }
        return out
    }

    func testDamagedFilesFailCleanly() throws {
        let texts = ["Hello world", "<s>ROMEO:\n  thou art</s>", "naïve 日本 😀 12345", ""]
        var g = SplitMix64(seed: 2026)
        var parsed = 0, refused = 0
        let start = Date()
        for family in ["bert", "unigram", "llama3", "mistral"] {
            let original = Array(try Data(contentsOf: fixtureURL("hf/tokenizer-json/\(family)/tokenizer.json")))
            let punctuation = Set<UInt8>([0x22, 0x3A, 0x2C, 0x5B, 0x5D, 0x7B, 0x7D])
            let structural = original.indices.filter { punctuation.contains(original[$0]) }
            for _ in 0..<100 {
                let bytes = damaged(original, structural: structural, &g)
                let tokenizer: HuggingFaceTokenizer
                do {
                    tokenizer = try HuggingFaceTokenizer(bytes: bytes, source: "fuzz.json")
                } catch let error as TokenizerError {
                    XCTAssertEqual(error.source, "fuzz.json")
                    XCTAssertFalse(error.problem.isEmpty)
                    refused += 1
                    continue
                }
                parsed += 1
                for text in texts {
                    // a damaged file may describe a model that cannot encode a text: an error, not a crash
                    guard let ids = try? tokenizer.encode(text, addSpecialTokens: true) else { continue }
                    if ids.allSatisfy({ tokenizer.token(of: $0) != nil }) { _ = tokenizer.decode(ids) }
                }
            }
        }
        XCTAssertEqual(parsed + refused, 400)
        XCTAssertGreaterThan(refused, 200, "most damage should be detected")
        XCTAssertGreaterThan(parsed, 10, "damage inside a token's text leaves a valid file")
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }
}
