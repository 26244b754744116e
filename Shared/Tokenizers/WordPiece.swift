// WordPiece, BERT's tokenizer. Text is first normalised and cut into words (lower case, no
// accents, punctuation split off: see WordPieceNormalizer.swift), then each word is cut
// greedily, left to right, into the longest pieces found in the vocabulary; pieces after the
// first carry the prefix "##" (with BERT's vocabulary, "unaffable" → un ##aff ##able). A word
// with a part that no piece covers, or longer than 100 characters, becomes the single token
// [UNK]. `encode` wraps the result in [CLS] … [SEP], as BERT reads one sentence.
//
// Equal to Hugging Face's `BertTokenizer(vocab.txt, do_lower_case=True)` (transformers 5,
// backed by the `tokenizers` library) on every case of Tests/Fixtures/wordpiece/cases.jsonl
// and on all of tiny Shakespeare.

import Foundation

/// BERT's WordPiece tokenizer, read from a `vocab.txt`.
///
///     let bert = try WordPieceTokenizer(vocabulary: URL(fileURLWithPath: "vocab.txt"))
///     bert.tokens(for: "Hello, world!")      // ["[CLS]", "hell", "##o", ",", "world", "!", "[SEP]"]
///     bert.encode("Hello, world!")           // [2, 1543, 51, 12, 602, 5, 3]
///     bert.decode(bert.encode("Hello, world!"))   // "hello , world !"
public struct WordPieceTokenizer: Tokenizer {
    /// Every token, in id order (line k of vocab.txt is id k).
    public let vocabulary: [String]
    private let idOfToken: [String: Int]
    /// The special tokens of the vocabulary ([PAD], [UNK], [CLS], [SEP], [MASK]: those present).
    /// Typed into the text they stay whole: "a [MASK] b" → a [MASK] b.
    public let specialTokens: [String]
    private let specialTokenBytes: [[UInt8]]
    public let unknownID: Int, classID: Int, separatorID: Int

    public static let unknownToken = "[UNK]", classToken = "[CLS]", separatorToken = "[SEP]"
    public static let paddingToken = "[PAD]", maskToken = "[MASK]"
    /// Prefix of a piece that continues a word.
    public static let continuationPrefix = "##"
    /// A word of more characters (Unicode scalars) than this becomes [UNK] without trying.
    public static let maxCharactersPerWord = 100

    public var vocabularySize: Int { vocabulary.count }

    // MARK: - Loading

