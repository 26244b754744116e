// The simplest tokenizer: split text into words and punctuation, number the distinct pieces.
//
// This is the book's `SimpleTokenizerV1` and `V2` (Raschka, *Build a Large Language Model
// (From Scratch)*, ch. 2). It splits with Python's
//
//     re.split(r'([,.:;?_!"()\']|--|\s)', text)
//
// keeps the punctuation, drops the whitespace, and looks each piece up in a vocabulary built
// from a training text. What it leaves out: any word it has not seen is unknown (an error, or
// the catch-all `<|unk|>`), the spacing of the text is lost, and the vocabulary grows with every
// new word, name and typo — the problems subword tokenizers (BPE) solve.

// MARK: - Splitting

/// A word-level tokenizer with a fixed vocabulary.
///
///     let tokenizer = WordTokenizer(training: "The cat sat. The dog sat.")
///     tokenizer.tokens                            // [".", "The", "cat", "dog", "sat"]
///     try tokenizer.encodeChecked("The dog sat.") // [1, 3, 4, 0]
///     tokenizer.decode([1, 3, 4, 0])              // "The dog sat."
///     try tokenizer.encodeChecked("A cat")        // throws: the word "A" is not in the vocabulary
public struct WordTokenizer: Tokenizer {
    /// The book's token for any word not in the vocabulary.
    public static let unknown = "<|unk|>"
    /// The book's token between unrelated texts joined for training.
    public static let endOfText = "<|endoftext|>"

    /// The punctuation the book's pattern splits off (besides `--`).
    static let punctuation: Set<Unicode.Scalar> = [",", ".", ":", ";", "?", "_", "!", "\"", "(", ")", "'"]
    /// The punctuation `decode` attaches to the previous word (the book's `[,.?!"()\']`).
    static let attached: Set<Unicode.Scalar> = [",", ".", "?", "!", "\"", "(", ")", "'"]

    /// Whether Python's `re` counts a character as `\s`: Unicode's White_Space characters and
    /// the four separators U+001C…U+001F (Python's `str.isspace`).
    @inline(__always) static func isPythonWhitespace(_ s: Unicode.Scalar) -> Bool {
        (0x1C...0x1F).contains(s.value) || s.properties.isWhitespace
    }

    /// Splits text into words and punctuation exactly as the book's regular expression does:
    /// each of `, . : ; ? _ ! " ( ) '` and each `--` is a piece of its own, whitespace separates
    /// pieces and is dropped, everything else ("it's" → "it", "'", "s"; "well-known" stays
    /// whole) is part of a word.
    ///
    ///     WordTokenizer.split("Hello, world. Is this-- a test?")
    ///     // ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"]
    public static func split(_ text: String) -> [String] {
        var out: [String] = []
        var word = String.UnicodeScalarView()
        func endWord() {
            if !word.isEmpty { out.append(String(word)); word = String.UnicodeScalarView() }
        }
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if s == "-" && i + 1 < scalars.count && scalars[i + 1] == "-" {
                endWord(); out.append("--"); i += 2
                continue
            }
            if punctuation.contains(s) {
                endWord(); out.append(String(s))
            } else if isPythonWhitespace(s) {
                endWord()
            } else {
                word.append(s)
            }
            i += 1
        }
        endWord()
        return out
    }

    // MARK: - Vocabulary

    /// Every token, in id order.
    public let tokens: [String]
    /// The id of each token.
    public let idOfToken: [String: Int]
    public var vocabularySize: Int { tokens.count }
    /// Whether unknown words become `<|unk|>` (the book's V2) rather than an error (V1).
    public var hasUnknownToken: Bool { idOfToken[Self.unknown] != nil }

    /// A vocabulary of every distinct piece of `text`, sorted by code point as Python's
    /// `sorted` does, then the special tokens (if any) appended in the order given.
    ///
    /// On the-verdict.txt: 4,690 pieces, 1,130 distinct; with
    /// `specialTokens: [WordTokenizer.endOfText, WordTokenizer.unknown]`, 1,132.
    public init(training text: String, specialTokens: [String] = []) {
        let distinct = Set(Self.split(text)).sorted(by: Self.codePointOrder)
        let present = Set(distinct)
        self.init(tokens: distinct + specialTokens.filter { !present.contains($0) })
    }

    /// A tokenizer with the given vocabulary: id `k` is `tokens[k]`.
    public init(tokens: [String]) {
        precondition(Set(tokens).count == tokens.count, "WordTokenizer(tokens:): the \(tokens.count) tokens are not all different")
        self.tokens = tokens
        var map: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { map[token] = id }
        idOfToken = map
    }

    /// Python's order of strings: by code point (Swift's `<` on `String` compares canonical
    /// equivalents as equal, which would not match).
    static func codePointOrder(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
    }

    // MARK: - Encoding and decoding

    /// The ids of `text`. A word not in the vocabulary becomes `<|unk|>`; if there is no
    /// `<|unk|>`, it is an error naming the word.
    public func encodeChecked(_ text: String) throws -> [Int] {
        let unknownID = idOfToken[Self.unknown]
        return try Self.split(text).map { piece in
            if let id = idOfToken[piece] ?? unknownID { return id }
            throw TokenizerError("input", "the word \(piece.debugDescription) is not in the vocabulary",
                                 hint: "add \(Self.unknown) to the vocabulary, or use a subword tokenizer such as BPE")
        }
    }

    /// The ids of `text`, as `encodeChecked`; a word not in a vocabulary without `<|unk|>`
    /// stops the program (call `encodeChecked` to handle it).
    public func encode(_ text: String) -> [Int] {
        do { return try encodeChecked(text) } catch { preconditionFailure("WordTokenizer.encode: \(error)") }
    }

    /// The tokens joined with spaces, then the space before punctuation removed, as the book
    /// does with `re.sub(r'\s+([,.?!"()\'])', r'\1', text)`: the spacing of the original is
    /// lost ("It's" comes back as "It' s").
    public func decode(_ ids: [Int]) -> String {
        for id in ids {
            precondition(id >= 0 && id < tokens.count, "WordTokenizer.decode: id \(id) is outside the vocabulary of \(tokens.count)")
        }
        let joined = Array(ids.map { tokens[$0] }.joined(separator: " ").unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < joined.count {
            // a run of whitespace directly followed by attached punctuation is dropped
            var end = i
            while end < joined.count && Self.isPythonWhitespace(joined[end]) { end += 1 }
            if end > i && end < joined.count && Self.attached.contains(joined[end]) {
                i = end
                continue
            }
            if end == i { end = i + 1 }
            out.append(contentsOf: joined[i..<end])
            i = end
        }
        return String(out)
    }
}
