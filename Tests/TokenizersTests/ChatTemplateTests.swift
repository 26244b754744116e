import Foundation
import TestSupport
import XCTest
@testable import Tokenizers

/// Chat templates against `transformers`' `apply_chat_template(…, tokenize=False)`:
/// Tests/Fixtures/hf/chat-templates/ holds seven real models' templates and 72 conversations
/// rendered by transformers (with and without the generation prompt, with tools for the
/// template that uses them, and the conversations a template refuses with raise_exception).
final class ChatTemplateTests: XCTestCase {
    static let directory = fixtureURL("hf/chat-templates")

    /// One fixture line, read with the order-preserving parser (tool schemas keep their key order).
    struct Case {
        let json: OrderedJSON
        var template: String { json["template"]!.stringValue! }

        func render(with template: ChatTemplate) throws -> String {
            var extra: [String: OrderedJSON] = [:]
            for (k, v) in json["variables"]?.objectMembers ?? [] { extra[k] = v }
            return try template.render(messages: json["messages"]!.arrayValue!, tools: json["tools"]?.arrayValue,
                                       addGenerationPrompt: json["add_generation_prompt"]!.boolValue!,
                                       bosToken: json["bos_token"]?.stringValue, eosToken: json["eos_token"]?.stringValue,
                                       extra: extra)
        }
    }

    static func cases() throws -> [Case] {
        let text = try String(contentsOf: directory.appendingPathComponent("cases.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { Case(json: try OrderedJSON(parsing: String($0))) }
    }

    func testEveryFixtureCaseRendersExactly() throws {
        let cases = try Self.cases()
        XCTAssertEqual(cases.count, 72)
        var templates: [String: ChatTemplate] = [:]
        var rendered = 0, refused = 0
        for (n, c) in cases.enumerated() {
            let name = c.template
            if templates[name] == nil { templates[name] = try ChatTemplate(contentsOf: Self.directory.appendingPathComponent(name)) }
            let label = "case \(n + 1) (\(name), add_generation_prompt=\(c.json["add_generation_prompt"]!))"
            if let expected = c.json["rendered"]?.stringValue {
                XCTAssertEqual(try c.render(with: templates[name]!), expected, label)
                rendered += 1
            } else {
                let message = try XCTUnwrap(c.json["error"]?.stringValue, label)
                XCTAssertThrowsError(try c.render(with: templates[name]!), label) { error in
                    XCTAssertEqual(error as? JinjaError, .raised(message), label)
                }
                refused += 1
            }
        }
        XCTAssertEqual(templates.count, 7)
        XCTAssertEqual(rendered, 60)
        XCTAssertEqual(refused, 12)
    }

    /// The tool case: tool schemas printed with `tojson` in their key order, tool calls and responses.
    func testQwenToolCallKeepsKeyOrder() throws {
        let c = try XCTUnwrap(try Self.cases().first { $0.template == "qwen2.5-instruct.jinja" && $0.json["tools"]?.arrayValue != nil })
        let out = try c.render(with: try ChatTemplate(contentsOf: Self.directory.appendingPathComponent(c.template)))
        XCTAssertTrue(out.contains(#"{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city, in °C", "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}}"#))
        XCTAssertTrue(out.contains(#"{"name": "get_weather", "arguments": {"city": "Zürich", "days": 2}}"#))
    }

    // MARK: - Loading

    /// The directory transformers 5 saved for the tiny Qwen2 chat model (chat_template.jinja beside
    /// a tokenizer_config.json holding the EOS token and a model_max_length beyond 64 bits):
    /// the prompts of greedy.json are what `apply_chat_template(add_generation_prompt=True)` gave.
    func testTransformersSavedDirectoryGivesGreedyJSONPrompts() throws {
        let directory = fixtureURL("hf/qwen2-chat")
        let chat = try ChatTemplate.load(from: directory)
        XCTAssertEqual(chat.eosToken, "<|im_end|>")
        XCTAssertNil(chat.bosToken)
        let cases = try OrderedJSON(parsing: String(contentsOf: directory.appendingPathComponent("greedy.json"), encoding: .utf8))
        XCTAssertEqual(cases.arrayValue?.count, 5)
        for c in cases.arrayValue ?? [] {
            let prompt = try chat.render(messages: c["messages"]!.arrayValue!, addGenerationPrompt: true)
            XCTAssertEqual(prompt, c["prompt"]!.stringValue!)
        }
    }

    func testLoadsFromTokenizerConfigAndJinjaFile() throws {
        // The ChatML template of ../shared/tools/make_fixtures_hf.py's qwen2-chat model, after bos_token.
        let source = "{{- bos_token }}{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
            + "'<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chat-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let quoted = PythonJSON.quote(source)
        let messages = [ChatMessage(role: "user", content: "Hi")]

        // a string, with the special tokens as strings and AddedToken objects
        try #"{"chat_template": \#(quoted), "bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>"}"#
            .write(to: dir.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        var t = try ChatTemplate.load(from: dir)
        XCTAssertEqual(t.bosToken, "<s>")
        XCTAssertEqual(t.eosToken, "</s>")
        XCTAssertEqual(try t.render(messages: messages, addGenerationPrompt: true), "<s><|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")

        // the named-list form: "default" unless a name is given
        try #"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": \#(quoted)}], "bos_token": "<s>"}"#
            .write(to: dir.appendingPathComponent("tokenizer_config.json"), atomically: true, encoding: .utf8)
        t = try ChatTemplate.load(from: dir)
        XCTAssertEqual(try t.render(messages: messages, addGenerationPrompt: false), "<s><|im_start|>user\nHi<|im_end|>\n")
        XCTAssertEqual(try ChatTemplate.load(from: dir, name: "tool_use").render(messages: messages, addGenerationPrompt: false), "T")
        XCTAssertThrowsError(try ChatTemplate.load(from: dir, name: "rag")) { error in
            XCTAssertTrue("\(error)".contains("has no chat template named \"rag\""), "\(error)")
        }

        // chat_template.jinja beside it wins, the tokens still come from the config
        try "J{{ bos_token }}".write(to: dir.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try ChatTemplate.load(from: dir).render(messages: messages, addGenerationPrompt: false), "J<s>")

        // a template that does not parse names the file and the problem
        try "{% if %}".write(to: dir.appendingPathComponent("chat_template.jinja"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ChatTemplate.load(from: dir)) { error in
            XCTAssertTrue("\(error)".contains("chat_template.jinja: the chat template cannot be used: line 1:"), "\(error)")
        }
        XCTAssertThrowsError(try ChatTemplate.load(from: dir.appendingPathComponent("missing"))) { error in
            XCTAssertTrue("\(error)".contains("has no chat template"), "\(error)")
        }
    }
}
