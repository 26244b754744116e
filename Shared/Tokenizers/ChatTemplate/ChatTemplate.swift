// A model's chat template: the Jinja program that turns a conversation (a list of messages with
// roles) into the one string the model was trained on, special tokens included. Rendered as
// `transformers`' `apply_chat_template(messages, tools=…, add_generation_prompt=…, tokenize=False)`
// renders it: the variables are `messages`, `tools`, `documents` (None), `add_generation_prompt`,
// the special tokens (`bos_token`, `eos_token`) and any extra ones.

import Foundation

/// One message of a conversation.
public struct ChatMessage: Equatable, Sendable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    /// `{"role": …, "content": …}`, in that order, as a chat loop builds it in Python.
    public var json: OrderedJSON { .object([("role", .string(role)), ("content", .string(content))]) }
}

/// A chat template, with the special tokens its tokenizer declares.
///
///     let chat = try ChatTemplate.load(from: URL(fileURLWithPath: "Qwen2.5-0.5B-Instruct"))
///     let prompt = try chat.render(messages: [ChatMessage(role: "user", content: "Hello!")],
///                                  addGenerationPrompt: true)
///     // "<|im_start|>system\nYou are Qwen, …<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n"
public struct ChatTemplate {
    public let template: JinjaTemplate
    /// `bos_token` / `eos_token` of tokenizer_config.json, used when `render` is given none.
    public var bosToken: String?
    public var eosToken: String?

    public init(source: String, bosToken: String? = nil, eosToken: String? = nil) throws {
        template = try JinjaTemplate(source: source)
        self.bosToken = bosToken
        self.eosToken = eosToken
    }

    /// Renders a conversation. `tools` are JSON schemas (nil: the template sees None);
    /// `addGenerationPrompt` ends the text with the start of the assistant's turn; `extra`
    /// holds other variables (e.g. `date_string`, `documents`); `bosToken` / `eosToken`, when
    /// given, replace the tokenizer's. Throws `JinjaError.raised` when the template refuses the
    /// conversation (e.g. roles that do not alternate).
    public func render(messages: [OrderedJSON], tools: [OrderedJSON]? = nil, addGenerationPrompt: Bool,
                       bosToken: String? = nil, eosToken: String? = nil, extra: [String: OrderedJSON] = [:],
                       now: @escaping () -> Date = Date.init, timeZone: TimeZone = .current) throws -> String {
        // As transformers: the tokenizer's special tokens, then the extra variables over them.
        var values: [String: JinjaValue] = ["documents": .none]
        if let bos = self.bosToken { values["bos_token"] = .string(bos) }
        if let eos = self.eosToken { values["eos_token"] = .string(eos) }
        for (name, value) in extra { values[name] = try JinjaValue(json: value) }
        if let bos = bosToken { values["bos_token"] = .string(bos) }
        if let eos = eosToken { values["eos_token"] = .string(eos) }
        values["messages"] = .list(try messages.map { try JinjaValue(json: $0) })
        values["tools"] = try tools.map { .list(try $0.map { try JinjaValue(json: $0) }) } ?? JinjaValue.none
        values["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try template.render(values: values, now: now, timeZone: timeZone)
    }

    /// Renders plain role/content messages.
    public func render(messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String? = nil,
                       eosToken: String? = nil, extra: [String: OrderedJSON] = [:]) throws -> String {
        try render(messages: messages.map(\.json), addGenerationPrompt: addGenerationPrompt,
                   bosToken: bosToken, eosToken: eosToken, extra: extra)
    }
}

// MARK: - Loading

extension ChatTemplate {
    /// The template of a model directory, where `transformers` looks for it: `chat_template.jinja`
    /// (how transformers 5 saves it), else `chat_template` in `tokenizer_config.json` (a string,
    /// or a list of `{"name", "template"}` of which `name` is taken, by default "default"),
    /// else `chat_template.json`. The special tokens come from tokenizer_config.json.
    public static func load(from directory: URL, name: String? = nil) throws -> ChatTemplate {
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let jinjaURL = directory.appendingPathComponent("chat_template.jinja")
        let legacyURL = directory.appendingPathComponent("chat_template.json")
        let fm = FileManager.default
        let config = fm.fileExists(atPath: configURL.path) ? try readJSON(configURL) : nil
        var template: ChatTemplate
        if name == nil, fm.fileExists(atPath: jinjaURL.path) {
            template = try ChatTemplate(contentsOf: jinjaURL)
        } else if let config, let source = try templateSource(config, name: name, url: configURL) {
            template = try parse(source, from: configURL)
        } else if fm.fileExists(atPath: legacyURL.path) {
            guard let source = try readJSON(legacyURL)["chat_template"]?.stringValue else {
                throw TokenizerError(legacyURL.path, "has no \"chat_template\" string")
            }
            template = try parse(source, from: legacyURL)
        } else {
            throw TokenizerError(directory.path, "has no chat template (looked for chat_template.jinja, tokenizer_config.json and chat_template.json)")
        }
        if let config { (template.bosToken, template.eosToken) = specialTokens(config) }
        return template
    }

