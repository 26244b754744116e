// Reading a tokenizer.json: the JSON parsed (OrderedJSON.swift), then each part built by its
// factory, every value checked. The top-level members are
//
//     version          "1.0"
//     truncation       null, or how to cut encodings to a maximum length
//     padding          null, or how to pad them to a length
//     added_tokens     [{id, content, special, single_word, lstrip, rstrip, normalized}, …]
//     normalizer       null or {"type": …}
//     pre_tokenizer    null or {"type": …}
//     model            {"type": "BPE" | "WordPiece" | "Unigram", "vocab": …, …}
//     post_processor   null or {"type": …}
//     decoder          null or {"type": …}

import Foundation

extension HuggingFaceTokenizer {
    /// Reads a `tokenizer.json`.
    public convenience init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError(url.path, "cannot be read (no such file, or no permission)",
                                 hint: "pass the tokenizer.json of a Hugging Face model")
        }
        try self.init(bytes: Array(data), source: url.path)
    }

    /// Reads the bytes of a `tokenizer.json`; `source` names it in errors.
    public convenience init(bytes: [UInt8], source: String = "tokenizer.json") throws {
        let json = try parseJSONFile(bytes, source: source, hint: "a tokenizer.json is one JSON object; is the file complete?")
        let root = ConfigNode(value: json, path: "", file: source)
        guard case .object = json else {
            throw root.error("is JSON but not an object", hint: "a tokenizer.json is one object with \"model\", \"normalizer\", …")
        }
        if let version = try root.optionalString("version"), version != "1.0" {
            throw try root.child("version").error("\(version.debugDescription) is not a version this reader knows (\"1.0\")")
        }
        let normalizer = try root.optionalChild("normalizer").map(NormalizerFactory.make)
        let preTokenizer = try root.optionalChild("pre_tokenizer").map(PreTokenizerFactory.make)
        let model = try ModelFactory.make(try root.child("model"))
        let postProcessor = try root.optionalChild("post_processor").map(PostProcessorFactory.make)
        let decoder = try root.optionalChild("decoder").map(DecoderFactory.make)
        var tokens: [AddedToken] = []
        if let list = try root.optionalChild("added_tokens") {
            guard case .array(let items) = list.value else { throw list.error("should be an array, not \(list.value.kind)") }
            for (k, item) in items.enumerated() {
                tokens.append(try AddedToken(ConfigNode(value: item, path: "\(list.path)[\(k)]", file: source)))
            }
        }
        let added = try AddedVocabulary(tokens, model: model.vocabulary, normalizer: normalizer, node: root)
        let truncation = try root.optionalChild("truncation").map(Truncation.init)
        let padding = try root.optionalChild("padding").map(Padding.init)
        if let truncation, let postProcessor, truncation.maxLength < postProcessor.addedCount {
            throw root.error("truncation.max_length \(truncation.maxLength) is shorter than the \(postProcessor.addedCount) special tokens the post-processor adds")
        }
        self.init(normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
                  decoder: decoder, added: added, truncation: truncation, padding: padding, source: source)
    }
}

// MARK: - Truncation and padding

/// "truncation": cut an encoding to `max_length` ids (the special tokens included), keeping
/// the start ("Right" cuts the right end) or the end ("Left").
struct Truncation {
    let maxLength: Int
    let keepsStart: Bool
    let onlySecond: Bool

    init(_ node: ConfigNode) throws {
        maxLength = try node.int("max_length")
        guard maxLength >= 0 else { throw try node.child("max_length").error("should not be negative") }
        let direction = try node.optionalString("direction") ?? "Right"
        guard direction == "Right" || direction == "Left" else {
            throw try node.child("direction").error("\(direction.debugDescription) is not Right or Left")
        }
        keepsStart = direction == "Right"
        let strategy = try node.optionalString("strategy") ?? "LongestFirst"
        guard ["LongestFirst", "OnlyFirst", "OnlySecond"].contains(strategy) else {
            throw try node.child("strategy").error("\(strategy.debugDescription) is not a truncation strategy")
        }
        onlySecond = strategy == "OnlySecond"
    }

    /// `ids` cut to fit, leaving room for `reserving` special tokens.
    func apply(_ ids: [Int], reserving: Int, source: String) throws -> [Int] {
        let limit = maxLength - reserving
        guard ids.count > limit else { return ids }
        if onlySecond {
            throw TokenizerError(source, "truncation strategy OnlySecond needs a pair of texts; this reader encodes one")
        }
        return keepsStart ? Array(ids.prefix(limit)) : Array(ids.suffix(limit))
    }
}

/// "padding": add `pad_id` up to a fixed length, or (for a batch) the longest encoding's length
/// — which for one text is its own — rounded up to a multiple of `pad_to_multiple_of`.
struct Padding {
    let fixedLength: Int?
    let multiple: Int?
    let padID: Int
    let padsRight: Bool
    /// The longest padding accepted (a larger value is a damaged file, not a real model's).
    static let longest = 1 << 24

    init(_ node: ConfigNode) throws {
        let strategy = try node.child("strategy")
        if strategy.value.stringValue == "BatchLongest" {
            fixedLength = nil
        } else if let fixed = strategy.value["Fixed"]?.integerValue {
            fixedLength = fixed
        } else {
            throw strategy.error("should be \"BatchLongest\" or {\"Fixed\": length}")
        }
        multiple = try node.optionalChild("pad_to_multiple_of").map { try $0.integerValue() }
        for (key, value) in [("strategy.Fixed", fixedLength), ("pad_to_multiple_of", multiple)] {
            if let value, value < 0 || value > Self.longest {
                throw node.error("\(key) = \(value) is not a length this reader pads to (0…\(Self.longest))")
            }
        }
        padID = try node.int("pad_id", default: 0)
        let direction = try node.optionalString("direction") ?? "Right"
        guard direction == "Right" || direction == "Left" else {
            throw try node.child("direction").error("\(direction.debugDescription) is not Right or Left")
        }
        padsRight = direction == "Right"
    }

    func apply(_ ids: [Int]) -> [Int] {
        var target = fixedLength ?? ids.count
        if let multiple, multiple > 0, target % multiple != 0 { target += multiple - target % multiple }
        guard ids.count < target else { return ids }
        let pad = [Int](repeating: padID, count: target - ids.count)
        return padsRight ? ids + pad : pad + ids
    }
}
