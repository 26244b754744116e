// The tokenizer of any model directory, found the way a learner would look for it, and the
// token ids generation needs from the directory's configuration files.
//
// The tokenizer, first found wins:
//   1. tokenizer.json            a Hugging Face tokenizer (HuggingFaceTokenizer): nearly every model
//   2. vocab.json + merges.txt   GPT-2's files under Hugging Face's names, or
//      encoder.json + vocab.bpe  under OpenAI's (GPT2Tokenizer)
//   3. tokenizer.model           a SentencePiece model (SentencePieceTokenizer; unigram models only)
//
// The special ids:
//   - end of sequence: generation_config.json's "eos_token_id" (one id or a list: Llama 3
//     Instruct stops at <|end_of_text|> and <|eot_id|>), else config.json's, else the id of
//     tokenizer_config.json's "eos_token";
//   - beginning of sequence: the same files' "bos_token_id" / "bos_token";
//   - tokenizer_config.json's "add_bos_token" asks for the BOS id in front of a prompt; a
//     tokenizer.json usually adds it itself (its post-processor), so it is added only where the
//     tokenizer did not.
//
// A chapter-14 checkpoint also has a tokenizer.json, of the course's own short form
// ({"type": "char", …}); LLMKit's CheckpointTokenizer reads those and hands the rest here.

import Foundation

// MARK: - Pretrained tokenizer

/// A model directory's tokenizer and special ids.
///
///     let loaded = try PretrainedTokenizer(directory: URL(fileURLWithPath: "models/Llama-3.2-1B"))
///     let ids = try loaded.encode("Hello")        // [128000, 9906]: BOS, then the text
///     loaded.eosIDs                                // [128001] (generation_config.json)
///     loaded.tokenizer.decode(ids)                 // "<|begin_of_text|>Hello"
public struct PretrainedTokenizer {
    /// Which files the tokenizer came from.
    public enum Kind: String {
        case huggingFace = "tokenizer.json"
        case gpt2 = "GPT-2 vocabulary and merges"
        case sentencePiece = "tokenizer.model"
    }

    public let tokenizer: Tokenizer
    public let kind: Kind
    /// The model directory.
    public let directory: URL
    /// The file (or, for GPT-2's two files, the directory) it was read from.
    public let source: String
    /// The ids that end a generated sequence (may be empty).
    public let eosIDs: [Int]
    /// The id that begins a sequence, if the configuration names one.
    public let bosID: Int?
    /// Whether `encode` puts `bosID` in front (tokenizer_config.json's add_bos_token, where the
    /// tokenizer does not add it itself).
    public let addsBOS: Bool

    /// Reads the tokenizer and special ids of `directory` (see the top of the file).
    public init(directory: URL) throws {
        let file = { (name: String) in directory.appendingPathComponent(name) }
        let exists = { (name: String) in FileManager.default.fileExists(atPath: file(name).path) }
        if exists("tokenizer.json") {
            let url = file("tokenizer.json")
            if let data = FileManager.default.contents(atPath: url.path), Self.isCourseCheckpointTokenizer(data) {
                throw TokenizerError(url.path, "is a course checkpoint's tokenizer description, not a Hugging Face tokenizer.json",
                                     hint: "load the checkpoint with LLMKit's CheckpointTokenizer")
            }
            tokenizer = try HuggingFaceTokenizer(contentsOf: url)
            kind = .huggingFace
            source = url.path
        } else if (exists("vocab.json") && exists("merges.txt")) || (exists("encoder.json") && exists("vocab.bpe")) {
            tokenizer = try GPT2Tokenizer(directory: directory)
            kind = .gpt2
            source = directory.path
        } else if exists("tokenizer.model") {
            tokenizer = try SentencePieceTokenizer(model: file("tokenizer.model"))
            kind = .sentencePiece
            source = file("tokenizer.model").path
        } else {
            throw TokenizerError(directory.path, "has no tokenizer",
                                 hint: "looked for tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe, tokenizer.model")
        }
        self.directory = directory
        let special = try SpecialTokenIDs(directory: directory, tokenizer: tokenizer)
        eosIDs = special.eosIDs
        bosID = special.bosID
        if special.addBOSToken, let bosID = special.bosID {
            // added unless the tokenizer already starts its encodings with it
            let sample: [Int]?
            if let hf = tokenizer as? HuggingFaceTokenizer {
                sample = try? hf.encode("a", addSpecialTokens: true)
            } else {
                sample = tokenizer.encode("a")
            }
            addsBOS = sample?.first != bosID
        } else {
            addsBOS = false
        }
    }

    /// The ids of a prompt: the tokenizer's, with BOS in front where the configuration asks for
    /// it. Throws where the text cannot be encoded.
    public func encode(_ text: String) throws -> [Int] {
        let ids = try (tokenizer as? HuggingFaceTokenizer)?.encode(text, addSpecialTokens: true) ?? tokenizer.encode(text)
        guard addsBOS, let bosID else { return ids }
        return [bosID] + ids
    }

