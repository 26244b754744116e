import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// Broken and hostile templates: every one must end in a rendered string or a `JinjaError`, never
/// a crash or a hang. Real templates (the fixtures) are cut at every position and mutated at
/// random (a seeded generator, so every run checks the same thousands of templates); templates
/// built to nest, loop or grow without end must stop at the interpreter's limits.
final class JinjaRobustnessTests: XCTestCase {
    /// SplitMix64: a small seeded generator, the same sequence on every platform.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let variables: [String: OrderedJSON] = {
        let json = try! OrderedJSON(parsing: """
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"},
                      {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]},
                      {"role": "tool", "content": "{\\"r\\": 2}"}, {"role": "user", "content": "Bye"}],
         "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}],
         "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "date_string": "26 Jul 2024"}
        """)
        var v: [String: OrderedJSON] = [:]
        for (k, value) in json.objectMembers! { v[k] = value }
        return v
    }()

    /// Parses and renders; true if it rendered, false if it raised a JinjaError. Anything else fails.
    @discardableResult
    static func attempt(_ source: String) -> Bool {
        do {
            _ = try JinjaTemplate(source: source).render(variables)
            return true
        } catch is JinjaError {
            return false
        } catch {
            XCTFail("\(source.debugDescription) threw a non-Jinja error: \(error)")
            return false
        }
    }

    static func sources() throws -> [String] {
        let dir = fixtureURL("hf/chat-templates")
        var sources = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jinja") }.sorted()
            .map { try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }
        // The realistic templates of the features fixture (Llama-, Mistral- and Hermes-style).
        for line in try String(contentsOf: dir.appendingPathComponent("jinja-features.jsonl"), encoding: .utf8).split(separator: "\n") {
            let json = try OrderedJSON(parsing: String(line))
            if json["name"]!.stringValue!.hasSuffix("_style_simple") { sources.append(json["template"]!.stringValue!) }
        }
        return sources
    }

    func testEveryPrefixOfTheRealTemplates() throws {
        let sources = try Self.sources()
        XCTAssertEqual(sources.count, 10)
        var rendered = 0, refused = 0
        for source in sources {
            let scalars = Array(source.unicodeScalars)
            for cut in stride(from: 0, through: scalars.count, by: max(1, scalars.count / 400)) {
                if Self.attempt(PyString.string(scalars[..<cut])) { rendered += 1 } else { refused += 1 }
            }
        }
        XCTAssertGreaterThan(rendered, 0)
        XCTAssertGreaterThan(refused, 0)
    }

    func testRandomMutationsOfTheRealTemplates() throws {
        let sources = try Self.sources()
        let pieces = ["{%", "%}", "{{", "}}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", "\"", "|", ".", ",", ":",
                      "~", "*", "**", "/", "//", "%", "==", "!=", "<", "not ", " in ", " is ", " if ", " else ", "endfor", "endif",
                      "loop", "ns", "messages", "0", "-1", "9999999999999999999", "1e400", "\\", "\n", " ", "é", "🙂", "\u{0}",
                      "{% for x in range(3) %}", "{% endfor %}", "{% macro m(a) %}{{ m(a) }}{% endmacro %}{{ m(1) }}",
                      "{% set ns = namespace(a=1) %}", "{% break %}", "|tojson", "|join", "|map('upper')", "[::-1]", "[1:]", "()"]
        var rng = SeededGenerator(state: 20_240_726)
        var rendered = 0, refused = 0
        for round in 0..<3000 {
            var s = Array(sources[round % sources.count].unicodeScalars)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0...s.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: s.removeSubrange(i..<min(s.count, i + Int.random(in: 1...20, using: &rng)))
                case 1: s.insert(contentsOf: pieces.randomElement(using: &rng)!.unicodeScalars, at: i)
                case 2: let j = min(s.count, i + Int.random(in: 1...40, using: &rng)); s.insert(contentsOf: s[i..<j], at: i)
                case 3: if i < s.count, let k = s.indices.randomElement(using: &rng) { s.swapAt(i, k) }
                default: s.removeSubrange(i...)                              // truncate
                }
            }
            if Self.attempt(PyString.string(s)) { rendered += 1 } else { refused += 1 }
        }
        XCTAssertEqual(rendered + refused, 3000)
        XCTAssertGreaterThan(refused, 100)
    }

    /// Templates that would nest, loop or grow without end stop with an error naming the limit.
    func testRunawayTemplatesStopAtTheLimits() throws {
        func expectError(_ source: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try JinjaTemplate(source: source).render([:]), file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "\(error)", file: file, line: line)
            }
        }
        expectError("{{ " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000) + " }}", "nests more than")
        expectError("{{ " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + " }}", "nests more than")
        expectError("{{ " + String(repeating: "-", count: 5_000) + "1 }}", "nests more than")
        expectError("{{ " + String(repeating: "not ", count: 5_000) + "1 }}", "nests more than")
        expectError(String(repeating: "{% if true %}", count: 5_000), "nests more than")
        expectError("{{ 1" + String(repeating: " + 1", count: 100_000) + " }}", "more than 1000 parts")
        expectError("{{ x" + String(repeating: ".a", count: 100_000) + " }}", "more than 1000 parts")
        expectError("{{ x" + String(repeating: "|trim", count: 100_000) + " }}", "more than 1000 parts")
        expectError("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}", "maximum recursion depth exceeded")
        expectError("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}", "loop iterations")
        expectError("{{ 'ab' * 100000000 }}", "repetition longer than")
        expectError("{{ [1, 2] * 100000000 }}", "repetition longer than")
        expectError("{{ range(1000000) }}", "Range too big")
        expectError("{{ 2 ** 64 }}", "integers beyond 64 bits")
        expectError("{{ 9223372036854775807 + 1 }}", "integers beyond 64 bits")
        expectError("{{ -9223372036854775807 - 2 }}", "integers beyond 64 bits")
        expectError("{{ 99999999999999999999 }}", "integers beyond 64 bits (the literal 99999999999999999999)")
        expectError("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}", "nests more than")
        expectError("{% set s = 'x' * 5000000 %}{% for i in range(5) %}{{ s }}{% endfor %}", "output longer than")
    }

    /// A self-referencing namespace prints through `repr`, which must stop too.
    func testDeepValuesStopInReprAndJSON() throws {
        var value = JinjaValue.int(1)
        for _ in 0..<10_000 { value = .list([value]) }
        XCTAssertThrowsError(try value.repr())
        XCTAssertThrowsError(try PythonJSON.dumps(value))
    }
}
