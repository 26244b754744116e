import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// The unigram tokenizer against the `sentencepiece` library (0.2): the fixture model
/// (Tests/Fixtures/sentencepiece: trained on tiny Shakespeare, 1,000 pieces, identity
/// normalisation) and two tiny models built here byte by byte. Every expected value below is
/// what the library gave for the same model and text.
final class SentencePieceTests: XCTestCase {
    static let tokenizer = try! SentencePieceTokenizer(model: fixtureURL("sentencepiece/unigram.model"))

    // MARK: - The fixture model

    func testModelFile() {
        let model = Self.tokenizer.model
        XCTAssertEqual(model.pieces.count, 1000)
        XCTAssertEqual(model.pieces[0], .init(text: "<unk>", score: 0, type: .unknown))
        XCTAssertEqual(model.pieces[1], .init(text: "<s>", score: 0, type: .control))
        XCTAssertEqual(model.pieces[2], .init(text: "</s>", score: 0, type: .control))
        XCTAssertEqual(model.pieces[3].text, ",")
        XCTAssertEqual(model.pieces[3].score, -2.95451283454895)
        XCTAssertEqual(model.pieces[5], .init(text: "▁", score: -3.4460999965667725, type: .normal))
        XCTAssertEqual(model.unknownID, 0)
        XCTAssertEqual(model.modelType, 1)
        XCTAssertFalse(model.byteFallback)
        XCTAssertEqual(model.normalizerName, "identity")
        XCTAssertTrue(model.addDummyPrefix && model.removeExtraWhitespaces && model.escapeWhitespaces)
        XCTAssertEqual(model.unknownSurface, " \u{2047} ")
        XCTAssertEqual(Self.tokenizer.vocabularySize, 1000)
    }

