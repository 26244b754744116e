// WordPiece, BERT's tokenizer. Two stages:
// 1. the "basic" tokenizer normalises and splits: drop control characters and turn every
//    whitespace into a space, put spaces around CJK ideographs, strip accents (NFD, then drop
//    the combining marks) and lower-case, then split on whitespace and around punctuation;
// 2. each word is cut greedily into the longest pieces found in the vocabulary, left to
//    right, pieces after the first marked with "##" ("unaffable" → un ##aff ##able). A word
//    with any part that cannot be matched, or longer than 100 characters, becomes [UNK].
// `encode` wraps the result in [CLS] … [SEP]. Equal to Hugging Face's
// `BertTokenizer(vocab.txt, do_lower_case=True)`.

import Foundation

public struct WordPieceTokenizer: Tokenizer {
    public let tokens: [String]
    private let idOfToken: [String: Int]
    public let unknownToken = "[UNK]", classToken = "[CLS]", separatorToken = "[SEP]"
    public static let specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    /// Words longer than this (in characters) become [UNK] without trying.
    public let maxCharactersPerWord = 100
    public var vocabularySize: Int { tokens.count }

    /// Reads a vocab.txt: one token per line, the line number is the id.
    public init(vocabulary url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(url.path, "cannot be read as UTF-8 text", hint: "a WordPiece vocabulary is a vocab.txt with one token per line")
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        lines = lines.map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }
        guard !lines.isEmpty else { throw TokenizerError(url.path, "is empty", hint: "a WordPiece vocabulary needs at least [UNK]") }
        var map: [String: Int] = [:]
        for (id, token) in lines.enumerated() {
            if let previous = map[token] {
                throw TokenizerError(url.path, "line \(id + 1) repeats the token \(token.debugDescription) of line \(previous + 1)")
            }
            map[token] = id
        }
        for special in ["[UNK]", "[CLS]", "[SEP]"] where map[special] == nil {
            throw TokenizerError(url.path, "has no \(special) token", hint: "BERT vocabularies start with [PAD], [UNK], [CLS], [SEP], [MASK]")
        }
        tokens = lines
        idOfToken = map
    }

    // MARK: - The basic tokenizer

    /// Normalises text as BERT does: control characters dropped, whitespace to spaces, spaces
    /// around CJK ideographs, accents stripped, lower case.
    public static func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) { cleaned.append(" "); continue }
            if isCJK(s) { cleaned.append(" "); cleaned.append(s); cleaned.append(" "); continue }
            cleaned.append(s)
        }
        // strip accents: decompose, drop the non-spacing marks; then lower-case
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        var out = String.UnicodeScalarView()
        for s in decomposed.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
            out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
        }
        return String(out)
    }

    /// Splits normalised text on whitespace and around every punctuation character.
    public static func preTokenize(_ text: String) -> [String] {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        func flush() { if !word.isEmpty { words.append(String(word)); word = String.UnicodeScalarView() } }
        for s in text.unicodeScalars {
            if s.properties.isWhitespace {
                flush()
            } else if isPunctuation(s) {
                flush()
                words.append(String(s))
            } else {
                word.append(s)
            }
        }
        flush()
        return words
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    /// Control, format and private-use characters (but not tab, newline, return). Unassigned code
    /// points are kept, as Hugging Face's tokenizer keeps them.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// ASCII punctuation (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~) or any Unicode punctuation (P*).
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// The CJK Unified Ideographs blocks (not Japanese kana or Korean hangul).
    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }

    // MARK: - WordPiece

    /// Greedy longest-match-first pieces of one word, or [UNK].
    public func wordPieces(_ word: String) -> [String] {
        let chars = Array(word.unicodeScalars)
        if chars.count > maxCharactersPerWord { return [unknownToken] }
        var pieces: [String] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: String?
            while start < end {
                var candidate = String(String.UnicodeScalarView(chars[start..<end]))
                if start > 0 { candidate = "##" + candidate }
                if idOfToken[candidate] != nil { found = candidate; break }
                end -= 1
            }
            guard let piece = found else { return [unknownToken] }
            pieces.append(piece)
            start = end
        }
        return pieces
    }

    /// The tokens of `text` (without [CLS] and [SEP]); special tokens typed in the text stay whole.
    public func tokenize(_ text: String) -> [String] {
        var out: [String] = []
        for (segment, isSpecial) in Self.splitSpecial(text) {
            if isSpecial { out.append(segment); continue }
            for word in Self.preTokenize(Self.normalize(segment)) { out += wordPieces(word) }
        }
        return out
    }

    /// Splits around the special tokens ([CLS], [SEP], …) written literally in the text.
    static func splitSpecial(_ text: String) -> [(String, Bool)] {
        var out: [(String, Bool)] = []
        var rest = Substring(text)
        while let range = specialTokens.compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > rest.startIndex { out.append((String(rest[..<range.lowerBound]), false)) }
            out.append((String(rest[range]), true))
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { out.append((String(rest), false)) }
        return out
    }

    /// The tokens with [CLS] first and [SEP] last, as BERT reads a single sentence.
    public func tokens(for text: String) -> [String] {
        [classToken] + tokenize(text) + [separatorToken]
    }

    /// The ids of `[CLS] text [SEP]`.
    public func encode(_ text: String) -> [Int] {
        tokens(for: text).map { idOfToken[$0] ?? idOfToken[unknownToken]! }
    }

    /// Joins tokens with spaces, gluing "##" pieces to the piece before; [CLS], [SEP], [PAD] dropped.
    public func decode(_ ids: [Int]) -> String {
        var out = ""
        for id in ids {
            let token = tokens[id]
            if ["[CLS]", "[SEP]", "[PAD]"].contains(token) { continue }
            if token.hasPrefix("##") { out += token.dropFirst(2) } else { out += (out.isEmpty ? "" : " ") + token }
        }
        return out
    }
}