    /// A template from a `.jinja` file (nothing but the template's text).
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw TokenizerError(url.path, "cannot be read") }
        guard let source = String(data: data, encoding: .utf8) else { throw TokenizerError(url.path, "is not UTF-8 text") }
        self = try Self.parse(source, from: url)
    }

    /// The template (the one called `name`, if the file has several) and the special tokens
    /// of a `tokenizer_config.json`.
    public init(tokenizerConfig url: URL, name: String? = nil) throws {
        let config = try Self.readJSON(url)
        guard let source = try Self.templateSource(config, name: name, url: url) else {
            throw TokenizerError(url.path, "has no \"chat_template\"")
        }
        self = try Self.parse(source, from: url)
        (bosToken, eosToken) = Self.specialTokens(config)
    }

    /// `bos_token` and `eos_token`: strings, or AddedToken objects `{"content": …}`.
    static func specialTokens(_ config: OrderedJSON) -> (String?, String?) {
        func token(_ key: String) -> String? { config[key].flatMap { $0.stringValue ?? $0["content"]?.stringValue } }
        return (token("bos_token"), token("eos_token"))
    }

    /// The `chat_template` of a tokenizer config, or nil if it has none.
    static func templateSource(_ config: OrderedJSON, name: String?, url: URL) throws -> String? {
        switch config["chat_template"] {
        case .string(let s)?:
            if let name, name != "default" { throw TokenizerError(url.path, "has a single chat template, not one named \"\(name)\"") }
            return s
        case .array(let list)?:
            let wanted = name ?? "default"
            guard let entry = list.first(where: { $0["name"]?.stringValue == wanted }) else {
                let names = list.compactMap { $0["name"]?.stringValue }
                throw TokenizerError(url.path, "has no chat template named \"\(wanted)\"", hint: "its templates: \(names.joined(separator: ", "))")
            }
            guard let s = entry["template"]?.stringValue else { throw TokenizerError(url.path, "the chat template \"\(wanted)\" has no \"template\" string") }
            return s
        case nil, .null?:
            return nil
        default:
            throw TokenizerError(url.path, "\"chat_template\" is neither a string nor a list of {\"name\", \"template\"}")
        }
    }

    static func readJSON(_ url: URL) throws -> OrderedJSON {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw TokenizerError(url.path, "cannot be read") }
        do { return try OrderedJSON(parsing: String(decoding: data, as: UTF8.self)) } catch {
            throw TokenizerError(url.path, "is not valid JSON: \(error)")
        }
    }

    static func parse(_ source: String, from url: URL) throws -> ChatTemplate {
        do { return try ChatTemplate(source: source) } catch let error as JinjaError {
            throw TokenizerError(url.path, "the chat template cannot be used: \(error)")
        }
    }
}
