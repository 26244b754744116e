import Foundation
import XCTest
@testable import Tokenizers

/// What the interpreter refuses. jinja2 would render these, but the course's interpreter does
/// not implement them: each must be an error naming the feature, never a silently different
/// prompt. (What it does implement is checked against jinja2 in JinjaFeatureTests.)
final class JinjaRefusalTests: XCTestCase {
    func assertUnsupported(_ source: String, _ fragment: String, variables: [String: OrderedJSON] = [:],
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try JinjaTemplate(source: source).render(variables), file: file, line: line) { error in
            guard case .unsupported(let what)? = error as? JinjaError else {
                return XCTFail("\(source): expected an unsupported-feature error, got \(error)", file: file, line: line)
            }
            XCTAssertTrue(what.contains(fragment), "\(source): \(what)", file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix("not supported by the course's Jinja interpreter: "), file: file, line: line)
        }
    }

    func testTagsThatLoadOtherTemplates() {
        for tag in ["include 'x.jinja'", "extends 'base'", "import 'm' as m", "from 'm' import f", "block body"] {
            assertUnsupported("{% \(tag) %}", "the tag '\(tag.split(separator: " ")[0])'")
        }
        assertUnsupported("{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}x{% endcall %}", "the tag 'call'")
        assertUnsupported("{% autoescape true %}x{% endautoescape %}", "the tag 'autoescape'")
    }

    func testRefusedFiltersAreRefusedBeforeRendering() {
        // HTML escaping (Markup) would change later concatenations; random is not repeatable.
        for filter in ["safe", "escape", "e", "forceescape", "random", "truncate", "wordwrap", "urlize", "groupby", "slice", "pprint"] {
            assertUnsupported("{% if false %}{{ x|\(filter) }}{% endif %}", "the filter '\(filter)'")
        }
        assertUnsupported("{{ ['a']|map('safe')|list }}", "the filter 'safe'")
    }

    func testOtherRefusals() {
        assertUnsupported("{% for m in messages recursive %}{{ loop(m.children) }}{% endfor %}", "recursive for loops")
        assertUnsupported("{{ [1, 2]|map('string') }}", "printing a generator")
        assertUnsupported("{{ range }}", "printing a builtin_function_or_method")
        assertUnsupported("{{ 'x'.encode() }}", "the str attribute 'encode'")
        assertUnsupported("{{ (1).bit_length() }}", "the int attribute 'bit_length'")
        assertUnsupported("{{ [1] is sameas [1] }}", "'sameas'")
        assertUnsupported("{{ f(*args) }}", "*args and **kwargs")
        assertUnsupported("{{ '%x' % 255 }}", "'%x'")
        assertUnsupported("{{ '{:>4}'.format(1) }}", "format specs")
        assertUnsupported("{{ strftime_now('%z') }}", "%z")
        assertUnsupported("{{ cycler(1, 2) }}", "the global 'cycler'")
        assertUnsupported("{{ '\\N{BULLET}' }}", "\\N{…}")
        assertUnsupported("{{ 'x'.startswith('x', 1) }}", "start and end arguments")
    }

    // MARK: - The API a chat loop uses

    func testChatMessagesRenderInRoleContentOrder() throws {
        let template = try ChatTemplate(source: "{% for m in messages %}{{ m|tojson }}{% endfor %}{{ add_generation_prompt }}|{{ bos_token }}|{{ eos_token }}|{{ tools }}",
                                        bosToken: "<s>", eosToken: "</s>")
        let out = try template.render(messages: [ChatMessage(role: "user", content: "Hé\n")], addGenerationPrompt: true)
        XCTAssertEqual(out, #"{"role": "user", "content": "Hé\n"}True|<s>|</s>|None"#)
        XCTAssertEqual(try template.render(messages: [], addGenerationPrompt: false, eosToken: "<|im_end|>"), "False|<s>|<|im_end|>|None")
        // As transformers: extra variables over the tokenizer's special tokens, and `documents`
        // (None unless given); the explicit tokens over both.
        let rag = try ChatTemplate(source: "{{ bos_token }}|{{ documents }}", bosToken: "<s>")
        XCTAssertEqual(try rag.render(messages: [], addGenerationPrompt: false), "<s>|None")
        XCTAssertEqual(try rag.render(messages: [], addGenerationPrompt: false,
                                      extra: ["bos_token": .string("<b>"), "documents": .array([.string("d")])]), "<b>|['d']")
        XCTAssertEqual(try rag.render(messages: [], addGenerationPrompt: false, bosToken: "<B>", extra: ["bos_token": .string("<b>")]), "<B>|None")
    }

    func testRaiseExceptionGivesItsMessage() throws {
        let template = try ChatTemplate(source: "{{ raise_exception('Only ' ~ 2 ~ ' roles!') }}")
        XCTAssertThrowsError(try template.render(messages: [], addGenerationPrompt: false)) { error in
            XCTAssertEqual(error as? JinjaError, .raised("Only 2 roles!"))
            XCTAssertEqual("\(error)", "Only 2 roles!")
        }
    }

    func testStrftimeNowUsesTheGivenClock() throws {
        let t = try JinjaTemplate(source: "{{ strftime_now('%Y-%m-%d %H:%M') }}")
        let utc = TimeZone(identifier: "UTC")!
        XCTAssertEqual(try t.render([:], now: { Date(timeIntervalSince1970: 0) }, timeZone: utc), "1970-01-01 00:00")
        XCTAssertEqual(try t.render([:], now: { Date(timeIntervalSince1970: 86_399) }, timeZone: TimeZone(secondsFromGMT: 3600)!), "1970-01-02 00:59")
    }
}
