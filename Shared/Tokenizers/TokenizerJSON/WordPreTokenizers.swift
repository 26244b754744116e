// The pre-tokenizers that cut by character class: BertPreTokenizer (whitespace and
// punctuation), Whitespace (`\w+|[^\w\s]+`), WhitespaceSplit, Digits, Punctuation and
// CharDelimiterSplit.
//
// Their classes come from different places in the library, each checked against it code point
// by code point: whitespace is Unicode's White_Space; Digits' "numeric" is Rust's
// `char::is_numeric` (Nd, Nl, No of Unicode 17.0, the same as Swift's); punctuation is BERT's
// (ASCII punctuation and the punctuation categories of Unicode 8.0, WordPieceNormalizer.swift);
// Whitespace's `\w` is the Rust regex crate's (Alphabetic, marks, Nd, Pc and the joiners
// U+200C/U+200D, of Unicode 16.0).

// MARK: - Classes

/// Character classes of the word pre-tokenizers.
enum WordClasses {
    /// Rust's `char::is_numeric`: the general categories Nd, Nl and No.
    static func isNumeric(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value >= 0x30 && s.value <= 0x39 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// The regex crate's `\w` (Unicode 16.0).
    static func isWord(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 {
            let v = s.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        let p = s.properties
        guard let age = p.age, (age.major, age.minor) <= ScalarClasses.unicodeVersion else { return false }
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }
}

// MARK: - Pre-tokenizers

/// Splits at every character of a class, treating each as a match (see SplitBehavior).
///
///     CharacterSplitPreTokenizer(behavior: .removed) { $0.properties.isWhitespace }
///     // "a  b" → "a", "b"
struct CharacterSplitPreTokenizer: PreTokenizer {
    let behavior: SplitBehavior
    let isMatch: (Unicode.Scalar) -> Bool

    func split(_ piece: PreToken, into out: inout [PreToken]) {
        behavior.split(piece, segments(of: characterMatches(piece.bytes, isMatch), count: piece.bytes.count), into: &out)
    }
}

/// BERT's: split at whitespace (dropped), then around each punctuation character (kept).
///
///     "Hello, world!" → "Hello", ",", "world", "!"
struct BertPreTokenizer: PreTokenizer {
    private let whitespace = CharacterSplitPreTokenizer(behavior: .removed) { $0.properties.isWhitespace }
    private let punctuation = CharacterSplitPreTokenizer(behavior: .isolated, isMatch: BertNormalizer.isPunctuation)

    func split(_ piece: PreToken, into out: inout [PreToken]) {
        var words: [PreToken] = []
        whitespace.split(piece, into: &words)
        for word in words { punctuation.split(word, into: &out) }
    }
}

/// Runs of word characters and runs of other non-space characters; whitespace is dropped.
///
///     "Hello, world!!" → "Hello", ",", "world", "!!"
struct WhitespacePreTokenizer: PreTokenizer {
    func split(_ piece: PreToken, into out: inout [PreToken]) {
        let bytes = piece.bytes
        var i = 0
        while i < bytes.count {
            let (s, length) = decodeScalar(bytes, at: i)
            if s.properties.isWhitespace { i += length; continue }
            let word = WordClasses.isWord(s)
            var end = i + length
            while end < bytes.count {
                let (next, n) = decodeScalar(bytes, at: end)
                if next.properties.isWhitespace || WordClasses.isWord(next) != word { break }
                end += n
            }
            out.append(piece.slice(i..<end))
            i = end
        }
    }
}
