import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// Byte-pair encoding from scratch: merges, tie-breaking, the fast trainer against the naive
/// one, save and load, and the round trip of any string.
final class BPETests: XCTestCase {
    static let verdict = try! String(contentsOf: dataDirectory.appendingPathComponent("the-verdict.txt"), encoding: .utf8)
    /// Trained once for the tests that only use it.
    static let verdictBPE = BytePairTokenizer.train(verdict, vocabularySize: 512)

    func pairs(_ merges: [Merge]) -> [[Int]] { merges.map { [$0.first, $0.second, $0.token, $0.count] } }

    func testWikipediaExample() {
        // Wikipedia's "Byte pair encoding": aaabdaaabac → ZabdZabac (Z = aa) → ZYdZYac (Y = ab)
        // → XdXac (X = ZY). "aaabdaaabac" is one pre-token.
        let expected = [[97, 97, 256, 4], [97, 98, 257, 2], [256, 257, 258, 2]]
        var seen: [Merge] = []
        let fast = BytePairTokenizer.train("aaabdaaabac", vocabularySize: 259) { merge, tokenizer in
            seen.append(merge)
            XCTAssertEqual(tokenizer.vocabularySize, merge.token + 1)
        }
        XCTAssertEqual(pairs(fast.merges), expected)
        XCTAssertEqual(seen, fast.merges)
        XCTAssertEqual(pairs(BytePairTokenizer.trainNaive("aaabdaaabac", vocabularySize: 259).merges), expected)
        XCTAssertEqual(fast.encode("aaabdaaabac"), [258, 100, 258, 97, 99])      // XdXac
        XCTAssertEqual(fast.vocabulary[258], Array("aaab".utf8))
        XCTAssertEqual(fast.decode([258, 100, 258, 97, 99]), "aaabdaaabac")
        // Asked for more, training goes on with pairs seen once, until the whole text is one
        // token (4 more merges), and stops there.
        for train in [BytePairTokenizer.train, BytePairTokenizer.trainNaive] {
            let all = train("aaabdaaabac", 300, nil)
            XCTAssertEqual(all.vocabularySize, 263)
            XCTAssertEqual(all.encode("aaabdaaabac"), [262])
        }
    }

    /// The step-by-step encoding (BytePairTrace.swift: rescan every pair, merge the earliest
    /// learned) gives the fast encoder's ids for every word of The Verdict; its merges come in
    /// strictly increasing rank; every step keeps the word's bytes. And the doc's example.
    func testTracedEncodingEqualsTheFastEncoder() {
        let bpe = Self.verdictBPE
        var text = Self.verdict
        var pieces: [String] = []
        text.withUTF8 { utf8 in gpt2PreTokenize(utf8) { pieces.append(String(decoding: utf8[$0], as: UTF8.self)) } }
        XCTAssertGreaterThan(pieces.count, 4000)
        for piece in Set(pieces).sorted() {
            let (bytes, steps) = bpe.traceEncoding(piece)
            XCTAssertEqual(bytes, Array(piece.utf8).map(Int.init))
            XCTAssertEqual(steps.last?.tokens ?? bytes, bpe.encode(piece), piece)
            XCTAssertEqual(steps.map(\.rank), steps.map(\.rank).sorted(), piece)
            XCTAssertEqual(Set(steps.map(\.rank)).count, steps.count, piece)
            for step in steps { XCTAssertEqual(bpe.decodeBytes(step.tokens), bytes.map(UInt8.init), piece) }
        }
        let small = BytePairTokenizer.train("low lower lowest", vocabularySize: 260)
        XCTAssertEqual(small.traceEncoding(" low").steps.map(\.rank), [0, 1, 2])
        XCTAssertEqual(small.traceEncoding(" low").steps.last?.tokens, [258])
    }

    func testTiesGoToTheSmallestPair() {
        // pre-tokens "cdab" and " cdab": (c, d), (d, a) and (a, b) each occur twice; (a, b) = (97, 98) is smallest
        for train in [BytePairTokenizer.train, BytePairTokenizer.trainNaive] {
            let bpe = train("cdab cdab", 258, nil)
            XCTAssertEqual(pairs(bpe.merges), [[97, 98, 256, 2], [99, 100, 257, 2]])
        }
    }

    /// The first 25 merges on the-verdict equal tiktoken's educational trainer
    /// (`tiktoken._educational.bpe_train` with GPT-2's pattern, tiktoken 0.14.0); its 26th
    /// merge is the first with a tie (" he" and "er", 106 each), which it breaks by first
    /// occurrence, the course by smallest pair — both take (32, 257) here.
    func testFirstMergesOfTheVerdictMatchTiktoken() {
        let tiktoken = [[32, 116, 256, 462], [104, 101, 257, 410], [32, 97, 258, 322], [105, 110, 259, 291],
                        [32, 104, 260, 234], [32, 115, 261, 229], [32, 119, 262, 228], [32, 111, 263, 210],
                        [256, 257, 264, 191], [111, 117, 265, 183], [114, 101, 266, 182], [105, 116, 267, 163],
                        [32, 109, 268, 152], [105, 115, 269, 146], [101, 100, 270, 145], [97, 116, 271, 143],
                        [110, 100, 272, 139], [32, 98, 273, 134], [259, 103, 274, 130], [32, 112, 275, 126],
                        [97, 115, 276, 122], [101, 110, 277, 121], [256, 111, 278, 115], [32, 100, 279, 110],
                        [32, 102, 280, 109]]
        let bpe = Self.verdictBPE
        XCTAssertEqual(pairs(Array(bpe.merges.prefix(25))), tiktoken)
        XCTAssertEqual(pairs([bpe.merges[25]]), [[32, 257, 281, 106]])
        XCTAssertEqual(bpe.display(264), "␣the")
    }

