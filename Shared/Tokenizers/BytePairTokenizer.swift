// A byte-level BPE tokenizer defined by its merges: what training (BytePairEncoding.swift)
// produces, and what is saved and loaded.
//
// Tokens 0…255 are the 256 bytes; merge k (counting from 0) makes token 256 + k out of two
// earlier tokens. To encode, the text is cut with GPT-2's pre-tokenizer pattern (so a token
// never spans two words), and each chunk's bytes are merged earliest merge first — the same
// algorithm as GPT-2's tokenizer (MergeTable.swift). Since every byte is a token, any string can
// be encoded, and decoding gives it back exactly.

import Foundation

// MARK: - Merge

/// One learned merge: tokens `first` and `second` (ids) become `token`.
public struct Merge: Equatable, CustomStringConvertible {
    public let first: Int, second: Int, token: Int
    /// How often the pair occurred in the training text when it was chosen (0 for merges
    /// loaded from a file).
    public let count: Int

    public init(first: Int, second: Int, token: Int, count: Int) {
        self.first = first
        self.second = second
        self.token = token
        self.count = count
    }

    public var description: String { "(\(first), \(second)) → \(token) ×\(count)" }
}

// MARK: - Tokenizer

/// A byte-level BPE tokenizer.
///
///     let bpe = BytePairTokenizer.train("low lower lowest", vocabularySize: 260)
///     bpe.merges.map(\.description)
///     // ["(108, 111) → 256 ×3", "(256, 119) → 257 ×3", "(32, 257) → 258 ×2", "(258, 101) → 259 ×2"]
///     // "l"+"o" and "o"+"w" both occur 3 times: the smaller pair (108, 111) goes first
///     bpe.decode(bpe.encode("slow ☃"))   // "slow ☃": any text comes back exactly
public struct BytePairTokenizer: Tokenizer {
    /// The merges, in the order they were learned.
    public private(set) var merges: [Merge] = []
    /// The bytes of every token: the 256 bytes, then one token per merge.
    public private(set) var vocabulary: [[UInt8]] = (0..<256).map { [UInt8($0)] }
    /// (first, second) → (rank, token), for encoding.
    private var table = MergeTable(capacity: 256)

    public var vocabularySize: Int { vocabulary.count }

    /// A tokenizer with the given merges (each must make the next token id: 256, 257, …).
    public init(merges: [Merge] = []) {
        for m in merges { append(m) }
    }

    /// Adds a merge: it makes token `vocabularySize` out of two existing tokens.
    mutating func append(_ m: Merge) {
        precondition(m.token == vocabulary.count, "BytePairTokenizer.append: the merge \(m) makes token \(m.token), expected \(vocabulary.count)")
        precondition(m.first >= 0 && m.first < m.token && m.second >= 0 && m.second < m.token,
                     "BytePairTokenizer.append: the merge \(m) uses a token that does not exist yet")
        table.insert(first: m.first, second: m.second, rank: merges.count, merged: m.token)
        merges.append(m)
        vocabulary.append(vocabulary[m.first] + vocabulary[m.second])
    }

    // MARK: - Encoding and decoding

    /// The ids of `text`: each GPT-2 pre-token's bytes, merged earliest merge first.
    public func encode(_ text: String) -> [Int] {
        var text = text
        return text.withUTF8 { utf8 in
            var out: [Int] = []
            gpt2PreTokenize(utf8) { range in
                out += table.merge(utf8[range].map { Int32($0) }).map(Int.init)
            }
            return out
        }
    }

    /// The bytes of the ids, read as UTF-8: `decode(encode(s)) == s` for every string. A
    /// sequence of ids that ends inside a character gives U+FFFD for the incomplete bytes.
    public func decode(_ ids: [Int]) -> String {
        String(decoding: decodeBytes(ids), as: UTF8.self)
    }

    /// The raw bytes of `ids`.
    public func decodeBytes(_ ids: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            precondition(id >= 0 && id < vocabulary.count, "BytePairTokenizer.decode: id \(id) is outside the vocabulary of \(vocabulary.count)")
            out += vocabulary[id]
        }
        return out
    }

    /// A token's bytes as readable text: "␣" for a space, "\n" for a newline, other
    /// whitespace and control characters as \u{…}, bytes that are not whole UTF-8 characters
    /// as \x… .
    ///
    ///     bpe.display(bpe.encode(" the")[0])   // "␣the" (if " the" is one token)
    public func display(_ id: Int) -> String {
        let bytes = vocabulary[id]
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return bytes.map { $0 < 0x80 ? displayScalar(Unicode.Scalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }.joined()
        }
        return text.unicodeScalars.map(displayScalar).joined()
    }

    private func displayScalar(_ s: Unicode.Scalar) -> String {
        if s == " " { return "␣" }
        if s == "\n" { return "\\n" }
        if s.properties.isWhitespace || s.value < 0x20 || s.value == 0x7F { return "\\u{\(String(s.value, radix: 16))}" }
        return String(s)
    }

    // MARK: - Saving and loading

    /// The first line of a saved merges file.
    static let header = "# byte-level BPE merges: first second (token ids), one per line, in the order learned"

    /// The merges as text: the header line, then one line "first second" per merge, in order;
    /// the k-th merge line (counting from 0) makes token 256 + k. When loading, lines starting
    /// with "#" and empty lines are skipped.
    ///
    ///     # byte-level BPE merges: …
    ///     32 116
    ///     104 101
    ///     256 256
    public var savedText: String {
        ([Self.header] + merges.map { "\($0.first) \($0.second)" }).joined(separator: "\n") + "\n"
    }

    /// Writes the merges to `url` (see `savedText`).
    public func save(to url: URL) throws {
        do {
            try Data(savedText.utf8).write(to: url, options: .atomic)
        } catch {
            throw TokenizerError(url.path, "cannot be written (\(error.localizedDescription))", hint: "check that the directory exists and is writable")
        }
    }

    /// Reads merges written by `save`; a malformed line is an error naming the file and line.
    public static func load(from url: URL) throws -> BytePairTokenizer {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TokenizerError(url.path, "cannot be read (is the path right?)", hint: "save merges with BytePairTokenizer.save(to:)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError(url.path, "is not UTF-8 text", hint: "save merges with BytePairTokenizer.save(to:)")
        }
        var tokenizer = BytePairTokenizer()
        for (index, line) in textLines(text).enumerated() {
            if line.hasPrefix("#") || line.isEmpty { continue }
            let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false).map { String($0) }
            guard parts.count == 2, let first = Int(parts[0]), let second = Int(parts[1]) else {
                throw TokenizerError(url.path, "line \(index + 1) is not two token ids separated by a space: \(line.debugDescription)",
                                     hint: "each line is \"first second\", such as \"32 116\"")
            }
            for id in [first, second] where id < 0 || id >= tokenizer.vocabularySize {
                throw TokenizerError(url.path, "line \(index + 1) merges the token \(id), which does not exist yet (there are \(tokenizer.vocabularySize))",
                                     hint: "a merge can only use the 256 bytes and the tokens of the lines before it")
            }
            tokenizer.append(Merge(first: first, second: second, token: tokenizer.vocabularySize, count: 0))
        }
        return tokenizer
    }
}