    /// Reads a `vocab.txt`: one token per line, the line number (from 0) is the id.
    /// Throws if the file is missing, empty, not UTF-8, repeats a token, or lacks [UNK],
    /// [CLS] or [SEP].
    public init(vocabulary url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError(url.path, "cannot be read (no such file, or no permission)",
                                 hint: "pass the vocab.txt of a BERT (WordPiece) tokenizer")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(url.path, "is not UTF-8 text", hint: "a WordPiece vocab.txt holds one token per line, in UTF-8")
        }
        try self.init(tokens: Self.lines(of: text), source: url.path)
    }

    /// A tokenizer whose token `k` is `tokens[k]`; `source` names where they came from in errors.
    public init(tokens: [String], source: String = "vocabulary") throws {
        guard !tokens.isEmpty else {
            throw TokenizerError(source, "is empty", hint: "a WordPiece vocab.txt holds one token per line, [UNK], [CLS] and [SEP] among them")
        }
        var map: [String: Int] = [:]
        map.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let first = map[token] {
                throw TokenizerError(source, "line \(id + 1) repeats the token \(token.debugDescription) of line \(first + 1)",
                                     hint: "each token must appear once: its line number is its id")
            }
            map[token] = id
        }
        for required in [Self.unknownToken, Self.classToken, Self.separatorToken] where map[required] == nil {
            throw TokenizerError(source, "has no \(required) token", hint: "BERT vocabularies start with [PAD], [UNK], [CLS], [SEP], [MASK]")
        }
        vocabulary = tokens
        idOfToken = map
        unknownID = map[Self.unknownToken]!
        classID = map[Self.classToken]!
        separatorID = map[Self.separatorToken]!
        specialTokens = [Self.paddingToken, Self.unknownToken, Self.classToken, Self.separatorToken, Self.maskToken]
            .filter { map[$0] != nil }
        specialTokenBytes = specialTokens.map { Array($0.utf8) }
    }

    /// The lines of a vocab.txt: split at "\n" (a "\r" before it is dropped); a last line
    /// without "\n" counts, the empty string after a final "\n" does not.
    static func lines(of text: String) -> [String] {
        // split the bytes, not the Characters: "\r\n" is one Character in Swift
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    // MARK: - Looking up

    /// The id of `token`, or nil if it is not in the vocabulary.
    public func id(of token: String) -> Int? { idOfToken[token] }

    /// The token of `id`.
    public func token(of id: Int) -> String {
        precondition(id >= 0 && id < vocabulary.count, "WordPieceTokenizer.token(of:): id \(id) is outside the vocabulary of \(vocabulary.count)")
        return vocabulary[id]
    }

    // MARK: - Encoding

    /// The tokens of `[CLS] text [SEP]`, as strings: what `encode` returns the ids of.
    public func tokens(for text: String) -> [String] {
        tokensAndIDs(for: text).map(\.token)
    }

    /// Each token of `[CLS] text [SEP]` with its id.
    public func tokensAndIDs(for text: String) -> [(token: String, id: Int)] {
        ([classID] + pieceIDs(of: text) + [separatorID]).map { (vocabulary[$0], $0) }
    }

    /// The ids of `[CLS] text [SEP]`.
    public func encode(_ text: String) -> [Int] {
        [classID] + pieceIDs(of: text) + [separatorID]
    }

    /// The ids of the text alone, without [CLS] and [SEP].
    public func pieceIDs(of text: String) -> [Int] {
        var ids: [Int] = []
        for (segment, special) in splitOnSpecialTokens(text) {
            if let special {
                ids.append(special)
                continue
            }
            for word in BertNormalizer.splitWords(BertNormalizer.normalizedScalars(segment)) {
                appendPieces(of: word, to: &ids)
            }
        }
        return ids
    }

    /// The pieces of one normalised word, as strings ("unaffable" → un ##aff ##able).
    public func wordPieces(_ word: String) -> [String] {
        var ids: [Int] = []
        appendPieces(of: Array(word.unicodeScalars)[...], to: &ids)
        return ids.map { vocabulary[$0] }
    }

    /// Greedy longest match first, on one normalised word (see `greedyPieces`); a word with a
    /// part no piece covers becomes [UNK].
    private func appendPieces(of word: ArraySlice<Unicode.Scalar>, to ids: inout [Int]) {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: word)
        ids += Self.greedyPieces(of: String(text), prefix: Self.continuationPrefix,
                                 maxCharacters: Self.maxCharactersPerWord) { idOfToken[$0] } ?? [unknownID]
    }

    /// WordPiece's algorithm: from the start of what is left of the word, take the longest
    /// piece `id(of:)` knows ("##"-prefixed after the first), and repeat. Returns nil if some
    /// position has no piece at all, or if the word has more than `maxCharacters` characters
    /// (Unicode scalars): the whole word is then one unknown token, not just that part. Shared
    /// by this tokenizer and a tokenizer.json's WordPiece model.
    ///
    ///     greedyPieces(of: "unaffable", prefix: "##", maxCharacters: 100) { vocab[$0] }   // un ##aff ##able
    static func greedyPieces(of word: String, prefix: String, maxCharacters: Int, id: (String) -> Int?) -> [Int]? {
        if word.unicodeScalars.count > maxCharacters { return nil }
        if let whole = id(word) { return [whole] }            // the whole word is a token: the usual case
        let boundaries = Array(word.unicodeScalars.indices) + [word.endIndex]
        var out: [Int] = []
        var start = 0
        while start < boundaries.count - 1 {
            var end = boundaries.count - 1
            var found: Int?
            while end > start {
                let piece = word.unicodeScalars[boundaries[start]..<boundaries[end]]
                if let piece = id(start == 0 ? String(piece) : prefix + String(piece)) {
                    found = piece
                    break
                }
                end -= 1
            }
            guard let piece = found else { return nil }
            out.append(piece)
            start = end
        }
        return out
    }

    /// Cuts the raw text around the special tokens written in it ("[CLS]", "[MASK]", …),
    /// which are matched before any normalisation and kept whole. Segments between them come
    /// with `nil`, special tokens with their id.
    private func splitOnSpecialTokens(_ text: String) -> [(text: String, special: Int?)] {
        let bytes = Array(text.utf8)
        var out: [(text: String, special: Int?)] = []
        var segmentStart = 0
        var i = 0
        while i < bytes.count {
            // every special token starts with "[" (ASCII, so a byte match is a character match)
            if bytes[i] == UInt8(ascii: "["), let k = specialTokenBytes.firstIndex(where: { token in
                i + token.count <= bytes.count && bytes[i..<(i + token.count)].elementsEqual(token)
            }) {
                if segmentStart < i { out.append((String(decoding: bytes[segmentStart..<i], as: UTF8.self), nil)) }
                out.append((specialTokens[k], idOfToken[specialTokens[k]]!))
                i += specialTokenBytes[k].count
                segmentStart = i
            } else {
                i += 1
            }
        }
        if segmentStart < bytes.count { out.append((String(decoding: bytes[segmentStart...], as: UTF8.self), nil)) }
        return out
    }

    // MARK: - Decoding

    /// The tokens joined by spaces, each "##" piece glued to the one before it (without its
    /// "##"); [CLS], [SEP] and [PAD] are left out, [UNK] and [MASK] kept. What was lost in
    /// encoding stays lost: "Héllo, World!" comes back as "hello , world !".
    public func decode(_ ids: [Int]) -> String {
        var out = ""
        var first = true
        for id in ids {
            let token = self.token(of: id)
            if token == Self.classToken || token == Self.separatorToken || token == Self.paddingToken { continue }
            if !first && token.hasPrefix(Self.continuationPrefix) {
                out += token.dropFirst(Self.continuationPrefix.count)
            } else {
                out += (first ? "" : " ") + token
            }
            first = false
        }
        return out
    }
}
