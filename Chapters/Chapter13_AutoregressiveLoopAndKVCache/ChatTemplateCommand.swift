// `Chapter13_AutoregressiveLoopAndKVCache chat-template TEMPLATE CASES.jsonl`: renders
// conversations with a model's chat template, exactly as `transformers`' `apply_chat_template`
// (tokenize=False) does, for checking the course's Jinja interpreter against it.
//
// TEMPLATE is a .jinja file, a tokenizer_config.json, or a model directory. Each line of
// CASES.jsonl is an object with `messages`, and optionally `tools` (or null),
// `add_generation_prompt` (default false), `bos_token`, `eos_token` and `variables` (extra
// template variables). Prints one line per case: the rendered text as a JSON string, or
// {"error": "…"} where the template raised (e.g. "Conversation roles must alternate …").

import CourseKit
import Foundation
import Tokenizers

/// Runs `chat-template TEMPLATE CASES.jsonl` and exits.
func runChatTemplateCommand(_ arguments: [String], options: Options) -> Never {
    guard arguments.count == 2 else { options.fail("usage: chat-template TEMPLATE.jinja|tokenizer_config.json|MODEL_DIR CASES.jsonl") }
    let templateURL = URL(fileURLWithPath: arguments[0]), casesPath = arguments[1]
    let template: ChatTemplate
    do {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: templateURL.path, isDirectory: &isDirectory) else {
            options.fail("\(templateURL.path): no such file or directory")
        }
        if isDirectory.boolValue {
            template = try ChatTemplate.load(from: templateURL)
        } else if templateURL.pathExtension == "json" {
            template = try ChatTemplate(tokenizerConfig: templateURL)
        } else {
            template = try ChatTemplate(contentsOf: templateURL)
        }
    } catch {
        options.fail("\(error)")
    }
    guard let data = FileManager.default.contents(atPath: casesPath), let text = String(data: data, encoding: .utf8) else {
        options.fail("\(casesPath): cannot be read as UTF-8 text")
    }
    // Every line is checked before anything is printed: a bad line prints nothing but the error.
    var output = ""
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if line.allSatisfy({ $0.isWhitespace }) { continue }
        let where_ = "\(casesPath): line \(number + 1)"
        let json: OrderedJSON
        do { json = try OrderedJSON(parsing: String(line)) } catch { options.fail("\(where_) is not JSON: \(error)") }
        guard let messages = json["messages"]?.arrayValue else { options.fail("\(where_) has no \"messages\" list") }
        func optional<T>(_ key: String, _ read: (OrderedJSON) -> T?, _ kind: String) -> T? {
            guard let v = json[key], !v.isNull else { return nil }
            guard let value = read(v) else { options.fail("\(where_): \"\(key)\" is not \(kind)") }
            return value
        }
        let tools = optional("tools", { $0.arrayValue }, "a list or null")
        let addGenerationPrompt = optional("add_generation_prompt", { $0.boolValue }, "true or false") ?? false
        let bos = optional("bos_token", { $0.stringValue }, "a string")
        let eos = optional("eos_token", { $0.stringValue }, "a string")
        var extra: [String: OrderedJSON] = [:]
        for (key, value) in optional("variables", { $0.objectMembers }, "an object") ?? [] { extra[key] = value }
        do {
            let rendered = try template.render(messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt,
                                               bosToken: bos, eosToken: eos, extra: extra)
            output += OrderedJSON.string(rendered).serialized() + "\n"
        } catch let error as JinjaError {
            output += OrderedJSON.object([("error", .string(error.message))]).serialized() + "\n"
        } catch {
            output += OrderedJSON.object([("error", .string("\(error)"))]).serialized() + "\n"
        }
    }
    print(output, terminator: "")
    exit(0)
}
