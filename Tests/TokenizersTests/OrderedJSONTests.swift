import Foundation
import XCTest
@testable import Tokenizers

/// The order-preserving JSON reader, with Python's `json.loads` as the reference for what it
/// accepts (NaN, Infinity) and what a repeated key does; `serialized()` is Python's
/// `json.dumps(…, ensure_ascii=False)` (the expected texts below were printed by Python 3.11).
final class OrderedJSONTests: XCTestCase {
    func testKeepsKeyOrderAndTypes() throws {
        let v = try OrderedJSON(parsing: #" {"b": 1, "a": [true, false, null, 2.5, -0, 1e2, "x"], "c": {"z": {}, "y": []}} "#)
        XCTAssertEqual(v.objectMembers?.map(\.key), ["b", "a", "c"])
        XCTAssertEqual(v["c"]?.objectMembers?.map(\.key), ["z", "y"])
        XCTAssertEqual(v["a"], .array([.bool(true), .bool(false), .null, .double(2.5), .integer(0), .double(100), .string("x")]))
        // json.dumps(json.loads(text), ensure_ascii=False)
        XCTAssertEqual(v.serialized(), #"{"b": 1, "a": [true, false, null, 2.5, 0, 100.0, "x"], "c": {"z": {}, "y": []}}"#)
    }

    func testRepeatedKeyKeepsFirstPlaceAndLastValue() throws {
        // json.loads('{"a": 1, "b": 2, "a": 3}') == {'a': 3, 'b': 2}
        let v = try OrderedJSON(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        XCTAssertEqual(v.serialized(), #"{"a": 3, "b": 2}"#)
    }

    func testStringsAndEscapes() throws {
        let v = try OrderedJSON(parsing: #"["\u00e9\ud83d\ude00\n\t\"\\\/", "Zürich ✓", "\u0001"]"#)
        XCTAssertEqual(v, .array([.string("é😀\n\t\"\\/"), .string("Zürich ✓"), .string("\u{01}")]))
        // json.dumps(['é😀\n\t"\\/', 'Zürich ✓', '\x01'], ensure_ascii=False)
        XCTAssertEqual(v.serialized(), #"["é😀\n\t\"\\/", "Zürich ✓", "\u0001"]"#)
        // Python compares strings by code point: "é" precomposed and "e" + U+0301 differ.
        XCTAssertNotEqual(OrderedJSON.string("\u{e9}"), OrderedJSON.string("e\u{301}"))
    }

    func testPythonExtensions() throws {
        let v = try OrderedJSON(parsing: "[NaN, Infinity, -Infinity, 12345678901234]")
        guard case .array(let a) = v, case .double(let nan) = a[0] else { return XCTFail("\(v)") }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(a[1], .double(.infinity))
        XCTAssertEqual(a[2], .double(-.infinity))
        XCTAssertEqual(a[3], .integer(12_345_678_901_234))
        XCTAssertEqual(v.serialized(), "[NaN, Infinity, -Infinity, 12345678901234]")
    }

    /// Python's ints are unbounded: a large one is kept exactly (and refused by templates).
    func testLargeIntegers() throws {
        let v = try OrderedJSON(parsing: #"{"model_max_length": 1000000000000000019884624838656, "n": -9223372036854775808}"#)
        XCTAssertEqual(v["model_max_length"], .largeInteger("1000000000000000019884624838656"))
        XCTAssertEqual(v["n"], .integer(.min))
        XCTAssertEqual(v.serialized(), #"{"model_max_length": 1000000000000000019884624838656, "n": -9223372036854775808}"#)
        XCTAssertThrowsError(try JinjaTemplate(source: "{{ x }}").render(["x": v])) { error in
            XCTAssertEqual(error as? JinjaError, .unsupported("integers beyond 64 bits (1000000000000000019884624838656 in the template's input)"))
        }
    }

    func testErrorsSayWhereAndWhat() {
        let bad: [(String, String)] = [
            (#"{"a": 1,}"#, "expected a string key at byte 8"),
            (#"{"a" 1}"#, "expected \":\" at byte 5"),
            ("[1, 2", "unterminated array at byte 5"),
            (#""abc"#, "unterminated string at byte 4"),
            ("[01]", "a number may not start with 0 at byte 3"),
            ("[1.]", "expected digits after \".\" at byte 3"),
            ("tru", "unexpected character at byte 0"),
            ("{} x", "text after the JSON value at byte 3"),
            (#""\ud800""#, "lone surrogate"),
            ("\"a\u{01}\"", "control character in a string at byte 2"),
            (String(repeating: "[", count: 600), "nested deeper than 512 levels"),
        ]
        for (text, message) in bad {
            XCTAssertThrowsError(try OrderedJSON(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(message), "\(text): \(error)")
            }
        }
    }
}