    func testEveryLibraryCase() throws {
        let cases = try readJSONLines(fixtureURL("sentencepiece/cases.jsonl"))
        XCTAssertEqual(cases.count, 129)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String
            let pieces = Self.tokenizer.pieces(for: text)
            let ids = pieces.map(\.id), decoded = Self.tokenizer.decode(c["ids"] as! [Int])
            let ok = pieces.map(\.piece) == c["pieces"] as! [String] && ids == c["ids"] as! [Int]
                && Self.tokenizer.encode(text) == ids && decoded == c["decoded"] as! String
            if !ok {
                failures += 1
                if failures <= 5 { XCTFail("\(text.debugDescription): got \(pieces.map(\.piece)) → \(decoded.debugDescription), expected \(c["pieces"]!) → \(c["decoded"]!)") }
            }
        }
        XCTAssertEqual(failures, 0, "of \(cases.count) cases")
    }

    /// Unknown characters (a run of them is one <unk>), tabs, spaces, "▁" typed in the text.
    func testUnknownsAndSpaces() {
        let t = Self.tokenizer
        XCTAssertEqual(t.pieces(for: "xyz日本語 q").map(\.piece), ["▁", "x", "y", "z", "日本語", "▁", "q"])
        XCTAssertEqual(t.encode("xyz日本語 q"), [5, 425, 28, 418, 0, 5, 996])
        XCTAssertEqual(t.decode([5, 425, 28, 418, 0, 5, 996]), "xyz ⁇  q")
        XCTAssertEqual(t.pieces(for: "a\tb").map(\.piece), ["▁a", "\t", "b"])
        XCTAssertEqual(t.encode("a\tb"), [14, 0, 50])
        XCTAssertEqual(t.encode("  "), [])
        XCTAssertEqual(t.encode("ab  "), [14, 50])
        XCTAssertEqual(t.encode("  Hello   world "), [179, 60, 45, 412])
        XCTAssertEqual(t.normalize("  Hello   world "), "▁Hello▁world")
        XCTAssertEqual(t.encode("▁"), [])
        XCTAssertEqual(t.pieces(for: "a ▁ b").map(\.piece), ["▁a", "▁", "▁", "▁b"])
        XCTAssertEqual(t.decode(t.encode("a ▁ b")), "a   b")
        XCTAssertEqual(t.pieces(for: "<s>a</s>").map(\.piece), ["▁", "<", "s", ">", "a", "</", "s", ">"])
        XCTAssertEqual(t.decode(t.encode("Ünïcödé")), " ⁇ n ⁇ c ⁇ d ⁇ ")
    }

    /// The dummy prefix is removed once the decoded text is non-empty; control pieces are
    /// invisible.
    func testDecode() {
        let t = Self.tokenizer
        XCTAssertEqual(t.decode([5]), "")
        XCTAssertEqual(t.decode([5, 5, 14]), "a")
        XCTAssertEqual(t.decode([1, 14, 2]), "a")
        XCTAssertEqual(t.decode([0]), " ⁇ ")
        XCTAssertEqual(t.decode([1, 5, 14]), "a")
        XCTAssertEqual(t.decode([14, 0, 5]), "a ⁇  ")
        XCTAssertEqual(t.decode([]), "")
    }

    // MARK: - Models built here

    /// Pieces of the tiny models: (text, score, type). With byte fallback, the 256 byte
    /// pieces <0x00>…<0xFF> follow as ids 13…268.
    static let tinyPieces: [(String, Float, Int)] = [
        ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("<sep>", 0, 4), ("▁", -2, 1), ("a", -3, 1), ("b", -3, 1),
        ("ab", -6, 1), ("▁a", -3.5, 1), ("▁ab", -5, 1), ("ba", -6.5, 1), ("c", -1, 5), ("é", -4, 1),
    ]

    static func tinyModel(byteFallback: Bool, addDummyPrefix: Bool, removeExtraWhitespaces: Bool, whitespaceAsSuffix: Bool = false) -> [UInt8] {
        var pieces = tinyPieces
        if byteFallback { pieces += (0...255).map { (SentencePieceModel.piece(ofByte: UInt8($0)), 0, 6) } }
        var model: [UInt8] = []
        for (text, score, type) in pieces { model += SentencePieceProto.piece(text, score, type) }
        model += SentencePieceProto.message(2, SentencePieceProto.int(3, 1) + (byteFallback ? SentencePieceProto.int(35, 1) : []) + (whitespaceAsSuffix ? SentencePieceProto.int(24, 1) : []))
        model += SentencePieceProto.message(3, SentencePieceProto.message(1, Array("identity".utf8)) + SentencePieceProto.int(3, addDummyPrefix ? 1 : 0)
                               + SentencePieceProto.int(4, removeExtraWhitespaces ? 1 : 0) + SentencePieceProto.int(5, 1))
        return model
    }

    /// Defaults (dummy prefix, extra spaces removed); "c" is unused, "<sep>" user-defined.
    /// Ties: "▁bab" could be ▁ b ab or ▁ b a b (both −11): the earlier start wins.
    func testTinyModel() throws {
        let t = SentencePieceTokenizer(model: try SentencePieceModel(bytes: Self.tinyModel(byteFallback: false, addDummyPrefix: true, removeExtraWhitespaces: true)))
        let expected: [(String, [String], [Int], String)] = [
            ("ab", ["▁ab"], [9], "ab"),
            ("aba", ["▁ab", "a"], [9, 5], "aba"),
            ("a b", ["▁a", "▁", "b"], [8, 4, 6], "a b"),
            ("  a  b  ", ["▁a", "▁", "b"], [8, 4, 6], "a b"),
            ("abc", ["▁ab", "c"], [9, 0], "ab ⁇ "),
            ("a<sep>b", ["▁a", "<sep>", "b"], [8, 3, 6], "a<sep>b"),
            ("a <sep> b", ["▁a", "▁", "<sep>", "▁", "b"], [8, 4, 3, 4, 6], "a <sep> b"),
            ("日本 a", ["▁", "日本", "▁a"], [4, 0, 8], " ⁇  a"),
            ("éa", ["▁", "é", "a"], [4, 12, 5], "éa"),
            ("c", ["▁", "c"], [4, 0], " ⁇ "),
            ("xyz", ["▁", "xyz"], [4, 0], " ⁇ "),
            ("bab a", ["▁", "b", "ab", "▁a"], [4, 6, 7, 8], "bab a"),
            ("", [], [], ""),
        ]
        for (text, pieces, ids, decoded) in expected {
            XCTAssertEqual(t.pieces(for: text).map(\.piece), pieces, text)
            XCTAssertEqual(t.encode(text), ids, text)
            XCTAssertEqual(t.decode(ids), decoded, text)
        }
        XCTAssertEqual(t.decode([1, 4, 5, 2]), "a")
        XCTAssertEqual(t.decode([4, 4, 8]), "a")
        XCTAssertEqual(t.decode([0, 4]), " ⁇  ")
        XCTAssertEqual(t.decode([11, 3]), "c<sep>")
    }

    /// Byte fallback on, no dummy prefix, spaces kept as they are.
    func testTinyModelWithByteFallback() throws {
        let t = SentencePieceTokenizer(model: try SentencePieceModel(bytes: Self.tinyModel(byteFallback: true, addDummyPrefix: false, removeExtraWhitespaces: false)))
        XCTAssertEqual(t.vocabularySize, 269)
        let expected: [(String, [String], [Int], String)] = [
            ("ab", ["ab"], [7], "ab"),
            ("a b", ["a", "▁", "b"], [5, 4, 6], "a b"),
            ("  a  b  ", ["▁", "▁a", "▁", "▁", "b", "▁", "▁"], [4, 8, 4, 4, 6, 4, 4], "  a  b  "),
            ("abc", ["ab", "<0x63>"], [7, 112], "abc"),
            ("a <sep> b", ["a", "▁", "<sep>", "▁", "b"], [5, 4, 3, 4, 6], "a <sep> b"),
            ("日本 a", ["<0xE6>", "<0x97>", "<0xA5>", "<0xE6>", "<0x9C>", "<0xAC>", "▁a"], [243, 164, 178, 243, 169, 185, 8], "日本 a"),
            ("xyz", ["<0x78>", "<0x79>", "<0x7A>"], [133, 134, 135], "xyz"),
            ("bab a", ["b", "ab", "▁a"], [6, 7, 8], "bab a"),
        ]
        for (text, pieces, ids, decoded) in expected {
            XCTAssertEqual(t.pieces(for: text).map(\.piece), pieces, text)
            XCTAssertEqual(t.encode(text), ids, text)
            XCTAssertEqual(t.decode(ids), decoded, text)
        }
        XCTAssertEqual(t.decode([1, 4, 5, 2]), " a")
        XCTAssertEqual(t.decode([4, 4, 8]), "   a")
        XCTAssertEqual(t.decode([243, 164, 178, 5]), "日a")
        XCTAssertEqual(t.decode([243, 5, 78]), "\u{FFFD}aA")      // a lone lead byte
    }

    // MARK: - Corrupt models

    func testCorruptModels() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sp-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: url) }
        func error(_ bytes: [UInt8]?) -> String {
            if let bytes { try! Data(bytes).write(to: url) }
            do {
                _ = try SentencePieceModel(contentsOf: url)
                return "no error"
            } catch {
                XCTAssertTrue(error is TokenizerError)
                return "\(error)"
            }
        }
        func XCTAssertError(_ bytes: [UInt8]?, _ message: String, line: UInt = #line) {
            let got = error(bytes)
            XCTAssertTrue(got.hasPrefix("\(url.path): \(message)"), got, line: line)
        }
        XCTAssertError(nil, "cannot be read")
        let good = Self.tinyModel(byteFallback: false, addDummyPrefix: true, removeExtraWhitespaces: true)
        XCTAssertEqual(error(good), "no error")
        let fixture = Array(try Data(contentsOf: fixtureURL("sentencepiece/unigram.model")))
        XCTAssertError(Array(fixture.prefix(fixture.count / 2)), "is not a valid SentencePiece model: byte 7")
        XCTAssertTrue(error(Array(fixture.prefix(fixture.count / 2))).contains("runs past the end of the data"))
        XCTAssertError([0x0A, 0x80], "is not a valid SentencePiece model: byte 1: a varint runs past the end of the data (2 bytes)")
        XCTAssertError([0x30] + [UInt8](repeating: 0xFF, count: 10) + [0x01], "is not a valid SentencePiece model: byte 1: a varint is longer than 10 bytes")
        XCTAssertError([0x0A, 0x05, 0x0A, 0x01], "is not a valid SentencePiece model: byte 1: a field of 5 bytes runs past the end of the data (2 bytes left)")
        XCTAssertError([0x3B], "is not a valid SentencePiece model: byte 1: a group field")
        XCTAssertError([0x0B], "is not a valid SentencePiece model: byte 0: ModelProto.pieces (field 1) has wire type 3, expected 2")
        XCTAssertError([0x12, 0x00], "has no pieces")
        XCTAssertError([], "has no pieces")
        XCTAssertError(SentencePieceProto.piece("a", -1, 1) + SentencePieceProto.piece("<unk>", 0, 2) + SentencePieceProto.piece("a", -2, 1), "piece 2 \"a\" repeats piece 0")
        XCTAssertError(SentencePieceProto.piece("a", -1, 1), "has no unknown piece")
        XCTAssertError(SentencePieceProto.piece("<unk>", 0, 2) + SentencePieceProto.piece("a", -1, 9), "is not a valid SentencePiece model: piece 1 has the type 9")
        XCTAssertError(SentencePieceProto.piece("<unk>", 0, 2) + SentencePieceProto.piece("", -1, 1), "piece 1 is empty")
        XCTAssertError(SentencePieceProto.piece("<unk>", 0, 2) + SentencePieceProto.piece("<0x41>", 0, 6), "has the byte piece <0x41> although byte_fallback is off")
        XCTAssertError(good + SentencePieceProto.message(2, SentencePieceProto.int(3, 2)), "is a BPE model; this reader encodes unigram models only")
        XCTAssertError(good + SentencePieceProto.message(3, SentencePieceProto.message(1, Array("nmt_nfkc".utf8)) + SentencePieceProto.message(2, [1, 2, 3])),
                       "uses the normalisation rule \"nmt_nfkc\" (a compiled character map of 3 bytes), which this reader does not implement")
        XCTAssertError(SentencePieceProto.message(1, SentencePieceProto.int(2, 5)), "is not a valid SentencePiece model: byte 2: piece 0's score (field 2) has wire type 0, expected 5")
    }

    // MARK: - Speed

    /// Tiny Shakespeare (1.1 MB) as one text (newlines are unknown characters): the library
    /// gives 473,679 pieces whose ids add up to 77,730,739. The time is printed.
    func testSpeedOnTinyShakespeare() throws {
        let text = try String(contentsOf: dataDirectory.appendingPathComponent("tinyshakespeare.txt"), encoding: .utf8)
        let ids = Self.tokenizer.encode(text)
        print("SentencePiece: tinyshakespeare.txt (\(text.utf8.count) bytes) → \(ids.count) pieces")
        XCTAssertEqual(ids.count, 473_679)
        XCTAssertEqual(ids.reduce(0, +), 77_730_739)
        XCTAssertEqual(Array(ids.prefix(8)), [267, 527, 6, 0, 355, 17, 369, 17])
    }
}

/// Writes the few protocol-buffer fields a SentencePiece model needs, to build test models.
private enum SentencePieceProto {
    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        repeat {
            let low = UInt8(v & 0x7F)
            v >>= 7
            out.append(v == 0 ? low : low | 0x80)
        } while v != 0
        return out
    }

    /// Field `number` holding a varint.
    static func int(_ number: Int, _ value: Int) -> [UInt8] {
        varint(UInt64(number << 3)) + varint(UInt64(bitPattern: Int64(value)))
    }

    /// Field `number` holding bytes (a string or a nested message).
    static func message(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes
    }

    /// A ModelProto.pieces entry: piece (1), score (2, a float), type (3).
    static func piece(_ text: String, _ score: Float, _ type: Int) -> [UInt8] {
        let bits = score.bitPattern
        let body = message(1, Array(text.utf8)) + [0x15] + (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * UInt32($0))) } + int(3, type)
        return message(1, body)
    }
}