    /// How a token is written, for tables of candidates: its text, or its token string where its
    /// text is not whole characters (a byte of a longer character).
    public func display(_ id: Int) -> String {
        let text = tokenizer.decode([id])
        if !text.contains("\u{FFFD}") { return text }
        if let hf = tokenizer as? HuggingFaceTokenizer, let token = hf.token(of: id) { return token }
        if let gpt2 = tokenizer as? GPT2Tokenizer { return gpt2.tokenString(id) }
        return text
    }

    /// Whether `directory` holds one of the tokenizers this type reads.
    public static func hasTokenizer(in directory: URL) -> Bool {
        let exists = { (name: String) in FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) }
        return exists("tokenizer.json") || (exists("vocab.json") && exists("merges.txt"))
            || (exists("encoder.json") && exists("vocab.bpe")) || exists("tokenizer.model")
    }

    /// Whether the contents of a tokenizer.json are a Hugging Face tokenizer (not the course's
    /// short form).
    public static func isHuggingFaceTokenizer(_ data: Data) -> Bool {
        guard data.count < 1 << 16 else { return true }          // the course's files are small
        guard let value = try? OrderedJSON(parsing: [UInt8](data)) else { return false }
        return value["model"] != nil
    }

    /// Whether a tokenizer.json is the course's own short form: an object with a "type" and no "model".
    static func isCourseCheckpointTokenizer(_ data: Data) -> Bool {
        // the course's files are small; a Hugging Face file is parsed once, by its reader
        guard data.count < 1 << 16, let value = try? OrderedJSON(parsing: [UInt8](data)) else { return false }
        return value["type"] != nil && value["model"] == nil
    }
}

// MARK: - Special ids

/// The special ids a model directory's configuration files give (see the top of the file).
///
///     let special = try SpecialTokenIDs(directory: dir, tokenizer: nil)   // ids only, no token names
///     special.eosIDs                                                      // [50256]
public struct SpecialTokenIDs {
    /// The ids that end a generated sequence (may be empty).
    public let eosIDs: [Int]
    /// The id that begins a sequence, if named.
    public let bosID: Int?
    /// tokenizer_config.json's add_bos_token.
    public let addBOSToken: Bool

    /// Reads generation_config.json, config.json and tokenizer_config.json (each optional; an
    /// invalid one is an error naming it). Token names ("eos_token": "</s>") are looked up in
    /// `tokenizer` when one is given.
    public init(directory: URL, tokenizer: Tokenizer?) throws {
        let generation = try Self.readConfig(directory.appendingPathComponent("generation_config.json"))
        let config = try Self.readConfig(directory.appendingPathComponent("config.json"))
        let tokenizerConfig = try Self.readConfig(directory.appendingPathComponent("tokenizer_config.json"))
        // the token names, strings or added-token objects {"content": "</s>", …} (as chat templates read them)
        let (bosToken, eosToken) = tokenizerConfig.map(ChatTemplate.specialTokens) ?? (nil, nil)
        func id(_ token: String?) -> [Int]? {
            guard let tokenizer, let token else { return nil }
            return Self.id(of: token, in: tokenizer).map { [$0] }
        }
        eosIDs = Self.ids(generation?["eos_token_id"]) ?? Self.ids(config?["eos_token_id"]) ?? id(eosToken) ?? []
        bosID = (Self.ids(generation?["bos_token_id"]) ?? Self.ids(config?["bos_token_id"]) ?? id(bosToken))?.first
        addBOSToken = tokenizerConfig?["add_bos_token"]?.boolValue ?? false
    }

    /// A JSON configuration file, or nil if there is none.
    static func readConfig(_ url: URL) throws -> OrderedJSON? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let value = try parseJSONFile([UInt8](data), source: url.path)
        guard case .object = value else { throw TokenizerError(url.path, "is not a JSON object") }
        return value
    }

    /// One id or a list of ids (nil if absent, null, or not integers).
    static func ids(_ value: OrderedJSON?) -> [Int]? {
        switch value {
        case .integer(let id)?: return [id]
        case .array(let items)?:
            let ids = items.compactMap(\.integerValue)
            return ids.count == items.count && !ids.isEmpty ? ids : nil
        default: return nil
        }
    }

    /// The id of a token given by its text.
    static func id(of text: String, in tokenizer: Tokenizer) -> Int? {
        switch tokenizer {
        case let hf as HuggingFaceTokenizer: return hf.id(of: text)
        case let gpt2 as GPT2Tokenizer where text == GPT2Tokenizer.endOfTextToken: return gpt2.endOfText >= 0 ? gpt2.endOfText : nil
        case let sp as SentencePieceTokenizer: return sp.model.pieces.firstIndex { $0.text == text }
        default: return nil
        }
    }
}
