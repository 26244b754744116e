// The simplest tokenizer: split text into words and punctuation, number the distinct ones.
// This is the book's `SimpleTokenizerV1/V2` (Raschka, ch. 2): split with
// `re.split(r'([,.:;?_!"()\']|--|\s)', text)`, drop the whitespace, and look each piece up in a
// vocabulary built from a training text. What it leaves out: any word it has not seen is
// unknown, and the vocabulary grows with every new word, name and typo.

/// A word-level tokenizer with a fixed vocabulary.
public struct WordTokenizer: Tokenizer {
    public static let unknown = "<|unk|>"
    public static let endOfText = "<|endoftext|>"

    /// The vocabulary: token → id, and id → token.
    public let idOfToken: [String: Int]
    public let tokens: [String]
    public var vocabularySize: Int { tokens.count }
    /// Whether unknown words become `<|unk|>` (book's V2) or are an error (V1).
    public var hasUnknownToken: Bool { idOfToken[Self.unknown] != nil }

    /// The punctuation the splitter separates (and `--`).
    static let punctuation: Set<Unicode.Scalar> = [",", ".", ":", ";", "?", "_", "!", "\"", "(", ")", "'"]

    /// Splits text into words and punctuation, as the book's regular expression does.
    ///
    ///     WordTokenizer.split("Hello, world. Is this-- a test?")
    ///     // ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"]
    public static func split(_ text: String) -> [String] {
        var out: [String] = []
        var word = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        func flush() {
            if !word.isEmpty { out.append(String(word)); word = String.UnicodeScalarView() }
        }
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "-" && i + 1 < scalars.count && scalars[i + 1] == "-" {
                flush(); out.append("--"); i += 2; continue
            }
            if punctuation.contains(s) {
                flush(); out.append(String(s))
            } else if s.properties.isWhitespace {
                flush()
            } else {
                word.append(s)
            }
            i += 1
        }
        flush()
        return out
    }

    /// A vocabulary of every distinct piece of `text`, sorted (by code point, as Python's
    /// `sorted` does), with the special tokens appended if asked for.
    public init(training text: String, specialTokens: [String] = []) {
        let distinct = Set(Self.split(text)).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
        self.init(tokens: distinct + specialTokens.filter { !distinct.contains($0) })
    }

    /// A tokenizer with the given vocabulary, ids in order.
    public init(tokens: [String]) {
        self.tokens = tokens
        var map: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where map[token] == nil { map[token] = id }
        idOfToken = map
    }

    /// The ids of `text`, or an error naming the first word not in the vocabulary (when there
    /// is no `<|unk|>`).
    public func encodeChecked(_ text: String) throws -> [Int] {
        try Self.split(text).map { piece in
            if let id = idOfToken[piece] { return id }
            if let unk = idOfToken[Self.unknown] { return unk }
            throw TokenizerError("input", "the word \(piece.debugDescription) is not in the vocabulary",
                                 hint: "add <|unk|> to the vocabulary, or use a subword tokenizer such as BPE")
        }
    }

    /// The ids of `text`; unknown words become `<|unk|>` (they stop the program if there is none).
    public func encode(_ text: String) -> [Int] {
        do { return try encodeChecked(text) } catch { preconditionFailure("\(error)") }
    }

    /// Joins the tokens with spaces, then removes the space before punctuation, as the book does
    /// with `re.sub(r'\s+([,.?!"()\'])', r'\1', text)`.
    public func decode(_ ids: [Int]) -> String {
        var out = ""
        for (k, id) in ids.enumerated() {
            let token = tokens[id]
            let attaches = token.unicodeScalars.count == 1 && [",", ".", "?", "!", "\"", "(", ")", "'"].contains(token.unicodeScalars.first!)
            if k > 0 && !attaches { out += " " }
            out += token
        }
        return out
    }
}

/// One token per character (Unicode scalar): the vocabulary is every distinct character of a
/// training text. Tiny vocabulary, nothing is ever unknown within it — but sequences are long
/// and each token carries little meaning.
public struct CharTokenizer: Tokenizer {
    public let characters: [Unicode.Scalar]
    private let idOfCharacter: [Unicode.Scalar: Int]
    public var vocabularySize: Int { characters.count }

    /// The sorted distinct characters of `text`.
    public init(training text: String) {
        self.init(characters: Set(text.unicodeScalars).sorted { $0.value < $1.value })
    }

    public init(characters: [Unicode.Scalar]) {
        self.characters = characters
        var map: [Unicode.Scalar: Int] = [:]
        for (id, c) in characters.enumerated() { map[c] = id }
        idOfCharacter = map
    }

    /// The ids of `text`, or an error naming the first character not in the vocabulary.
    public func encodeChecked(_ text: String) throws -> [Int] {
        try text.unicodeScalars.map { c in
            guard let id = idOfCharacter[c] else {
                throw TokenizerError("input", "the character \(String(c).debugDescription) (U+\(String(c.value, radix: 16, uppercase: true))) is not in the vocabulary",
                                     hint: "build the vocabulary from a text that contains it")
            }
            return id
        }
    }

    public func encode(_ text: String) -> [Int] {
        do { return try encodeChecked(text) } catch { preconditionFailure("\(error)") }
    }

    public func decode(_ ids: [Int]) -> String {
        var s = String.UnicodeScalarView()
        for id in ids { s.append(characters[id]) }
        return String(s)
    }
}