    func testFastTrainerEqualsNaiveTrainer() throws {
        XCTAssertEqual(BytePairTokenizer.trainNaive(Self.verdict, vocabularySize: 512).merges, Self.verdictBPE.merges)
        // a text with many ties and repeated letters
        var g = SplitMix64(seed: 7)
        let letters = Array("aab ba\nab")
        let noisy = String((0..<5_000).map { _ in letters[g.below(letters.count)] })
        XCTAssertEqual(BytePairTokenizer.train(noisy, vocabularySize: 400).merges,
                       BytePairTokenizer.trainNaive(noisy, vocabularySize: 400).merges)
        // 100 kB of Shakespeare
        let shakespeare = String(try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8).prefix(100_000))
        XCTAssertEqual(BytePairTokenizer.train(shakespeare, vocabularySize: 600).merges,
                       BytePairTokenizer.trainNaive(shakespeare, vocabularySize: 600).merges)
    }

    func testTrainingTinyShakespeareIsFastAndDeterministic() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let start = Date()
        let a = BytePairTokenizer.train(text, vocabularySize: 1_000)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(a.vocabularySize, 1_000)
        XCTAssertLessThan(seconds, 20, "training 256 → 1,000 tokens on 1.1 MB took \(seconds) s")
        let b = BytePairTokenizer.train(text, vocabularySize: 1_000)
        XCTAssertEqual(a.merges, b.merges)
        let ids = a.encode(text)
        XCTAssertLessThan(ids.count, text.utf8.count / 2)
        XCTAssertEqual(a.decode(ids), text)
    }

    func testSaveAndLoad() throws {
        let bpe = Self.verdictBPE
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("merges-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        try bpe.save(to: url)
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 256)
        XCTAssertEqual(lines[1], "32 116")
        let loaded = try BytePairTokenizer.load(from: url)
        XCTAssertEqual(loaded.vocabulary, bpe.vocabulary)
        XCTAssertEqual(loaded.merges.map(\.token), bpe.merges.map(\.token))
        XCTAssertEqual(loaded.encode(Self.verdict), bpe.encode(Self.verdict))
    }

    func testCorruptMergesFileNamesFileAndLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("merges-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: url) }
        let cases: [(String, String)] = [
            ("# merges\n104 101\n104 101 32\n", "line 3 is not two token ids separated by a space: \"104 101 32\""),
            ("104 101\nh e\n", "line 2 is not two token ids separated by a space: \"h e\""),
            ("104  101\n", "line 1 is not two token ids separated by a space: \"104  101\""),
            ("104 101\n\n300 1\n", "line 3 merges the token 300, which does not exist yet (there are 257)"),
            ("256 1\n", "line 1 merges the token 256, which does not exist yet (there are 256)"),
            ("-1 5\n", "line 1 merges the token -1, which does not exist yet (there are 256)"),
        ]
        for (text, problem) in cases {
            try Data(text.utf8).write(to: url)
            XCTAssertThrowsError(try BytePairTokenizer.load(from: url)) { error in
                XCTAssertEqual((error as? TokenizerError)?.source, url.path)
                XCTAssertEqual((error as? TokenizerError)?.problem, problem)
            }
        }
        try Data([0x31, 0x20, 0xFF, 0x0A]).write(to: url)
        XCTAssertThrowsError(try BytePairTokenizer.load(from: url)) { XCTAssertTrue("\($0)".contains("is not UTF-8 text"), "\($0)") }
        let missing = url.appendingPathExtension("missing")
        XCTAssertThrowsError(try BytePairTokenizer.load(from: missing)) {
            XCTAssertEqual("\($0)".split(separator: "\n").first.map(String.init), "\(missing.path): cannot be read (is the path right?)")
        }
    }

    /// decode(encode(s)) == s for 5,000 seeded random strings of awkward Unicode.
    func testRoundTripOfRandomUnicode() {
        let bpe = Self.verdictBPE
        var g = SplitMix64(seed: 2024)
        var failures = 0
        for _ in 0..<5_000 {
            let s = RandomText.string(&g)
            let ids = bpe.encode(s)
            if bpe.decode(ids) != s || Array(bpe.decodeBytes(ids)) != Array(s.utf8) {
                failures += 1
                if failures <= 5 { XCTFail("round trip of \(s.debugDescription) gave \(bpe.decode(ids).debugDescription)") }
            }
        }
        XCTAssertEqual(failures, 0)
    }

    func testDisplay() {
        var bpe = BytePairTokenizer()
        bpe.append(Merge(first: 32, second: 116, token: 256, count: 0))            // " t"
        bpe.append(Merge(first: 0xF0, second: 0x9F, token: 257, count: 0))         // half an emoji
        bpe.append(Merge(first: 10, second: 9, token: 258, count: 0))              // "\n\t"
        XCTAssertEqual(bpe.display(256), "␣t")
        XCTAssertEqual(bpe.display(257), "\\xF0\\x9F")
        XCTAssertEqual(bpe.display(258), "\\n\\u{9}")
    }
}
