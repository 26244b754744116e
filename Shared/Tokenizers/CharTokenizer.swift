// One token per character: the vocabulary is every distinct character of a training text.
//
// A tiny vocabulary (tiny Shakespeare has 65 characters) in which nothing the training text
// contains is ever unknown — but sequences are long (one token per character) and each token
// carries little meaning, so a model must learn spelling before it can learn anything else.
// "Character" here is a Unicode scalar, as Python's `str` counts them: "é" written as e + U+0301
// is two characters.

/// A character-level tokenizer.
///
///     let tokenizer = CharTokenizer(training: "hello")
///     tokenizer.characters                    // ["e", "h", "l", "o"]
///     tokenizer.encode("hole")                // [1, 3, 2, 0]
///     tokenizer.decode([1, 3, 2, 0])          // "hole"
///     try tokenizer.encodeChecked("help")     // throws: the character "p" (U+0070) is not in the vocabulary
public struct CharTokenizer: Tokenizer {
    /// Every character, in id order.
    public let characters: [Unicode.Scalar]
    private let idOfCharacter: [Unicode.Scalar: Int]
    public var vocabularySize: Int { characters.count }

    /// The distinct characters of `text`, sorted by code point (Python's `sorted(set(text))`).
    public init(training text: String) {
        self.init(characters: Set(text.unicodeScalars).sorted { $0.value < $1.value })
    }

    /// A tokenizer with the given characters: id `k` is `characters[k]`.
    public init(characters: [Unicode.Scalar]) {
        precondition(Set(characters).count == characters.count, "CharTokenizer(characters:): the \(characters.count) characters are not all different")
        self.characters = characters
        var map: [Unicode.Scalar: Int] = [:]
        for (id, c) in characters.enumerated() { map[c] = id }
        idOfCharacter = map
    }

    /// The ids of `text`, or an error naming the first character not in the vocabulary.
    public func encodeChecked(_ text: String) throws -> [Int] {
        try text.unicodeScalars.map { c in
            guard let id = idOfCharacter[c] else {
                let code = String(c.value, radix: 16, uppercase: true)
                throw TokenizerError("input", "the character \(String(c).debugDescription) (U+\(String(repeating: "0", count: max(0, 4 - code.count)) + code)) is not in the vocabulary",
                                     hint: "build the vocabulary from a text that contains it")
            }
            return id
        }
    }

    /// The ids of `text`, as `encodeChecked`; a character not in the vocabulary stops the
    /// program (call `encodeChecked` to handle it).
    public func encode(_ text: String) -> [Int] {
        do { return try encodeChecked(text) } catch { preconditionFailure("CharTokenizer.encode: \(error)") }
    }

    /// The characters of `ids`, joined.
    public func decode(_ ids: [Int]) -> String {
        var s = String.UnicodeScalarView()
        for id in ids {
            precondition(id >= 0 && id < characters.count, "CharTokenizer.decode: id \(id) is outside the vocabulary of \(characters.count)")
            s.append(characters[id])
        }
        return String(s)
    }
}
