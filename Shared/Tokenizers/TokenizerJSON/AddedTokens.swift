// The "added_tokens" of a tokenizer.json: strings matched in the text before anything else,
// each becoming one id whatever the model would make of it — "<|endoftext|>", "<|im_start|>",
// "[CLS]", "<s>". Where several could match, the leftmost wins, and of those starting there
// the longest; a match does not overlap the previous one.
//
// Each token's flags, as the library applies them:
// - special: left out when decoding with skip_special_tokens;
// - normalized: matched in the normalised text (its own content normalised too) rather than in
//   the raw input;
// - single_word: only where it is not glued to a word character (`\w`) on either side;
// - lstrip / rstrip: the match takes the whitespace before / after it along.
//
// Ids are given as the library gives them when it loads a file: a token already in the model's
// vocabulary (or listed earlier) keeps that id; a new one gets the next id after the vocabulary.

// MARK: - Added token

/// One entry of "added_tokens".
struct AddedToken: Equatable {
    let content: String
    let special: Bool
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let normalized: Bool

    /// Reads an entry; like the library, every flag must be there.
    init(_ node: ConfigNode) throws {
        content = try node.string("content")
        special = try node.bool("special")
        singleWord = try node.bool("single_word")
        lstrip = try node.bool("lstrip")
        rstrip = try node.bool("rstrip")
        normalized = try node.bool("normalized")
    }
}

// MARK: - Vocabulary of added tokens

/// The added tokens of a tokenizer and how to find them in text.
struct AddedVocabulary {
    /// Content → id.
    private(set) var idOfContent: [String: Int] = [:]
    /// Id → token (a later token given the same id replaces an earlier one).
    private(set) var tokenOfID: [Int: AddedToken] = [:]
    /// Id → the normalised content, for normalized tokens the normalizer changes.
    private(set) var normalizedContent: [Int: String] = [:]
    /// The contents of special tokens.
    private(set) var specialContents: Set<String> = []
    /// Matchers for the raw input and for normalised text.
    private(set) var rawMatcher = AddedTokenMatcher(patterns: [])
    private(set) var normalizedMatcher = AddedTokenMatcher(patterns: [])

    init() {}

    /// Adds the tokens in order, as the library does after reading a file.
    init(_ tokens: [AddedToken], model: TokenVocabulary, normalizer: TextNormalizer?, node: ConfigNode) throws {
        var nextID = model.count
        for token in tokens where !token.content.isEmpty {
            if let id = idOfContent[token.content], tokenOfID[id] == token { continue }
            let id: Int
            if let known = idOfContent[token.content] ?? model.id(of: token.content) {
                id = known
            } else {
                id = nextID
                nextID += 1
            }
            if token.normalized, let normalizer {
                let normalized = normalizer.apply(token.content)
                if normalized != token.content { normalizedContent[id] = normalized }
            }
            idOfContent[token.content] = id
            if token.special { specialContents.insert(token.content) }
            tokenOfID[id] = token
        }
        var raw: [(pattern: [UInt8], id: Int)] = [], normalized: [(pattern: [UInt8], id: Int)] = []
        for (id, token) in tokenOfID.sorted(by: { $0.key < $1.key }) {
            if token.normalized {
                normalized.append((Array((normalizedContent[id] ?? token.content).utf8), id))
            } else {
                raw.append((Array(token.content.utf8), id))
            }
        }
        for list in [raw, normalized] {
            var seen: [[UInt8]: Int] = [:]
            for (pattern, id) in list {
                if let other = seen[pattern] {
                    throw node.error("the added tokens \(other) and \(id) are both matched as \(String(decoding: pattern, as: UTF8.self).debugDescription)")
                }
                seen[pattern] = id
            }
        }
        rawMatcher = AddedTokenMatcher(patterns: raw.filter { !$0.pattern.isEmpty })
        normalizedMatcher = AddedTokenMatcher(patterns: normalized.filter { !$0.pattern.isEmpty })
    }

