import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// The interpreter's features against jinja2 itself, in transformers' chat-template environment:
/// Tests/Fixtures/hf/chat-templates/jinja-features.jsonl holds templates exercising whitespace
/// control, loop.*, scoping and namespace, macros, expressions, slicing, filters, tests, tojson,
/// globals and errors, with what jinja2 3.1 rendered or raised (make_jinja_cases.py made it).
final class JinjaFeatureTests: XCTestCase {
    /// make_jinja_cases.py's fixed time for strftime_now: 2024-07-26 13:05:09.
    static let fixedTime: Date = {
        var c = DateComponents()
        (c.year, c.month, c.day, c.hour, c.minute, c.second) = (2024, 7, 26, 13, 5, 9)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.date(from: c)!
    }()

    struct Case {
        let name: String
        let template: String
        let variables: [String: OrderedJSON]
        let rendered: String?
        let error: String?
        let errorType: String?
    }

    static func cases() throws -> [Case] {
        let text = try String(contentsOf: fixtureURL("hf/chat-templates/jinja-features.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let json = try OrderedJSON(parsing: String(line))
            var variables: [String: OrderedJSON] = [:]
            for (k, v) in json["variables"]!.objectMembers! { variables[k] = v }
            return Case(name: json["name"]!.stringValue!, template: json["template"]!.stringValue!, variables: variables,
                        rendered: json["rendered"]?.stringValue, error: json["error"]?.stringValue,
                        errorType: json["error_type"]?.stringValue)
        }
    }

    static func render(_ c: Case) throws -> String {
        try JinjaTemplate(source: c.template).render(c.variables, now: { fixedTime }, timeZone: TimeZone(identifier: "UTC")!)
    }

    /// Whether our error says what jinja2's did: the same message for a raised, runtime or
    /// syntax error (ours adds the line number to a syntax error; Python's compiler adds its own).
    static func sameError(_ error: Error, _ message: String, _ type: String) -> Bool {
        guard let e = error as? JinjaError else { return false }
        switch (e, type) {
        case (.raised(let m), "TemplateError"): return m == message
        case (.syntax(let m, _), "TemplateSyntaxError"), (.syntax(let m, _), "TemplateAssertionError"): return m == message
        case (.syntax(let m, _), "SyntaxError"): return message.hasPrefix(m)
        // Python's recursion limit and ours are different depths; both stop with this message.
        case (.runtime(let m), "RecursionError"): return m.hasPrefix(message)
        case (.runtime(let m), _): return m == message && !["TemplateError", "TemplateSyntaxError", "TemplateAssertionError"].contains(type)
        default: return false
        }
    }

    func testEveryCaseMatchesJinja2() throws {
        let cases = try Self.cases()
        XCTAssertEqual(cases.count, 229)
        var failures: [String] = []
        for c in cases {
            do {
                let out = try Self.render(c)
                if let expected = c.rendered {
                    if out != expected { failures.append("\(c.name): got \(out.debugDescription), jinja2 gave \(expected.debugDescription)") }
                } else {
                    failures.append("\(c.name): rendered \(out.debugDescription), jinja2 raised \(c.errorType!): \(c.error!)")
                }
            } catch {
                if let message = c.error, let type = c.errorType {
                    if !Self.sameError(error, message, type) { failures.append("\(c.name): raised \(error), jinja2 raised \(type): \(message)") }
                } else {
                    failures.append("\(c.name): raised \(error), jinja2 gave \(c.rendered!.debugDescription)")
                }
            }
        }
        XCTAssertEqual(failures, [], "\(failures.count) of \(cases.count) cases differ:\n" + failures.joined(separator: "\n"))
    }
}