    /// The text of an added token's id as decoding sees it (the normalised content, if any).
    func decodingText(of id: Int) -> String? {
        guard let token = tokenOfID[id] else { return nil }
        return normalizedContent[id] ?? token.content
    }

    /// The largest id of an added token, or -1.
    var largestID: Int { tokenOfID.keys.max() ?? -1 }

    /// Cuts UTF-8 text at the added tokens of `matcher` (raw or normalised): ranges in order,
    /// each with the token's id or nil for text between tokens. Follows the library's
    /// `find_matches`, including its single_word, lstrip and rstrip rules.
    func split(_ text: [UInt8], with matcher: AddedTokenMatcher) -> [(range: Range<Int>, id: Int?)] {
        guard !matcher.isEmpty, !text.isEmpty else { return [(0..<text.count, nil)] }
        var out: [(range: Range<Int>, id: Int?)] = []
        var startOffset = 0
        matcher.forEachMatch(in: text) { matchRange, id in
            var start = matchRange.lowerBound, stop = matchRange.upperBound
            let token = tokenOfID[id]!
            if token.singleWord {
                let startSpace = start == 0 || !Self.endsWithWord(text, before: start)
                let stopSpace = stop == text.count || !Self.startsWithWord(text, at: stop)
                if !startSpace || !stopSpace { return }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0 {
                    let (s, length) = Self.scalar(before: newStart, in: text)
                    guard s.properties.isWhitespace else { break }
                    newStart -= length
                }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < text.count {
                    let (s, length) = decodeScalar(text, at: stop)
                    guard s.properties.isWhitespace else { break }
                    stop += length
                }
            }
            if startOffset < start { out.append((startOffset..<start, nil)) }
            out.append((start..<stop, id))
            startOffset = stop
        }
        if startOffset != text.count { out.append((startOffset..<text.count, nil)) }
        return out
    }

    /// The scalar that ends just before byte `i`, and its length.
    private static func scalar(before i: Int, in text: [UInt8]) -> (Unicode.Scalar, Int) {
        var start = i - 1
        while text[start] & 0xC0 == 0x80 { start -= 1 }
        return (decodeScalar(text, at: start).0, i - start)
    }

    private static func endsWithWord(_ text: [UInt8], before i: Int) -> Bool {
        WordClasses.isWord(scalar(before: i, in: text).0)
    }

    private static func startsWithWord(_ text: [UInt8], at i: Int) -> Bool {
        WordClasses.isWord(decodeScalar(text, at: i).0)
    }
}

// MARK: - Matching

/// Finds added tokens in text: the leftmost match, the longest of those starting there, then
/// on from its end (the library's Aho–Corasick automaton in LeftmostLongest mode).
struct AddedTokenMatcher {
    private let trie: SentencePieceTrie
    /// The first bytes of the patterns, to skip positions quickly.
    private let firstBytes: [Bool]
    let isEmpty: Bool

    init(patterns: [(pattern: [UInt8], id: Int)]) {
        var map: [String: Int] = [:]
        var first = [Bool](repeating: false, count: 256)
        for (pattern, id) in patterns {
            map[String(decoding: pattern, as: UTF8.self)] = id
            first[Int(pattern[0])] = true
        }
        trie = SentencePieceTrie(map)
        firstBytes = first
        isEmpty = patterns.isEmpty
    }

    /// Calls `body` with each match's byte range and id, left to right.
    func forEachMatch(in text: [UInt8], _ body: (Range<Int>, Int) -> Void) {
        var i = 0
        while i < text.count {
            if firstBytes[Int(text[i])] {
                var longest: (length: Int, id: Int)?
                trie.forEachPrefix(of: text[i...]) { length, id in longest = (length, id) }
                if let (length, id) = longest {
                    body(i..<(i + length), id)
                    i += length
                    continue
                }
            }
            i += 1
        }
    }
}
